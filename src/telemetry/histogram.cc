#include "meshd/telemetry/histogram.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

#include "meshd/telemetry/per_worker.h"

namespace meshd::telemetry {
namespace {

// Values below kSub have a bucket each; from there on each power of two [2^e, 2^(e+1)) is one
// block of kSub buckets of width 2^(e - kSubBits). Block 0 holds [0, kSub); block b >= 1 holds
// [kSub << (b - 1), kSub << b).
constexpr unsigned kSubBits = 6;
constexpr std::uint64_t kSub = std::uint64_t{1} << kSubBits;
constexpr std::size_t kBlocks = 64 - kSubBits + 1;
constexpr std::uint64_t kNoMin = std::numeric_limits<std::uint64_t>::max();

struct BucketIndex {
  std::size_t block;
  std::size_t offset;
};

BucketIndex bucket_of(std::uint64_t v) noexcept {
  if (v < kSub) {
    return {0, static_cast<std::size_t>(v)};
  }
  unsigned shift = static_cast<unsigned>(std::bit_width(v)) - 1 - kSubBits;
  return {shift + 1, static_cast<std::size_t>((v >> shift) - kSub)};
}

// Inclusive value range of the bucket at flat index `i` (block * kSub + offset).
std::uint64_t bucket_lower(std::size_t i) noexcept {
  std::size_t block = i / kSub;
  std::uint64_t offset = i % kSub;
  return block == 0 ? offset : (kSub + offset) << (block - 1);
}

std::uint64_t bucket_upper(std::size_t i) noexcept {
  std::size_t block = i / kSub;
  std::uint64_t width = block == 0 ? 1 : std::uint64_t{1} << (block - 1);
  return bucket_lower(i) + (width - 1);
}

// The point reported for a bucket: its middle, which halves the worst-case error.
std::uint64_t bucket_mid(std::size_t i) noexcept {
  return bucket_lower(i) + (bucket_upper(i) - bucket_lower(i)) / 2;
}

struct Block {
  std::array<std::atomic<std::uint64_t>, kSub> counts{};
};

}  // namespace

struct alignas(kCacheLineSize) Histogram::Slot {
  std::atomic<std::uint64_t> sum{0};
  std::atomic<std::uint64_t> min{kNoMin};
  std::atomic<std::uint64_t> max{0};
  std::array<std::atomic<Block*>, kBlocks> blocks{};

  ~Slot() {
    for (auto& b : blocks) {
      delete b.load(std::memory_order_relaxed);
    }
  }
};

/// The counts and sum of a worker-owned slot as the last reset read them: a worker's slot only
/// grows (its owner adds with a plain load and store, which a reset by the reader would race
/// with), and a window is what it gained since.
struct Histogram::Baseline {
  std::uint64_t sum = 0;
  std::array<std::unique_ptr<std::array<std::uint64_t, kSub>>, kBlocks> blocks{};
};

struct Histogram::Counts {
  std::vector<std::uint64_t> buckets;  // flat index = block * kSub + offset
  std::uint64_t count = 0;
  std::uint64_t sum = 0;
  std::uint64_t min = kNoMin;
  std::uint64_t max = 0;
};

namespace {

Block* install_block(std::atomic<Block*>& where) noexcept {
  auto* fresh = new (std::nothrow) Block;
  if (fresh == nullptr) {
    return nullptr;
  }
  Block* expected = nullptr;
  if (where.compare_exchange_strong(expected, fresh, std::memory_order_acq_rel,
                                    std::memory_order_acquire)) {
    return fresh;
  }
  delete fresh;  // another thread sharing this slot installed one first
  return expected;
}

// Reads (or, with `reset`, takes) an atomic.
std::uint64_t take(std::atomic<std::uint64_t>& a, bool reset, std::uint64_t reset_to = 0) {
  return reset ? a.exchange(reset_to, std::memory_order_relaxed)
               : a.load(std::memory_order_relaxed);
}

// Quantile `per_10k`/10000 of `c`: the midpoint of the bucket holding the value of rank
// ceil(count * q), clamped to the exact [min, max].
std::uint64_t quantile(const std::vector<std::uint64_t>& buckets, std::uint64_t count,
                       std::uint64_t per_10k, std::uint64_t min, std::uint64_t max) {
  std::uint64_t rank = count / 10000 * per_10k + ((count % 10000) * per_10k + 9999) / 10000;
  rank = std::max<std::uint64_t>(rank, 1);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    seen += buckets[i];
    if (seen >= rank) {
      return std::clamp(bucket_mid(i), min, max);
    }
  }
  return max;
}

}  // namespace

Histogram::Histogram(std::size_t slots)
    : size_(slots == 0 ? 1 : slots), slots_(std::make_unique<Slot[]>(size_)) {}

Histogram::~Histogram() = default;

