#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "meshd/dtab/bind.h"
#include "meshd/dtab/dtab.h"
#include "meshd/http1/server.h"
#include "meshd/router/endpoint_pool.h"
#include "meshd/router/identifier.h"
#include "meshd/router/lru_cache.h"
#include "meshd/router/stats.h"

namespace meshd::router {

/// Binds a logical name through `dtab` (the naming module's interpreter). Thread-safe.
using BindFn = std::function<dtab::Activity<dtab::NameTree<dtab::BoundName>>(
    const dtab::Dtab& dtab, const dtab::Path& path)>;

/// What a router needs at run time, built once from its config and shared read-only by all
/// workers.
struct RouterOptions {
  std::string label;
  dtab::Dtab base_dtab;
  std::vector<IdentifierConstSharedPtr> identifiers;
  BindFn bind;
  /// Moves whenever any namer's state changes; cached bindings are redone when it does.
  std::function<std::uint64_t()> generation;
  PoolOptions pool;
  /// `bindingTimeoutMs`: how long a request waits for a Pending name before a 502.
  std::chrono::milliseconds binding_timeout{10000};
  /// `bindingCache`: per worker, at most `paths` cached bindings (logical name + local dtab)
  /// and service scopes, at most `clients` clients; anything unused for `idle_ttl` is dropped
  /// with its connections (and its metrics once no worker uses it).
  struct CacheOptions {
    std::size_t paths = 1000;
    std::size_t clients = 1000;
    std::chrono::seconds idle_ttl{600};
  } cache;
  std::size_t max_header_bytes = 8 * 1024;  ///< maxHeadersKB, also the `l5d-err` cap
};

using RouterOptionsConstSharedPtr = std::shared_ptr<const RouterOptions>;

/// A router's state on one worker: binding cache, clients (one per bound id, round robin over
/// its addresses) and their connection pools. Worker-local.
class RouterWorker {
 public:
  RouterWorker(RouterOptionsConstSharedPtr options, RouterStats& stats);

  /// Identifies, binds and forwards `req`, and decorates the response as Linkerd does. Never
  /// fails: routing errors become Linkerd's error responses. Runs on the worker's executor;
  /// cancellation (the client left) abandons the upstream exchange.
  asio::awaitable<Result<http::Response>> route(http::Request req);

  const RouterOptions& options() const noexcept { return *options_; }

  /// Housekeeping from the worker's tick: at most once a second, drops the cached bindings,
  /// services and clients unused for `cache.idle_ttl`.
  void tick(std::chrono::steady_clock::time_point now);

  /// Drops every cached binding, service and client, closing their idle connections. Call on
  /// the worker's thread, or once it has stopped, before its io_context is destroyed (sockets
  /// must go before the reactor they are registered with).
  void clear();

  /// Sizes of this worker's caches (tests and diagnostics).
  struct CacheSizes {
    std::size_t bindings, services, clients;
  };
  CacheSizes cache_sizes() const noexcept {
    return {bindings_.size(), services_.size(), clients_.size()};
  }

 private:
  /// A bound id's state on this worker: its address snapshot and one pool per address.
  struct Client {
    dtab::AddrConstSharedPtr addr;
    std::vector<EndpointPoolSharedPtr> endpoints;
    std::vector<std::string> labels;          ///< `ip:port` of each endpoint, for error texts
    std::size_t next = 0;                     ///< round robin cursor
    std::string id_show;                      ///< the bound id as text (`l5d-dst-client`, stats)
    SharedStatsCache::EntrySharedPtr shared;  ///< stats and address state, shared by workers
    RequestStats& stats() const { return shared->stats; }
  };
  using ClientSharedPtr = std::shared_ptr<Client>;

  struct CachedBinding {
    std::uint64_t generation = 0;
    dtab::Activity<dtab::NameTree<dtab::BoundName>> tree;
  };

  using BoundTree = dtab::Activity<dtab::NameTree<dtab::BoundName>>;
  using TimePoint = std::chrono::steady_clock::time_point;

  asio::awaitable<Result<http::Response>> route_bound(http::Request req);
  static std::string binding_key(const std::string& name, const dtab::Dtab& local);
  /// The binding of `dst` under `local` from this worker's cache, re-bound (synchronously, the
  /// interpreter only reads snapshots) when the namers' generation moved. A copy: the cache
  /// may evict the entry while the caller still uses it.
  BoundTree cached_binding(const dtab::Path& dst, const std::string& key, const dtab::Dtab& local,
                           TimePoint now);
  /// Waits, bounded by bindingTimeoutMs, for a Pending binding to resolve.
  asio::awaitable<BoundTree> bind_pending(const dtab::Path& dst, std::string key, dtab::Dtab local);
  const dtab::BoundName* pick(const dtab::NameTree<dtab::BoundName>& tree);
  ClientSharedPtr client_for(const dtab::BoundName& bound, TimePoint now);
  SharedStatsCache::EntrySharedPtr service_stats(const std::string& name, TimePoint now);
  asio::awaitable<Result<http::Response>> forward(http::Request req, Client& client,
                                                  const dtab::BoundName& bound);
  http::Response error(int status, std::string_view message) const;

  RouterOptionsConstSharedPtr options_;
  RouterStats& stats_;
  LruCache<std::string, CachedBinding> bindings_;                     ///< by binding_key
  LruCache<std::string, SharedStatsCache::EntrySharedPtr> services_;  ///< by logical name
  LruCache<dtab::Path, ClientSharedPtr> clients_;                     ///< by bound id
  TimePoint last_expire_{};
  std::minstd_rand random_{std::random_device{}()};
};

/// Per-server settings (`servers[]`).
struct ServerSettings {
  bool clear_context = false;
  std::optional<int> max_concurrent_requests;
  /// Requests in flight on this server across all workers (shared, relaxed).
  std::shared_ptr<std::atomic<int>> in_flight = std::make_shared<std::atomic<int>>(0);
};

/// The service behind one router server on one worker: Linkerd's server stack (context headers
/// and `clearContext`, the concurrency limit, stats, the error responder) in front of the
/// router. Worker-local.
class ServerService final : public http1::HttpService {
 public:
  ServerService(RouterWorker& router, ServerSettings settings, ServerStats& stats);

  // meshd::Service
  asio::awaitable<Result<http::Response>> call(http::Request req) override;

 private:
  std::optional<http::Response> read_context(http::Request& req) const;
  static void clear_response(http::Response& rsp);

  RouterWorker& router_;
  ServerSettings settings_;
  ServerStats& stats_;
  /// `status/<code>` and `status/<N>XX` by code; worker-local.
  std::unordered_map<int, std::pair<telemetry::CounterSharedPtr, telemetry::CounterSharedPtr>>
      status_counters_;
};

}  // namespace meshd::router
