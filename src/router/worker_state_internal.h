#pragma once

// The per-worker state of a router's services, clients and endpoints (RouterWorker's private
// structs), shared by router_worker.cc and forward.cc.

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "meshd/filters/retry_budget.h"
#include "meshd/lb/balancer.h"
#include "meshd/router/endpoint_pool.h"
#include "meshd/router/policy.h"
#include "meshd/router/router.h"
#include "meshd/router/stats.h"

namespace meshd::router {

/// A logical name on this worker: its shared stats, its policy and this worker's share of its
/// retry budget.
struct RouterWorker::Service {
  Service(SharedStatsCache::EntrySharedPtr entry, ServicePolicy p, std::size_t workers)
      : shared(std::move(entry)),
        policy(std::move(p)),
        budget(policy.retry_budget, 1.0 / static_cast<double>(workers)),
        retries_total(shared->counter("retries/total")),
        budget_exhausted(shared->counter("retries/budget_exhausted")),
        retries_per_request(shared->stats.scope.scope("retries").histogram("per_request")) {}

  /// This worker no longer holds the service: its budget share leaves `retries/budget`.
  ~Service() { shared->cells.local().budget.store(0, std::memory_order_relaxed); }
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  RequestStats& stats() const { return shared->stats; }

  SharedStatsCache::EntrySharedPtr shared;
  ServicePolicy policy;
  filters::RetryBudget budget;
  telemetry::CounterSharedPtr retries_total;
  telemetry::CounterSharedPtr budget_exhausted;
  telemetry::HistogramSharedPtr retries_per_request;
};

/// One address of a client on this worker: its balancer node (load, latency, failure accrual)
/// and its connection pool. Requests in flight hold it, so it outlives its removal from the set.
struct RouterWorker::Endpoint final : lb::Node, std::enable_shared_from_this<Endpoint> {
  Endpoint(EndpointPoolSharedPtr p, const ClientPolicy& policy, std::uint64_t seed)
      : lb::Node(policy.failure_accrual, policy.load_balancer.decay_time, seed),
        pool(std::move(p)) {}

  EndpointPoolSharedPtr pool;
};

/// A bound id on this worker: its policy, the balancer over its endpoints, its share of the
/// requeue budget and the stats shared with the other workers.
struct RouterWorker::Client {
  Client(dtab::Path bound_id, ClientPolicy p, PoolOptions pool,
         SharedStatsCache::EntrySharedPtr entry, std::size_t workers, std::uint64_t seed)
      : id(std::move(bound_id)),
        id_show(id.show()),
        label(id_show.size() > 1 ? id_show.substr(1) : id_show),
        policy(std::move(p)),
        pool_options(std::move(pool)),
        balancer(lb::make_balancer(policy.load_balancer, seed)),
        requeue_budget(policy.requeue_budget, 1.0 / static_cast<double>(workers)),
        shared(std::move(entry)),
        requeues(shared->counter("retries/requeues")),
        requeue_budget_exhausted(shared->counter("retries/budget_exhausted")),
        removals(shared->counter("failure_accrual/removals")),
        revivals(shared->counter("failure_accrual/revivals")),
        probes(shared->counter("failure_accrual/probes")),
        removed_for_ms(shared->counter("failure_accrual/removed_for_ms")),
        max_effort_exhausted(shared->counter("loadbalancer/max_effort_exhausted")) {}

  /// This worker no longer holds the client: its share of the gauges goes (the mean over
  /// workers counts only those that hold it). Runs on the worker that evicted it.
  ~Client() {
    WorkerCell& cell = shared->cells.local();
    for (auto* field :
         {&cell.size, &cell.available, &cell.busy, &cell.closed, &cell.budget, &cell.connections}) {
      field->store(0, std::memory_order_relaxed);
    }
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  RequestStats& stats() const { return shared->stats; }

  /// `service/<name>/…` inside this client (Linkerd's per-destination stats): the tries of
  /// the requests for logical name `dst_show` sent through this client. Created on first use;
  /// at most `kMaxServiceStats` names per client and worker (then the oldest set is dropped).
  /// Shared: a request in flight keeps its stats while the cache restarts.
  std::shared_ptr<RequestStats> service_stats(const std::string& dst_show) {
    auto it = per_service.find(dst_show);
    if (it == per_service.end()) {
      if (per_service.size() >= kMaxServiceStats) {
        per_service.clear();  // the metrics stay registered; only this cache restarts
      }
      auto scope = shared->stats.scope.scope("service").scope(
          dst_show.size() > 1 && dst_show.front() == '/' ? dst_show.substr(1) : dst_show);
      it = per_service.emplace(dst_show, std::make_shared<RequestStats>(scope)).first;
    }
    return it->second;
  }
  static constexpr std::size_t kMaxServiceStats = 1000;

  dtab::Path id;        ///< the bound id
  std::string id_show;  ///< as text (`l5d-dst-client`, stats)
  std::string label;    ///< without its leading `/`, as Finagle labels the client
  ClientPolicy policy;
  PoolOptions pool_options;
  dtab::AddrConstSharedPtr addr;  ///< the address snapshot `endpoints` follow
  std::vector<EndpointSharedPtr> endpoints;
  std::vector<std::string> labels;  ///< `ip:port` of each endpoint, for error texts
  std::unique_ptr<lb::Balancer> balancer;
  filters::RetryBudget requeue_budget;
  std::uint64_t max_effort_seen = 0;  ///< balancer's max_effort_exhausted already counted
  SharedStatsCache::EntrySharedPtr shared;
  telemetry::CounterSharedPtr requeues, requeue_budget_exhausted;
  telemetry::CounterSharedPtr removals, revivals, probes, removed_for_ms;
  telemetry::CounterSharedPtr max_effort_exhausted;
  std::unordered_map<std::string, std::shared_ptr<RequestStats>> per_service;
  StatusStats status_stats;  ///< the client's `status/*`, `time/*`
};

}  // namespace meshd::router
