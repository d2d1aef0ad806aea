#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "meshd/telemetry/per_worker.h"

namespace meshd::telemetry {

/// A value that goes up and down (Finagle's Gauge), in one of three styles:
/// - set: `set(v)` stores a value, the last writer wins (`rt/<router>/originator`);
/// - adjusted: `add(delta)` / `incr()` / `decr()` from workers, summed per worker like a
///   counter (`pending`, `connections`);
/// - callback: a function evaluated when the gauge is read (`loadbalancer/size`).
/// A settable gauge reads as the last `set` value plus the sum of all `add`s; use one style per
/// gauge. All updates are lock-free and allocation-free. Thread-safe.
class Gauge {
 public:
  /// Creates a settable/adjustable gauge with `slots` per-worker cells, initially 0.
  explicit Gauge(std::size_t slots = 1) : deltas_(slots) {}

  /// Creates a gauge that reads `callback()`. The callback runs on whichever thread reads the
  /// gauge (the control thread, which serves the admin endpoints): it must be thread-safe with
  /// respect to what it reads and must not call into the `Registry`.
  explicit Gauge(std::function<double()> callback) : deltas_(1), callback_(std::move(callback)) {}

  /// Stores `value`. Ignored by a callback gauge. Hot path.
  void set(double value) noexcept { base_.store(value, std::memory_order_relaxed); }

  /// Adds `delta` (may be negative) in the calling worker's cell. Hot path.
  void add(std::int64_t delta) noexcept { deltas_.add_local(delta); }
  /// `add(1)` / `add(-1)`: one more / one fewer (connections, pending requests). Hot path.
  void incr() noexcept { add(1); }
  void decr() noexcept { add(-1); }

  /// The current value. Calls the callback of a callback gauge. Any thread.
  double value() const {
    if (callback_) {
      return callback_();
    }
    std::int64_t sum = 0;
    for (std::size_t i = 0; i < deltas_.size(); ++i) {
      sum += deltas_[i].load(std::memory_order_relaxed);
    }
    return base_.load(std::memory_order_relaxed) + static_cast<double>(sum);
  }

  /// True for a gauge created with a callback.
  bool is_callback() const noexcept { return static_cast<bool>(callback_); }

 private:
  std::atomic<double> base_{0.0};
  PerWorker<std::atomic<std::int64_t>> deltas_;
  std::function<double()> callback_;
};

using GaugeSharedPtr = std::shared_ptr<Gauge>;

}  // namespace meshd::telemetry
