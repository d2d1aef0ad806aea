#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

namespace meshd::filters {

using TimePoint = std::chrono::steady_clock::time_point;

/// `service.retries.budget` and `client.requeueBudget` (inventory §12.3).
struct RetryBudgetOptions {
  std::chrono::seconds ttl{10};     ///< `ttlSecs`, 1–60: how long a deposit counts
  double min_retries_per_sec = 10;  ///< `minRetriesPerSec`, ≥ 0: the always-available reserve
  double percent_can_retry = 0.2;   ///< `percentCanRetry`, 0–1000: retries per request
};

/// Finagle's TokenRetryBudget: every request deposits, every retry withdraws `1 /
/// percent_can_retry` deposits' worth, deposits expire after `ttl`, and a reserve of
/// `min_retries_per_sec × ttl` retries is always there (refilled as it expires). Both
/// `min_retries_per_sec` and `percent_can_retry` 0 means no retries at all. Worker-local: each
/// worker holds one per service, with `reserve_share` (1 / workers) of the reserve, so the
/// process as a whole allows what the config says. Not thread-safe.
class RetryBudget {
 public:
  explicit RetryBudget(RetryBudgetOptions options, double reserve_share = 1.0);

  /// A request was made.
  void deposit(TimePoint now);
  /// Takes one retry if the balance allows it.
  bool try_withdraw(TimePoint now);
  /// Retries available now (`retries/budget`).
  std::int64_t balance(TimePoint now);

  const RetryBudgetOptions& options() const noexcept { return options_; }

 private:
  void expire(TimePoint now);

  RetryBudgetOptions options_;
  std::int64_t deposit_amount_;   ///< tokens per request
  std::int64_t withdraw_amount_;  ///< tokens per retry
  std::int64_t reserve_;          ///< tokens always available
  /// Tokens deposited (+) or withdrawn (−) per time slice of the ttl window (ttl / 10 each), a
  /// ring indexed by the slice's absolute index (time since the clock's epoch / `slice_`).
  std::vector<std::int64_t> slices_;
  std::int64_t slice_index_ = 0;  ///< absolute index of the newest slice
  std::chrono::steady_clock::duration slice_{};
  bool started_ = false;  ///< `slice_index_` is set (by the first call)
  bool empty_ = false;    ///< Finagle's RetryBudget.Empty: both rates 0, never a retry
};

}  // namespace meshd::filters
