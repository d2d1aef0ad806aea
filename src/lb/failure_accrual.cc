#include "meshd/lb/failure_accrual.h"

#include <algorithm>
#include <cmath>

#include "lb/seed_internal.h"

// Finagle's `liveness.FailureAccrualFactory` and `FailureAccrualPolicy` (the versions Linkerd 1
// links), without a timer: the revive timer becomes `dead_until_`, checked whenever the state is
// looked at, and every time comes from the caller.

namespace meshd::lb {

namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

// One step of Finagle's `util.Ema`: the weight of the old average decays with the distance
// between stamps, in units of `window` (requests or milliseconds).
double ema_step(double ema, double x, double distance, double window) {
  double w = window <= 0 ? 0.0 : std::exp(-distance / window);
  return x * (1.0 - w) + ema * w;
}

}  // namespace

FailureAccrual::FailureAccrual(AccrualOptions options, std::uint64_t seed)
    : options_(options), rng_(mix_seed(seed)), backoff_(options.backoff) {}

Status FailureAccrual::status(TimePoint now) const {
  switch (state_) {
    case State::Alive:
    case State::ProbeOpen:
      return Status::Open;
    case State::Dead:
      return now >= dead_until_ ? Status::Open : Status::Busy;
    case State::ProbeClosed:
      return Status::Busy;
  }
  return Status::Open;
}

void FailureAccrual::expire_backoff(TimePoint now) {
  if (state_ == State::Dead && now >= dead_until_) {
    state_ = State::ProbeOpen;
  }
}

bool FailureAccrual::on_dispatch(TimePoint now) {
  expire_backoff(now);
  // Finagle's `stopProbing`: the first request after the backoff is the probe; the endpoint is
  // Busy until it completes. A request forced onto a dead endpoint (every pick was Busy) is not.
  if (state_ != State::ProbeOpen) {
    return false;
  }
  state_ = State::ProbeClosed;
  return true;
}

void FailureAccrual::on_abandon() noexcept {
  if (state_ == State::ProbeClosed) {
    state_ = State::ProbeOpen;
  }
}

AccrualEvent FailureAccrual::record(bool success, TimePoint now) {
  expire_backoff(now);
  if (success) {
    // Finagle's `didSucceed`: only the probe's success revives (a request sent before the
    // endpoint died may well succeed while it is dead); the policy sees every success.
    AccrualEvent event;
    if (state_ == State::ProbeClosed) {
      reset_policy();
      state_ = State::Alive;
      event.kind = AccrualEvent::Kind::Revived;
    }
    policy_says_dead(true, now);
    return event;
  }
  // Finagle's `didFail`: failures while dead or waiting for the probe are not the endpoint's
  // current health and are ignored, also by the policy.
  if (state_ != State::Alive && state_ != State::ProbeClosed) {
    return {};
  }
  if (policy_says_dead(false, now)) {
    return mark_dead(now);
  }
  if (state_ == State::ProbeClosed) {
    // The probe failed but the policy does not call it dead (e.g. successes while dead lifted
    // the rate): probe again rather than guess, as Finagle does.
    state_ = State::ProbeOpen;
  }
  return {};
}

AccrualEvent FailureAccrual::mark_dead(TimePoint now) {
  milliseconds delay = backoff_.next(rng_);
  state_ = State::Dead;
  dead_until_ = now + delay;
  return {AccrualEvent::Kind::Removed, delay};
}

bool FailureAccrual::policy_says_dead(bool success, TimePoint now) {
  switch (options_.kind) {
    case AccrualOptions::Kind::None:
      return false;
    case AccrualOptions::Kind::ConsecutiveFailures:
      if (success) {
        consecutive_failures_ = 0;
        return false;
      }
      // Not reset when marked dead: a failed probe is then at once the n-th failure in a row.
      consecutive_failures_ = std::min(consecutive_failures_, options_.failures) + 1;
      return consecutive_failures_ >= options_.failures;
    case AccrualOptions::Kind::SuccessRate: {
      // The stamp is the request count: one request apart each, and at least `requests`
      // outcomes (since creation or the last revival) before the rate may mark dead.
      double x = success ? 1.0 : 0.0;
      ema_ = seen_ == 0 ? x : ema_step(ema_, x, 1.0, options_.requests);
      ++seen_;
      return !success && seen_ >= options_.requests && ema_ < options_.success_rate;
    }
    case AccrualOptions::Kind::SuccessRateWindowed: {
      // The stamp is whole milliseconds since the first outcome (Finagle: since the policy was
      // built or revived; lb reads no clock, and a revival is itself the next first outcome).
      double x = success ? 1.0 : 0.0;
      if (seen_ == 0) {
        first_seen_ = now;
        last_update_ = now;
        ema_ = x;
      } else {
        auto stamp = duration_cast<milliseconds>(std::max(now, last_update_) - first_seen_);
        auto last = duration_cast<milliseconds>(last_update_ - first_seen_);
        double window = static_cast<double>(duration_cast<milliseconds>(options_.window).count());
        ema_ = ema_step(ema_, x, static_cast<double>((stamp - last).count()), window);
        last_update_ = std::max(now, last_update_);
      }
      ++seen_;
      return !success && last_update_ - first_seen_ >= options_.window &&
             ema_ < options_.success_rate;
    }
  }
  return false;
}

void FailureAccrual::reset_policy() {
  consecutive_failures_ = 0;
  ema_ = 1.0;
  seen_ = 0;
  backoff_.reset();
}

}  // namespace meshd::lb
