#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "meshd/admin/security.h"
#include "meshd/core/asio.h"
#include "meshd/core/service.h"
#include "meshd/http/message.h"
#include "meshd/telemetry/registry.h"

namespace meshd::admin {

/// One bound listener as `/admin/listeners.json` reports it, so that tests started with port 0
/// can find the real ports: `{"router":"outgoing","ip":"127.0.0.1","port":41523}`.
struct ListenerInfo {
  std::string router;  ///< router label, or "admin" for the admin server itself
  std::string ip;
  std::uint16_t port = 0;
};

/// A request as an admin handler sees it: the body already read, the query decoded.
struct AdminRequest {
  std::string method;
  std::string path;  ///< percent-decoded path, without the query
  std::vector<std::pair<std::string, std::string>> params;  ///< decoded query, in order
  http::Headers headers;
  std::string body;

  /// The first value of query parameter `name` (empty for `?name`), or nullopt when absent.
  std::optional<std::string_view> param(std::string_view name) const;
  /// A boolean query parameter the way Finagle reads one: `1` or `true` (any case) is true,
  /// anything else false, `fallback` when absent.
  bool flag(std::string_view name, bool fallback = false) const;
};

/// Serves one admin path. Runs on the admin server's executor (the control thread); a handler
/// reading worker state must do so thread-safely. Its captures must outlive the AdminService.
using AdminHandler = std::function<asio::awaitable<http::Response>(AdminRequest)>;

/// The admin HTTP service on `admin.ip:port` (Linkerd's :9990), served by meshd's own HTTP/1.1
/// server codec like any other `Service`. Routing is by exact path; unknown paths get an empty
/// 404 like Linkerd. Built-in paths:
/// - `/admin/ping` → `pong`;
/// - `/admin/metrics.json` (`?pretty=1`, `?tree=1`, `?q=a/b`; unknown `q` → 404
///   `{"error": "No such subtree: <q>"}`);
/// - the Prometheus path, when `Options::prometheus_path` is set;
/// - `/admin/shutdown`: POST only (else 405), optional `?grace=10.seconds` (unparseable →
///   400), answers `quitting\n` and then calls `on_shutdown`;
/// - `/admin/ready` → 200 `ready` once `ready()` says so, 503 `not ready` before;
/// - `/admin/listeners.json` → the array from `listeners()`;
/// - `/config.json` → `config_json()`, when set;
/// - `/admin` and `/admin/index.txt` → every path, one per line (all of them, whatever
///   `security` allows, as in Linkerd).
/// With `Options::security`, a request for a path the filter refuses gets an empty 404 before
/// anything else happens, whatever its method. The request body of a served request is read
/// (up to `max_body_bytes`, else 413) before dispatching.
/// The admin module depends on no router or app code: everything it reports comes from the
/// callbacks in `Options`, all called on the admin server's executor.
class AdminService final : public Service<http::Request, http::Response> {
 public:
  struct Options {
    /// Grace given to `on_shutdown` when `/admin/shutdown` has no `grace` (admin.shutdownGraceMs).
    std::chrono::milliseconds shutdown_grace{10000};
    /// Starts a graceful shutdown. Posted to the admin executor after the handler returns, so
    /// it may stop the admin server; it must not block. Unset: shutdown requests only answer.
    std::function<void(std::chrono::milliseconds grace)> on_shutdown;
    /// Whether the proxy is ready (all routers listening). Unset: always ready.
    std::function<bool()> ready;
    /// The bound listeners. Unset: an empty array.
    std::function<std::vector<ListenerInfo>()> listeners;
    /// The parsed config as JSON text. Unset: `/config.json` is not served.
    std::function<std::string()> config_json;
    /// Where to serve Prometheus text (`/admin/metrics/prometheus` when `io.l5d.prometheus` is
    /// configured); empty: not served. `prometheus_prefix` is prepended to every name.
    std::string prometheus_path;
    std::string prometheus_prefix;
    /// Larger request bodies are answered with 413.
    std::size_t max_body_bytes = 1 << 20;
    /// Further exact paths (`/delegator.json`, `/client_state.json`); they may replace built-ins.
    std::map<std::string, AdminHandler, std::less<>> handlers;
    /// `admin.security`, compiled (`SecurityFilter::compile`). Unset: every path is served.
    std::optional<SecurityFilter> security;
  };

  /// `registry` must outlive the service.
  AdminService(telemetry::Registry& registry, Options options);

  // meshd::Service
  /// Answers one admin request. Errors are returned only when the request body cannot be read
  /// (the connection is then closed); every other outcome is a response. Runs on the admin
  /// server's executor; cancellation abandons the body read.
  asio::awaitable<Result<http::Response>> call(http::Request& req) override;

  /// Every served path, sorted (what `/admin/index.txt` lists).
  std::vector<std::string> paths() const;

 private:
  void add_routes(Options options);

  telemetry::Registry& registry_;
  std::size_t max_body_bytes_;
  std::optional<SecurityFilter> security_;
  std::map<std::string, AdminHandler, std::less<>> routes_;  // fixed after construction
};

}  // namespace meshd::admin
