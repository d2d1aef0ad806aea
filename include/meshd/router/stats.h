#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "meshd/dtab/name.h"

#include "meshd/telemetry/per_worker.h"
#include "meshd/telemetry/registry.h"

namespace meshd::router {

/// Milliseconds from `start` to `end`, as the latency stats record them.
inline std::uint64_t ms_between(std::chrono::steady_clock::time_point start,
                                std::chrono::steady_clock::time_point end) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(end - start).count());
}

/// Milliseconds since `start`, as the latency stats record them.
inline std::uint64_t elapsed_ms(std::chrono::steady_clock::time_point start) {
  return ms_between(start, std::chrono::steady_clock::now());
}

/// Linkerd's StreamStatsFilter metrics of one h2 stream in a scope (`request/stream/`,
/// `response/stream/`, `stream/`): how long it lasted, whether it ended cleanly, and its data
/// bytes.
struct StreamStats {
  /// Under `scope`, with the duration histogram named `duration_name`.
  StreamStats(const telemetry::Scope& scope, std::string_view duration_name);
  /// Records one stream that ended (cleanly when `ok`) after `duration_ms`, carrying `bytes`.
  void record(bool ok, std::uint64_t duration_ms, std::uint64_t bytes) const;
  /// Records one exchange (`stream/`): no data bytes of its own.
  void record(bool ok, std::uint64_t duration_ms) const;

  telemetry::HistogramSharedPtr duration, data_bytes;
  telemetry::CounterSharedPtr success, failures;
};

/// The h2 stream stats of one scope: `request/stream/{stream_duration_ms,stream_success,
/// stream_failures,data_bytes}`, the same under `response/stream/`, and `stream/` for the whole
/// exchange (`total_latency_ms`, from the request's start until both streams ended).
struct H2StreamStats {
  explicit H2StreamStats(const telemetry::Scope& scope)
      : request(scope.scope("request").scope("stream"), "stream_duration_ms"),
        response(scope.scope("response").scope("stream"), "stream_duration_ms"),
        total(scope.scope("stream"), "total_latency_ms") {}
  StreamStats request, response, total;
};
using H2StreamStatsSharedPtr = std::shared_ptr<const H2StreamStats>;

/// Request stats of one scope (`rt/<r>/server/<ip>/<port>`, `rt/<r>/service/<name>`,
/// `rt/<r>/client/<id>`), Linkerd's names. Created once; updated lock-free from any worker.
struct RequestStats {
  RequestStats() = default;
  explicit RequestStats(const telemetry::Scope& scope);

  /// Records one finished request, a success or a failure as the classifier says.
  void record(bool success, std::uint64_t latency_ms);
  /// h2 routers: registers the scope's stream stats (`h2`). Call once, before sharing.
  void enable_streams() { h2 = std::make_shared<H2StreamStats>(scope); }

  telemetry::Scope scope{dummy_registry(), {}};
  telemetry::CounterSharedPtr requests, success, failures;
  telemetry::GaugeSharedPtr pending;
  telemetry::HistogramSharedPtr request_latency_ms;
  /// The stream stats of h2 routers' scopes; null on http routers.
  H2StreamStatsSharedPtr h2;
  /// `status/<code>` and `status/<N>XX`, created on first use (the registry dedups).
  telemetry::CounterSharedPtr status_counter(int status);
  /// `status/<N>XX` of `status` (`2XX`).
  telemetry::CounterSharedPtr status_class_counter(int status);
  /// `time/<N>XX` of `status`: latency of the responses of that class.
  telemetry::HistogramSharedPtr status_class_latency(int status);

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

/// Stats of one router server; adds the connection gauge and counters, and the requests that
/// got no response (`status/error`, `time/error`).
struct ServerStats : RequestStats {
  explicit ServerStats(const telemetry::Scope& scope);
  telemetry::GaugeSharedPtr connections;
  telemetry::CounterSharedPtr connects;
  telemetry::CounterSharedPtr status_error;
  telemetry::HistogramSharedPtr time_error;
};

/// The `status/<code>`, `status/<N>XX` and `time/<N>XX` metrics of one scope, created on first
/// use of each code and cached. Worker-local (each worker keeps its own cache over the shared
/// metrics).
class StatusStats {
 public:
  /// Counts a response with `status` that took `latency_ms`.
  void record(RequestStats& stats, int status, std::uint64_t latency_ms);

