#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "meshd/core/service.h"
#include "meshd/lb/failure_accrual.h"

namespace meshd::lb {

/// `client.loadBalancer` (inventory §12.1).
struct BalancerOptions {
  enum class Kind { P2C, Ewma, RoundRobin, Heap, Aperture };
  Kind kind = Kind::P2C;
  /// Re-picks when the pick is not Open, before taking it anyway (Finagle's `maxEffort`).
  int max_effort = 5;
  std::chrono::milliseconds decay_time{10000};    ///< ewma: the RTT average's time constant
  std::chrono::milliseconds smooth_window{5000};  ///< aperture: load averaging window
  double low_load = 0.5;                          ///< aperture: narrow below this load per node
  double high_load = 2.0;                         ///< aperture: widen above it
  int min_aperture = 1;                           ///< aperture: smallest window
  bool enable_probation = false;                  ///< accepted; no effect (as Linkerd's http)
};

/// One endpoint as balancers see it: requests in flight, a peak-EWMA latency estimate and the
/// failure-accrual state. The router's endpoint owns it. Worker-local; no locks.
class Node {
 public:
  /// `decay_time`: the peak-EWMA time constant (BalancerOptions::decay_time).
  Node(AccrualOptions accrual, std::chrono::milliseconds decay_time, std::uint64_t seed);

  /// Requests dispatched and not finished.
  std::size_t outstanding() const noexcept { return outstanding_; }

  /// Closed once `close()` was called (the endpoint left the set), else the accrual status.
  Status status(TimePoint now) const;

  /// Peak EWMA load at `now` (Finagle's PeakEwma): the latency average, decayed since the last
  /// update, × (outstanding + 1). A node with no latency yet costs 0 when idle and a large
  /// penalty per outstanding request otherwise.
  double ewma_load(TimePoint now) const;

  /// A request goes to this node: counts it outstanding and tells the accrual. Returns true when
  /// the request is the accrual's probe.
  bool on_start(TimePoint now);

  /// The request that started at `started` finished at `now`; `success` per the service's
  /// classifier. Updates the latency average (peak-sensitive) and the accrual.
  AccrualEvent on_finish(TimePoint started, TimePoint now, bool success);

  /// The request that started was abandoned (cancelled) before an outcome: it is no longer
  /// outstanding, and if it was the accrual's probe another probe may go. Records nothing.
  void on_abandon() noexcept;

  /// The endpoint left the set: status Closed from now on.
  void close() noexcept { closed_ = true; }

  FailureAccrual& accrual() noexcept { return accrual_; }
  const FailureAccrual& accrual() const noexcept { return accrual_; }

 private:
  FailureAccrual accrual_;
  double tau_ns_;         ///< decay time constant in ns
  double cost_ns_ = 0.0;  ///< latency average; 0 until the first response
  TimePoint stamp_{};     ///< last cost update
  std::size_t outstanding_ = 0;
  bool closed_ = false;
};

/// Picks a node per request (Finagle's Balancers). Worker-local; no locks.
class Balancer {
 public:
  virtual ~Balancer() = default;

  /// Replaces the node set (an endpoint-set change; the order is the caller's). The pointers
  /// must stay valid until the next `update` or the balancer's destruction. Requests in flight
  /// on nodes that left keep their node (the caller owns it).
  virtual void update(std::vector<Node*> nodes) = 0;

  /// The node for one request, or nullptr when the set is empty. Prefers Open nodes: a pick
  /// that is not Open is redone, up to `max_effort` times, then taken anyway (counted in
  /// `Counts::max_effort_exhausted`).
  virtual Node* pick(TimePoint now) = 0;

  /// `loadbalancer/*` numbers.
  struct Counts {
    std::size_t size = 0;       ///< nodes
    std::size_t available = 0;  ///< Open
    std::size_t busy = 0;       ///< Busy (dead, probing)
    std::size_t closed = 0;     ///< Closed
    double load = 0;            ///< requests outstanding over all nodes
  };
  virtual Counts counts(TimePoint now) const = 0;

  /// Picks that took a non-Open node after `max_effort` re-picks.
  std::uint64_t max_effort_exhausted() const noexcept { return max_effort_exhausted_; }

 protected:
  std::uint64_t max_effort_exhausted_ = 0;
};

/// A balancer of `options.kind`; `seed` seeds its randomness (tests pass a fixed one).
std::unique_ptr<Balancer> make_balancer(const BalancerOptions& options, std::uint64_t seed);

}  // namespace meshd::lb
