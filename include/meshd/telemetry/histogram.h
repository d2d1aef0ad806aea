#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

namespace meshd::telemetry {

/// What a histogram exports (Linkerd's stat summary). Quantiles are values such that the given
/// fraction of the recorded values is less than or equal to them, within the histogram's
/// relative error; `min` and `max` are exact.
struct HistogramSummary {
  std::uint64_t count = 0;
  std::uint64_t sum = 0;
  std::uint64_t min = 0;
  std::uint64_t max = 0;
  std::uint64_t p50 = 0;
  std::uint64_t p90 = 0;
  std::uint64_t p95 = 0;
  std::uint64_t p99 = 0;
  std::uint64_t p9990 = 0;
  std::uint64_t p9999 = 0;
  double avg = 0.0;  ///< sum / count; 0 when empty

  friend bool operator==(const HistogramSummary&, const HistogramSummary&) = default;
};

/// A distribution of non-negative integers such as latencies in ms (Linkerd's "stat").
///
/// Buckets are log-linear: values below 64 have a bucket each; above, every power of two is cut
/// into 64 equal buckets, so a bucket spans at most 1/64 of its lower bound and a quantile,
/// reported as its bucket's midpoint, is within 0.8% of the true value (`kRelativeError`).
/// The whole `uint64_t` range is covered. Each worker records into its own buckets with relaxed
/// loads and stores, no locked instruction (threads without a slot share one, atomically); a
/// worker's bucket block for one power of two is allocated on its first value there
/// (one allocation, published with a compare-exchange), so a histogram only costs memory for the
/// ranges and workers that use it.
///
/// Like Linkerd, the exported values are those of the last `snapshot()`, which also starts a new
/// window (a worker's buckets are never written by it: it remembers what it read); the owner calls
/// it on a timer (`Registry::snapshot_histograms`, every 60 s). A snapshot racing with `record` may
/// count a value in one window and its sum in the next.
class Histogram {
 public:
  /// Bound on the relative error of reported quantiles.
  static constexpr double kRelativeError = 1.0 / 128;

  /// Creates a histogram with `slots` per-worker cells (the worker count plus one).
  explicit Histogram(std::size_t slots = 1);
  ~Histogram();
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  /// Records `value`. Hot path: lock-free; allocates only on a worker's first value in a new
  /// power-of-two range. Any thread.
  void record(std::uint64_t value) noexcept;

  /// Summarises the values recorded since the last snapshot, without resetting. Any thread.
  HistogramSummary live() const;

  /// Summarises and resets the live values; the result becomes `last_snapshot()`. Any thread,
  /// normally the control thread's timer.
  HistogramSummary snapshot();

  /// The summary taken by the last `snapshot()`, or nullopt before the first one.
  std::optional<HistogramSummary> last_snapshot() const;

 private:
  struct Slot;
  struct Counts;
  struct Baseline;

  Counts collect(bool reset) const;
  /// `record` on the first value in a block, or from a thread that is no worker.
  [[gnu::noinline]] void record_slow(std::uint64_t value) noexcept;

  std::size_t size_;
  std::unique_ptr<Slot[]> slots_;
  /// What the last reset read of each worker-owned slot (see `collect`); made by the first
  /// reset. Guarded by `collect_mutex_`.
  mutable std::unique_ptr<Baseline[]> baselines_;
  mutable std::mutex collect_mutex_;
  mutable std::mutex snapshot_mutex_;  // guards served_; never taken by record()
  std::optional<HistogramSummary> served_;
};

using HistogramSharedPtr = std::shared_ptr<Histogram>;

}  // namespace meshd::telemetry
