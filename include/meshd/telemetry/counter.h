#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "meshd/telemetry/per_worker.h"

namespace meshd::telemetry {

/// A monotonic count (Finagle's Counter): requests, failures, retries. Updates touch only the
/// calling worker's cache line (see `PerWorker::add_local`) and never lock; `value()` sums the
/// slots, so a scrape concurrent with updates sees some of them, never a torn value.
/// Thread-safe; usually created through `Registry::counter` and held by its owner.
class Counter {
 public:
  /// Creates a counter with `slots` per-worker cells (the worker count plus one).
  explicit Counter(std::size_t slots = 1) : cells_(slots) {}

  /// Adds `n`. Hot path: lock-free, allocation-free, any thread.
  void incr(std::uint64_t n = 1) noexcept { cells_.add_local(n); }

  /// The sum over all workers. Any thread.
  std::uint64_t value() const noexcept {
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < cells_.size(); ++i) {
      total += cells_[i].load(std::memory_order_relaxed);
    }
    return total;
  }

 private:
  PerWorker<std::atomic<std::uint64_t>> cells_;
};

using CounterSharedPtr = std::shared_ptr<Counter>;

}  // namespace meshd::telemetry
