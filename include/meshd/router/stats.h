#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "meshd/dtab/name.h"

#include "meshd/telemetry/registry.h"

namespace meshd::router {

/// Milliseconds since `start`, as the latency stats record them.
inline std::uint64_t elapsed_ms(std::chrono::steady_clock::time_point start) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now() - start)
                                        .count());
}

/// Request stats of one scope (`rt/<r>/server/<ip>/<port>`, `rt/<r>/service/<name>`,
/// `rt/<r>/client/<id>`), Linkerd's names. Created once; updated lock-free from any worker.
struct RequestStats {
  RequestStats() = default;
  explicit RequestStats(const telemetry::Scope& scope);

  /// Records one finished request: `status` 0 means no response (an error); 5xx and errors are
  /// failures (Linkerd's default classifier).
  void record(int status, std::uint64_t latency_ms);

  telemetry::Scope scope{dummy_registry(), {}};
  telemetry::CounterSharedPtr requests, success, failures;
  telemetry::GaugeSharedPtr pending;
  telemetry::HistogramSharedPtr request_latency_ms;
  /// `status/<code>` and `status/<N>XX`, created on first use (the registry dedups).
  telemetry::CounterSharedPtr status_counter(int status);
  /// `status/<N>XX` of `status` (`2XX`).
  telemetry::CounterSharedPtr status_class_counter(int status);

 private:
  static telemetry::Registry& dummy_registry();
};

/// Holds a `pending` gauge up for its lifetime: a request in flight, however it ends (a
/// cancelled coroutine unwinds through the destructor too).
class PendingGuard {
 public:
  explicit PendingGuard(telemetry::Gauge& g) : gauge_(&g) { gauge_->incr(); }
  ~PendingGuard() { gauge_->decr(); }
  PendingGuard(const PendingGuard&) = delete;
  PendingGuard& operator=(const PendingGuard&) = delete;

 private:
  telemetry::Gauge* gauge_;
};

/// Stats of one router server; adds the connection gauge and counters.
struct ServerStats : RequestStats {
  explicit ServerStats(const telemetry::Scope& scope);
  telemetry::GaugeSharedPtr connections;
  telemetry::CounterSharedPtr connects;
};

/// The stats scopes of one kind (`rt/<r>/client/<id>`, `rt/<r>/service/<name>`) shared by a
/// router's workers. A worker holds an entry while it caches the name; when the last holder lets
/// go (every worker evicted it as idle), the scope is removed from the registry, as Linkerd's
/// MetricsPruningModule prunes expired clients. Thread-safe.
class SharedStatsCache {
 public:
  /// One name's stats, plus the latest address snapshot a worker bound it to (clients only,
  /// for `/client_state.json`).
  class Entry {
   public:
    Entry(std::string name, const telemetry::Scope& scope) : name_(std::move(name)), stats(scope) {}
    /// The name as bound (`/#/io.l5d.fs/hello`, `/svc/hello`).
    const std::string& name() const noexcept { return name_; }
    /// Records the address snapshot the name is bound to now.
    void set_addr(dtab::AddrConstSharedPtr addr);
    /// The last recorded address snapshot (null before any).
    dtab::AddrConstSharedPtr addr() const;

   private:
    std::string name_;
    mutable std::mutex mutex_;
    dtab::AddrConstSharedPtr addr_;

   public:
    RequestStats stats;  ///< updated lock-free from any worker
  };
  using EntrySharedPtr = std::shared_ptr<Entry>;

  /// Entries under `scope` (which names the kind: `rt/<r>/client`).
  explicit SharedStatsCache(telemetry::Scope scope) : scope_(std::move(scope)) {}
  SharedStatsCache(const SharedStatsCache&) = delete;
  SharedStatsCache& operator=(const SharedStatsCache&) = delete;

  /// The live entry for `name` (a path show, `/` included), created with its stats scope (the
  /// name without its leading `/`, as Linkerd scopes it) when no worker holds one.
  EntrySharedPtr acquire(const std::string& name);

  /// Every entry some worker holds, sorted by name.
  std::vector<EntrySharedPtr> live() const;

 private:
  void release(Entry* entry) noexcept;

  telemetry::Scope scope_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::weak_ptr<Entry>> entries_;
};

/// The stats root of a router (`rt/<label>`), shared by its workers, with the client and service
/// scopes they share. Must outlive the workers' caches.
struct RouterStats {
  explicit RouterStats(telemetry::Scope scope)
      : scope(std::move(scope)),
        clients(this->scope.scope("client")),
        services(this->scope.scope("service")) {}
  telemetry::Scope scope;
  SharedStatsCache clients;   ///< `rt/<r>/client/<id>`
  SharedStatsCache services;  ///< `rt/<r>/service/<name>`
};

}  // namespace meshd::router
