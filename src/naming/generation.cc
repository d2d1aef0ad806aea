#include "meshd/naming/generation.h"

#include <atomic>

namespace meshd::naming {

namespace {

// Constant-initialised, so no global constructor runs.
constinit std::atomic<std::uint64_t> g_generation{0};

}  // namespace

// Acquire/release rather than relaxed: a worker that sees a new generation must also see the
// snapshot the namer published before bumping it, or it would cache a stale bind result under
// the new generation. On x86 and ARMv8 this costs the same as relaxed.
std::uint64_t generation() noexcept { return g_generation.load(std::memory_order_acquire); }

void bump_generation() noexcept { g_generation.fetch_add(1, std::memory_order_release); }

}  // namespace meshd::naming
