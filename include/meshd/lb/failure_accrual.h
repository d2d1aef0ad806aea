#pragma once

#include <chrono>
#include <cstdint>
#include <random>

#include "meshd/core/backoff.h"
#include "meshd/core/service.h"

namespace meshd::lb {

using TimePoint = std::chrono::steady_clock::time_point;

/// `client.failureAccrual` (inventory §12.2): when an endpoint is marked dead, and how long it
/// stays dead before a probe.
struct AccrualOptions {
  enum class Kind {
    None,                 ///< `none`: never marked dead
    ConsecutiveFailures,  ///< `io.l5d.consecutiveFailures`: `failures` in a row
    SuccessRate,          ///< `io.l5d.successRate`: EMA over `requests` requests < `success_rate`
    SuccessRateWindowed,  ///< `io.l5d.successRateWindowed`: EMA over `window` < `success_rate`
  };
  Kind kind = Kind::ConsecutiveFailures;
  int failures = 5;
  double success_rate = 0.0;  ///< in [0, 1]
  int requests = 0;
  std::chrono::seconds window{0};
  /// Linkerd's default: equal jitter from 5 s to 300 s.
  BackoffOptions backoff{BackoffOptions::Kind::EqualJittered, std::chrono::seconds(5),
                         std::chrono::seconds(300)};
};

/// What a recorded outcome changed, for the `failure_accrual/*` metrics and the log.
struct AccrualEvent {
  enum class Kind { None, Removed, Revived };
  Kind kind = Kind::None;
  /// `Removed`: how long the endpoint is marked dead (`failure_accrual/removed_for_ms`).
  std::chrono::milliseconds removed_for{0};
};

/// Finagle's FailureAccrualFactory state machine for one endpoint: Alive → (policy says so)
/// Dead for the next backoff → ProbeOpen (one request may go) → ProbeClosed (that request is in
/// flight) → Alive on success (backoff reset) or Dead again with the next backoff on failure.
/// Worker-local; no locks.
class FailureAccrual {
 public:
  FailureAccrual(AccrualOptions options, std::uint64_t seed);

  /// `Open` while alive or when a probe may go; `Busy` while dead or while the probe is in
  /// flight. Balancers avoid non-Open endpoints.
  Status status(TimePoint now) const;

  /// A request is sent to the endpoint. Returns true when it is the probe (the endpoint was
  /// waiting for one: it stays Busy until the probe's outcome is recorded); the caller counts
  /// `failure_accrual/probes`.
  bool on_dispatch(TimePoint now);

  /// Records the outcome of a request (success as the service's classifier says). Returns what
  /// changed: `Removed` each time the endpoint is marked dead, a failed probe included (Finagle
  /// logs and adds to `removed_for_ms` each time but counts `removals` only for an endpoint that
  /// was alive: `removed()` before the call tells the two apart); `Revived` when the probe
  /// succeeded.
  AccrualEvent record(bool success, TimePoint now);

  /// A request sent to the endpoint was abandoned (cancelled) before any outcome. If a probe
  /// was in flight it may have been that one: another probe may go.
  void on_abandon() noexcept;

  /// True while marked dead or probing.
  bool removed() const noexcept { return state_ != State::Alive; }

  const AccrualOptions& options() const noexcept { return options_; }

 private:
  enum class State { Alive, Dead, ProbeOpen, ProbeClosed };
  /// Dead → ProbeOpen once the backoff has passed (Finagle's revive timer, run lazily).
  void expire_backoff(TimePoint now);
  AccrualEvent mark_dead(TimePoint now);
  /// Feeds one outcome to the policy; true when it says to mark the endpoint dead.
  bool policy_says_dead(bool success, TimePoint now);
  /// Forgets the policy's history and restarts the backoff stream (Finagle's `revived()`).
  void reset_policy();

  AccrualOptions options_;
  std::minstd_rand rng_;
  Backoff backoff_;
  State state_ = State::Alive;
  TimePoint dead_until_{};
  // Policy state.
  int consecutive_failures_ = 0;
  double ema_ = 1.0;         ///< success-rate EMA
  std::int64_t seen_ = 0;    ///< outcomes since creation or revival (success-rate kinds)
  TimePoint first_seen_{};   ///< first of those outcomes (successRateWindowed)
  TimePoint last_update_{};  ///< last EMA update (successRateWindowed)
};

}  // namespace meshd::lb
