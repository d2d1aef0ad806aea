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
  std::chrono::milliseconds binding_timeout{10000};
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

 private:
  /// A bound id's state on this worker: its address snapshot and one pool per address.
  struct Client {
    dtab::AddrConstSharedPtr addr;
    std::vector<EndpointPoolSharedPtr> endpoints;
    std::vector<std::string> labels;  ///< `ip:port` of each endpoint, for error texts
    std::size_t next = 0;             ///< round robin cursor
    std::string id_show;              ///< the bound id as text (`l5d-dst-client`, stats)
    RequestStats stats;
  };

  struct CachedBinding {
    std::uint64_t generation = 0;
    dtab::Activity<dtab::NameTree<dtab::BoundName>> tree;
  };

  using BoundTree = dtab::Activity<dtab::NameTree<dtab::BoundName>>;

  asio::awaitable<Result<http::Response>> route_bound(http::Request req);
  static std::string binding_key(const std::string& name, const dtab::Dtab& local);
  /// The binding of `dst` under `local` from this worker's cache, re-bound (synchronously, the
  /// interpreter only reads snapshots) when the namers' generation moved.
  const BoundTree& cached_binding(const dtab::Path& dst, const std::string& key,
                                  const dtab::Dtab& local);
  /// Waits, bounded by bindingTimeoutMs, for a Pending binding to resolve.
  asio::awaitable<BoundTree> bind_pending(const dtab::Path& dst, std::string key,
                                          dtab::Dtab local);
  const dtab::BoundName* pick(const dtab::NameTree<dtab::BoundName>& tree);
  Client& client_for(const dtab::BoundName& bound);
  RequestStats& service_stats(const std::string& name);
  asio::awaitable<Result<http::Response>> forward(http::Request req, Client& client,
                                                  const dtab::BoundName& bound);
  http::Response error(int status, std::string_view message) const;

  RouterOptionsConstSharedPtr options_;
  RouterStats& stats_;
  std::unordered_map<std::string, CachedBinding> bindings_;
  std::unordered_map<dtab::Path, std::unique_ptr<Client>> clients_;
  std::unordered_map<std::string, std::unique_ptr<RequestStats>> services_;  ///< by logical name
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