void Histogram::record(std::uint64_t value) noexcept {
  // The usual case, kept short (no register saved): a worker's own slot, its block there.
  const std::size_t index = worker_slot();
  if (index != 0 && index < size_) [[likely]] {
    Slot& slot = slots_[index];
    auto [block_index, offset] = bucket_of(value);
    Block* block = slot.blocks[block_index].load(std::memory_order_acquire);
    if (block != nullptr) [[likely]] {
      // Only this worker writes its counts and sum (a reset leaves them be: see Baseline), so
      // a load and a store do, without a locked instruction; other threads still read whole
      // values.
      auto& count = block->counts[offset];
      count.store(count.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      slot.sum.store(slot.sum.load(std::memory_order_relaxed) + value, std::memory_order_relaxed);
      if (value < slot.min.load(std::memory_order_relaxed)) {
        slot.min.store(value, std::memory_order_relaxed);
      }
      if (value > slot.max.load(std::memory_order_relaxed)) {
        slot.max.store(value, std::memory_order_relaxed);
      }
      return;
    }
  }
  record_slow(value);
}

void Histogram::record_slow(std::uint64_t value) noexcept {
  const std::size_t index = worker_slot();
  const bool owned = index != 0 && index < size_;
  Slot& slot = slots_[owned ? index : 0];
  auto [block_index, offset] = bucket_of(value);
  Block* block = slot.blocks[block_index].load(std::memory_order_acquire);
  if (block == nullptr) {
    block = install_block(slot.blocks[block_index]);
    if (block == nullptr) {
      return;  // out of memory: dropping a sample beats failing the request
    }
  }
  if (owned) {
    record(value);  // the block is there now: the usual path
    return;
  }
  // A thread that is no worker shares slot 0: locked updates.
  block->counts[offset].fetch_add(1, std::memory_order_relaxed);
  slot.sum.fetch_add(value, std::memory_order_relaxed);
  std::uint64_t cur = slot.min.load(std::memory_order_relaxed);
  while (value < cur && !slot.min.compare_exchange_weak(cur, value, std::memory_order_relaxed)) {
  }
  cur = slot.max.load(std::memory_order_relaxed);
  while (value > cur && !slot.max.compare_exchange_weak(cur, value, std::memory_order_relaxed)) {
  }
}

Histogram::Counts Histogram::collect(bool reset) const {
  std::lock_guard lock(collect_mutex_);
  if (reset && !baselines_ && size_ > 1) {
    baselines_ = std::make_unique<Baseline[]>(size_);
  }
  Counts c;
  for (std::size_t s = 0; s < size_; ++s) {
    Slot& slot = slots_[s];
    // Slot 0 is shared by threads without a slot of their own, which add atomically: a reset
    // takes its values. A worker's slot is never written here (see Baseline); min and max are,
    // and a record racing with that costs at most a window's exact extreme (summarize clamps).
    Baseline* base = s != 0 && baselines_ ? &baselines_[s] : nullptr;
    if (s == 0) {
      c.sum += take(slot.sum, reset);
    } else {
      const std::uint64_t sum = slot.sum.load(std::memory_order_relaxed);
      c.sum += sum - (base != nullptr ? base->sum : 0);
      if (reset) {
        base->sum = sum;
      }
    }
    c.min = std::min(c.min, take(slot.min, reset, kNoMin));
    c.max = std::max(c.max, take(slot.max, reset));
    for (std::size_t b = 0; b < kBlocks; ++b) {
      Block* block = slot.blocks[b].load(std::memory_order_acquire);
      if (block == nullptr) {
        continue;
      }
      if (c.buckets.size() < (b + 1) * kSub) {
        c.buckets.resize((b + 1) * kSub);
      }
      std::array<std::uint64_t, kSub>* seen = nullptr;
      if (base != nullptr) {
        if (reset && !base->blocks[b]) {
          base->blocks[b] = std::make_unique<std::array<std::uint64_t, kSub>>();
        }
        seen = base->blocks[b].get();
      }
      for (std::size_t o = 0; o < kSub; ++o) {
        std::uint64_t n = 0;
        if (s == 0) {
          n = take(block->counts[o], reset);
        } else {
          const std::uint64_t total = block->counts[o].load(std::memory_order_relaxed);
          n = total - (seen != nullptr ? (*seen)[o] : 0);
          if (reset) {
            (*seen)[o] = total;
          }
        }
        c.buckets[b * kSub + o] += n;
        c.count += n;
      }
    }
  }
  return c;
}

namespace {

HistogramSummary summarize(const std::vector<std::uint64_t>& buckets, std::uint64_t count,
                           std::uint64_t sum, std::uint64_t min, std::uint64_t max) {
  HistogramSummary s;
  if (count == 0) {
    return s;
  }
  std::size_t lo = 0;
  while (buckets[lo] == 0) {
    ++lo;
  }
  std::size_t hi = buckets.size() - 1;
  while (buckets[hi] == 0) {
    --hi;
  }
  // A snapshot racing with record() can split a value's bucket from its min/max update; the
  // extremes must lie in the outermost non-empty buckets, so fall back to their bounds.
  s.min = (min >= bucket_lower(lo) && min <= bucket_upper(lo)) ? min : bucket_lower(lo);
  s.max = (max >= bucket_lower(hi) && max <= bucket_upper(hi)) ? max : bucket_upper(hi);
  s.count = count;
  s.sum = sum;
  s.avg = static_cast<double>(sum) / static_cast<double>(count);
  s.p50 = quantile(buckets, count, 5000, s.min, s.max);
  s.p90 = quantile(buckets, count, 9000, s.min, s.max);
  s.p95 = quantile(buckets, count, 9500, s.min, s.max);
  s.p99 = quantile(buckets, count, 9900, s.min, s.max);
  s.p9990 = quantile(buckets, count, 9990, s.min, s.max);
  s.p9999 = quantile(buckets, count, 9999, s.min, s.max);
  return s;
}

}  // namespace

HistogramSummary Histogram::live() const {
  Counts c = collect(false);
  return summarize(c.buckets, c.count, c.sum, c.min, c.max);
}

HistogramSummary Histogram::snapshot() {
  Counts c = collect(true);
  HistogramSummary s = summarize(c.buckets, c.count, c.sum, c.min, c.max);
  std::lock_guard lock(snapshot_mutex_);
  served_ = s;
  return s;
}

std::optional<HistogramSummary> Histogram::last_snapshot() const {
  std::lock_guard lock(snapshot_mutex_);
  return served_;
}

}  // namespace meshd::telemetry