 private:
  struct Metrics {
    telemetry::CounterSharedPtr code, code_class;
    telemetry::HistogramSharedPtr time_class;
  };
  std::unordered_map<int, Metrics> by_status_;
  /// The metrics of the status counted last (most responses have the status of the one
  /// before): no hash lookup then, nor its bucket's and node's cache lines. Elements of an
  /// unordered_map stay where they are when it grows.
  int last_status_ = 0;
  Metrics* last_ = nullptr;
};

/// What each worker publishes about a shared client or service for the gauges to combine.
struct WorkerCell {
  std::atomic<std::int64_t> size{0};         ///< balancer nodes (0: this worker has none)
  std::atomic<std::int64_t> available{0};    ///< Open nodes
  std::atomic<std::int64_t> busy{0};         ///< Busy nodes
  std::atomic<std::int64_t> closed{0};       ///< Closed nodes
  std::atomic<std::int64_t> load{0};         ///< requests outstanding
  std::atomic<std::int64_t> budget{0};       ///< retry (service) or requeue (client) balance
  std::atomic<std::int64_t> connections{0};  ///< open connections (clients)
};
using WorkerCells = telemetry::PerWorker<WorkerCell>;

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
    Entry(std::string name, const telemetry::Scope& scope, std::size_t slots, bool streams)
        : name_(std::move(name)), stats(scope), cells(slots) {
      if (streams) {
        stats.enable_streams();
      }
    }
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
    /// Per-worker values that gauges combine (balancer counts, budget balances): each worker
    /// writes its own cells, the callback gauges read them all. Created with the entry.
    WorkerCells cells;
    /// Callback gauges reading `cells`, registered with the entry (see SharedStatsCache::Kind).
    std::vector<telemetry::GaugeSharedPtr> gauges;
    /// Counters of the entry's kind beyond RequestStats, created once (by name, see
    /// `counter`); shared by the workers.
    telemetry::CounterSharedPtr counter(std::string_view name);

   private:
    std::mutex counters_mutex_;
    std::map<std::string, telemetry::CounterSharedPtr, std::less<>> counters_;
  };
  using EntrySharedPtr = std::shared_ptr<Entry>;

  /// Which gauges an entry registers over its cells: a client's `loadbalancer/{size,available,
  /// busy,closed}` (averaged over the workers that hold it), `loadbalancer/load` and
  /// `retries/budget` (summed); a service's `retries/budget` (summed).
  enum class Kind { Client, Service, Plain };

  /// Entries under `scope` (which names the kind: `rt/<r>/client`); with h2 stream stats when
  /// `streams`.
  explicit SharedStatsCache(telemetry::Scope scope, Kind kind = Kind::Plain, bool streams = false)
      : scope_(std::move(scope)), kind_(kind), streams_(streams) {}
  SharedStatsCache(const SharedStatsCache&) = delete;
  SharedStatsCache& operator=(const SharedStatsCache&) = delete;

  /// The live entry for `name` (a path show, `/` included), created with its stats scope (the
  /// name without its leading `/`, as Linkerd scopes it) when no worker holds one.
  EntrySharedPtr acquire(const std::string& name);

  /// Every entry some worker holds, sorted by name.
  std::vector<EntrySharedPtr> live() const;

 private:
  void release(Entry* entry) noexcept;

  void register_gauges(Entry& entry) const;

  telemetry::Scope scope_;
  Kind kind_;
  bool streams_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::weak_ptr<Entry>> entries_;
};

/// Linkerd's binding cache stats (`rt/<r>/bindcache/<cache>/`), summed over the workers'
/// caches: lookups that found nothing, entries dropped because the cache was full, and entries
/// dropped as idle.
struct BindCacheStats {
  explicit BindCacheStats(const telemetry::Scope& s)
      : misses(s.counter("misses")), evicts(s.counter("evicts")), idle(s.counter("idle")) {}
  telemetry::CounterSharedPtr misses, evicts, idle;
};

/// The stats root of a router (`rt/<label>`), shared by its workers, with the client and service
/// scopes they share. Must outlive the workers' caches.
struct RouterStats {
  /// `streams`: an h2 router, whose client and service scopes have stream stats.
  explicit RouterStats(telemetry::Scope scope, bool streams = false)
      : scope(std::move(scope)),
        clients(this->scope.scope("client"), SharedStatsCache::Kind::Client, streams),
        services(this->scope.scope("service"), SharedStatsCache::Kind::Service, streams),
        path_cache(this->scope.scope("bindcache").scope("path")),
        client_cache(this->scope.scope("bindcache").scope("client")) {}
  telemetry::Scope scope;
  SharedStatsCache clients;     ///< `rt/<r>/client/<id>`
  SharedStatsCache services;    ///< `rt/<r>/service/<name>`
  BindCacheStats path_cache;    ///< bindings of logical name + local dtab
  BindCacheStats client_cache;  ///< clients by bound id
};

}  // namespace meshd::router
