#include "meshd/lb/balancer.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

// Node: Finagle's `loadbalancer.PeakEwma` metric (`P2CPeakEwma`'s load) plus the endpoint's
// failure accrual.

namespace meshd::lb {

namespace {

// PeakEwma's `Penalty = Long.MaxValue >> 16`: larger than any real cost (about 39 hours in
// nanoseconds), so a node with requests out and no latency yet loses every comparison.
const double kPenalty = static_cast<double>(std::numeric_limits<std::int64_t>::max() >> 16);

// Nanoseconds from `from` to `to`, 0 if time went backwards.
double elapsed_ns(TimePoint from, TimePoint to) {
  auto d = std::chrono::duration_cast<std::chrono::nanoseconds>(to - from).count();
  return d > 0 ? static_cast<double>(d) : 0.0;
}

}  // namespace

Node::Node(AccrualOptions accrual, std::chrono::milliseconds decay_time, std::uint64_t seed)
    : accrual_(accrual, seed),
      // PeakEwma requires Tau > 0; a zero decay time would divide by zero.
      tau_ns_(std::max(1.0, elapsed_ns(TimePoint{}, TimePoint{} + decay_time))) {}

Status Node::status(TimePoint now) const { return closed_ ? Status::Closed : accrual_.status(now); }

double Node::ewma_load(TimePoint now) const {
  // PeakEwma's `get()` first decays the cost to `now` (`observe(0.0)`); decaying a copy gives the
  // same number without writing, as exp(-a/τ)·exp(-b/τ) = exp(-(a+b)/τ).
  double cost = cost_ns_ * std::exp(-elapsed_ns(stamp_, now) / tau_ns_);
  if (cost_ns_ == 0.0 && outstanding_ != 0) {
    return kPenalty + static_cast<double>(outstanding_);
  }
  // Assume one more request is about to be scheduled here.
  return cost * static_cast<double>(outstanding_ + 1);
}

bool Node::on_start(TimePoint now) {
  ++outstanding_;
  return accrual_.on_dispatch(now);
}

void Node::on_abandon() noexcept {
  if (outstanding_ > 0) {
    --outstanding_;
  }
  accrual_.on_abandon();
}

AccrualEvent Node::on_finish(TimePoint started, TimePoint now, bool success) {
  if (outstanding_ > 0) {
    --outstanding_;
  }
  // PeakEwma's `observe(rtt)`: a latency above the cost replaces it at once (the "peak"); a lower
  // one moves the average with a weight that decays with the time since the last observation, as
  // the observations are unevenly spaced.
  double rtt = elapsed_ns(started, now);
  double w = std::exp(-elapsed_ns(stamp_, now) / tau_ns_);
  cost_ns_ = rtt > cost_ns_ ? rtt : cost_ns_ * w + rtt * (1.0 - w);
  stamp_ = std::max(stamp_, now);
  return accrual_.record(success, now);
}

}  // namespace meshd::lb
