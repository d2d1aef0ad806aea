#pragma once

// The Kubernetes API client: plain HTTP to `kubectl proxy` (Linkerd's mode) or HTTPS with the
// pod's service-account token and cluster CA (in-cluster mode), and the list+watch informers
// built on it. Everything runs on the control `io_context`; nothing here is touched by workers.

#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "meshd/core/asio.h"
#include "meshd/core/result.h"
#include "meshd/telemetry/registry.h"

namespace meshd::k8s {

/// Where and how to reach the API server.
struct ApiConfig {
  /// `kubectl proxy` mode: plain HTTP to host:port, no auth (Linkerd's `host`/`port`, default
  /// localhost:8001). In-cluster mode: HTTPS with `token_file` and `ca_file`.
  std::string host = "localhost";
  std::uint16_t port = 8001;
  bool tls = false;
  std::string token_file;  ///< in-cluster: bearer token, re-read every `token_reread` and on 401
  std::string ca_file;     ///< in-cluster: the only CA trusted for the server
  std::chrono::milliseconds token_reread{std::chrono::minutes(1)};

  /// Connect / response-head timeout of a request (watches: for the head only).
  std::chrono::milliseconds request_timeout{std::chrono::seconds(10)};
  /// A watch that delivers nothing (no event, no bookmark) for this long is closed and resumed
  /// from the last resourceVersion: guards against silently dead connections.
  std::chrono::milliseconds watch_idle_timeout{std::chrono::minutes(5)};
  /// Server-side watch lifetime asked with `timeoutSeconds` (0: do not send it).
  std::chrono::seconds watch_timeout{std::chrono::minutes(5)};
  /// Reconnect backoff: exponential with full jitter from `backoff_min` to `backoff_max`, reset
  /// after a watch delivered something.
  std::chrono::milliseconds backoff_min{std::chrono::milliseconds(100)};
  std::chrono::milliseconds backoff_max{std::chrono::seconds(10)};

  /// `host:port` (brackets for IPv6), for logs and error texts.
  std::string authority() const;
};

/// The in-cluster config when no host/port is configured: reads `KUBERNETES_SERVICE_HOST` and
/// `KUBERNETES_SERVICE_PORT` from the environment and the service-account directory
/// (`MESHD_K8S_SERVICEACCOUNT_DIR`, default `/var/run/secrets/kubernetes.io/serviceaccount`)
/// for `token` and `ca.crt`. nullopt when KUBERNETES_SERVICE_HOST is unset.
std::optional<ApiConfig> in_cluster_config();

/// A whole (non-watch) response.
struct ApiResponse {
  int status = 0;
  std::string body;
};

/// Which objects an informer lists and watches.
struct ResourceRef {
  /// `/api/v1` or `/apis/<group>/<version>`.
  std::string group_version_path;
  /// Plural resource name: `endpoints`, `endpointslices`, `services`, `ingresses`.
  std::string resource;
  /// Namespace; "" for all namespaces (or a cluster-scoped resource).
  std::string ns;
  /// `labelSelector` sent to the server ("" for none).
  std::string label_selector;

  /// The collection path: `/api/v1/namespaces/<ns>/endpoints` or `/apis/g/v/ingresses`.
  std::string collection_path() const;
  /// `resource` in `ns` (or `all namespaces`), for logs.
  std::string show() const;
  auto operator<=>(const ResourceRef&) const = default;
};

/// Objects by `namespace/name`, each the JSON the server sent (watch events' `object`, list
/// items). Immutable once published.
using ObjectStore = std::map<std::string, std::shared_ptr<const boost::json::object>>;
using ObjectStoreConstSharedPtr = std::shared_ptr<const ObjectStore>;

/// A list+watch cache of one `ResourceRef` (client-go's informer): LIST, then WATCH from the
/// list's resourceVersion with `allowWatchBookmarks=true`; ADDED/MODIFIED upsert, DELETED
/// removes, BOOKMARK only moves the resourceVersion; a clean end of the watch resumes from the
/// last resourceVersion; 410 Gone (HTTP 410 or an ERROR event with code 410), other ERROR events
/// and malformed data relist and *replace* the store (objects absent from the new list are
/// deleted); transport errors and 5xx/429 retry with the backoff (honouring Retry-After) while
/// the last store keeps being served. resourceVersions are compared for equality only.
///
/// Control thread only. Created through `ApiClient::informer`, shared by every user of the same
/// `ResourceRef`.
class Informer {
 public:
  virtual ~Informer() = default;

  /// The current objects (empty before the first list).
  virtual ObjectStoreConstSharedPtr store() const = 0;
  /// True once a list has succeeded (the store is authoritative, possibly stale while
  /// disconnected).
  virtual bool synced() const = 0;
  /// The last error if the informer has never synced, or is retrying now; "" otherwise. Names
  /// the resource and what went wrong (`GET /api/v1/namespaces/x/endpoints: 403 Forbidden: …`).
  virtual std::string last_error() const = 0;
  /// The resource.
  virtual const ResourceRef& ref() const = 0;

  /// Calls `on_change` on the control thread after every change of the store or of `synced()`
  /// (once per list, once per applied event). Returns a handle: the callback is dropped when the
  /// handle is destroyed.
  virtual std::shared_ptr<void> subscribe(std::function<void()> on_change) = 0;
};

using InformerSharedPtr = std::shared_ptr<Informer>;

/// A connection-per-request HTTP/1.1 client for one API server, with bearer-token and TLS
/// handling, and the registry of informers shared by everyone using this server.
///
/// Metrics under `scope` (e.g. `{"namer", "#/io.l5d.k8s"}`), Linkerd-style:
/// `client/requests`, `client/success`, `client/failures`, `client/status/<code>`,
/// `client/request_latency_ms`; `watch/started`, `watch/events`, `watch/bookmarks`,
/// `watch/errors`, `watch/relists`, `watch/gone` (410s), `watch/reconnects`; gauges
/// `watch/active` and `informers`.
class ApiClient : public std::enable_shared_from_this<ApiClient> {
 public:
  /// A client on `control` (which must outlive it).
  static std::shared_ptr<ApiClient> create(asio::io_context& control, ApiConfig config,
                                           telemetry::Registry& registry,
                                           std::vector<std::string> scope);
  virtual ~ApiClient() = default;

  /// GET `path_and_query` and read the whole body (up to 64 MiB). Transport failures and
  /// timeouts are errors; any HTTP status is a response. Sends `Host`, `Accept:
  /// application/json`, `User-Agent: meshd/<version>` and, in TLS mode, `Authorization: Bearer`
  /// (re-reading the token file and retrying once on 401).
  virtual asio::awaitable<Result<ApiResponse>> get(std::string path_and_query) = 0;

  /// The informer for `ref`, created and started on first use. At most `max_informers` (256)
  /// exist; past that, nullptr (the caller reports it).
  virtual InformerSharedPtr informer(const ResourceRef& ref) = 0;

  /// True if the server serves `group_version_path` (`/apis/discovery.k8s.io/v1`): GET → 200.
  /// 404 → false; any other outcome is retried with the backoff until it is known (the first
  /// answer is cached for the client's life).
  virtual asio::awaitable<bool> serves(std::string group_version_path) = 0;

  /// The configuration.
  virtual const ApiConfig& config() const = 0;

  /// Stops every informer and outstanding request. Control thread; idempotent.
  virtual void stop() = 0;
};

using ApiClientSharedPtr = std::shared_ptr<ApiClient>;

}  // namespace meshd::k8s
