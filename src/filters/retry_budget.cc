#include "meshd/filters/retry_budget.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

// Finagle's RetryBudget.apply (finagle-core/.../service/RetryBudget.scala) builds a
// TokenRetryBudget over TokenBucket.newLeakyBucket (util-core/.../util/TokenBucket.scala), whose
// count is a WindowedAdder(ttl, 10 slices) sum plus a fixed reserve. The numbers below are
// Finagle's; the window here is aligned to multiples of the slice length (WindowedAdder starts
// its slices at the last expiry instead), which keeps it deterministic under a fake clock.

namespace meshd::filters {
namespace {

constexpr double kScaleFactor = 1000.0;  ///< TokenRetryBudget.ScaleFactor
constexpr std::size_t kSlices = 10;      ///< TokenBucket.newLeakyBucket's WindowedAdder slices

/// Scala's Double.toInt: truncates toward zero, saturating (NaN → 0).
std::int64_t saturate(double v, double max) noexcept {
  if (std::isnan(v) || v <= 0) {
    return 0;
  }
  return v >= max ? static_cast<std::int64_t>(max) : static_cast<std::int64_t>(v);
}

/// Floor division, so instants before the clock's epoch land in the right slice.
std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

}  // namespace

RetryBudget::RetryBudget(RetryBudgetOptions options, double reserve_share)
    : options_(options), slices_(kSlices, 0) {
  const double percent = options_.percent_can_retry;
  const double min_per_sec = options_.min_retries_per_sec;
  const auto int_max = static_cast<double>(std::numeric_limits<std::int32_t>::max());
  if (percent <= 0 && min_per_sec <= 0) {
    // RetryBudget.Empty: never a retry.
    deposit_amount_ = 0;
    withdraw_amount_ = 1;
    reserve_ = 0;
    empty_ = true;
  } else if (percent <= 0) {
    // Only the reserve: requests earn nothing and each retry costs one token.
    deposit_amount_ = 0;
    withdraw_amount_ = 1;
  } else {
    deposit_amount_ = static_cast<std::int64_t>(kScaleFactor);
    withdraw_amount_ = std::max<std::int64_t>(1, saturate(kScaleFactor / percent, int_max));
  }
  if (!empty_) {
    // minRetriesPerSec × ttl × withdrawal, this worker's share of it.
    const double reserve = min_per_sec * static_cast<double>(options_.ttl.count()) *
                           static_cast<double>(withdraw_amount_) * reserve_share;
    reserve_ = saturate(reserve, static_cast<double>(std::numeric_limits<std::int64_t>::max() / 2));
  }
  slice_ = std::max<std::chrono::steady_clock::duration>(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(options_.ttl) /
          static_cast<std::int64_t>(kSlices),
      std::chrono::steady_clock::duration(1));
}

void RetryBudget::expire(TimePoint now) {
  const std::int64_t index = floor_div(now.time_since_epoch().count(), slice_.count());
  if (!started_) {
    started_ = true;
    slice_index_ = index;
    return;
  }
  if (index <= slice_index_) {
    return;  // the same slice (or a clock that went back: keep counting in the newest)
  }
  // Clear the slices the window moved past; at most all of them.
  const std::int64_t n = slices_.size();
  const std::int64_t advance = std::min(index - slice_index_, n);
  for (std::int64_t i = 1; i <= advance; ++i) {
    slices_[static_cast<std::size_t>((((slice_index_ + i) % n) + n) % n)] = 0;
  }
  slice_index_ = index;
}

void RetryBudget::deposit(TimePoint now) {
  if (empty_ || deposit_amount_ == 0) {
    return;
  }
  expire(now);
  const std::int64_t n = slices_.size();
  slices_[static_cast<std::size_t>(((slice_index_ % n) + n) % n)] += deposit_amount_;
}

bool RetryBudget::try_withdraw(TimePoint now) {
  if (empty_) {
    return false;
  }
  expire(now);
  const std::int64_t count = std::accumulate(slices_.begin(), slices_.end(), reserve_);
  if (count < withdraw_amount_) {
    return false;
  }
  // Withdrawals are negative deposits: they expire with the window too, giving the reserve back.
  const std::int64_t n = slices_.size();
  slices_[static_cast<std::size_t>(((slice_index_ % n) + n) % n)] -= withdraw_amount_;
  return true;
}

std::int64_t RetryBudget::balance(TimePoint now) {
  if (empty_) {
    return 0;
  }
  expire(now);
  return std::accumulate(slices_.begin(), slices_.end(), reserve_) / withdraw_amount_;
}

}  // namespace meshd::filters
