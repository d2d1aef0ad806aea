#include "meshd/core/spawn.h"

#include <atomic>

namespace meshd {
namespace {
std::atomic<std::uint64_t> g_internal_errors{0};
}  // namespace

std::uint64_t internal_errors() noexcept {
  return g_internal_errors.load(std::memory_order_relaxed);
}

void count_internal_error() noexcept { g_internal_errors.fetch_add(1, std::memory_order_relaxed); }

}  // namespace meshd
