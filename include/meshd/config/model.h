#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "meshd/dtab/dtab.h"
#include "meshd/dtab/path.h"

/// The typed config model: plain data decoded from a Linkerd 1.7.5-schema YAML or JSON file by
/// `config::load` (load.h). Defaults are written here and in docs/config.md. Field names are the
/// snake_case form of the Linkerd key (`maxHeadersKB` → `max_headers_kb`); the key itself is kept
/// in each field's `Position::path`. The runtime never sees YAML: `app::Linker` reads these
/// structs (only after `LoadResult::ok()`), and nothing here is mutated after loading.
namespace meshd::config {

/// Where a value was written: 1-based line and column in the config file and the dotted key path
/// (`routers[0].servers[1].port`). For a value that was not written (a default), `line`/`column`
/// point at the object that would hold it, so errors about defaults still have a place.
struct Position {
  int line = 0;      ///< 1-based; 0 only for values not produced by `config::load`
  int column = 0;    ///< 1-based
  std::string path;  ///< dotted key path from the document root; empty for the root itself
};

/// A decoded value plus where it came from. `present` is false when the key was absent (or
/// `null`) and `value` is the default written in the model.
template <class T>
struct Located {
  T value{};
  Position pos{};
  bool present = false;  ///< true when the key was written in the file
};

/// A dtab as written (`text`) and as parsed by `dtab::Dtab::read` (`parsed`).
struct DtabValue {
  std::string text;     ///< the dtab string exactly as in the file
  dtab::Dtab parsed{};  ///< `Dtab::read(text)`; empty when `text` is empty or invalid
};

/// A Finagle path as written (`text`) and as parsed by `dtab::Path::read` (`parsed`).
/// `config::load` always fills `parsed`, for defaults too.
struct PathValue {
  std::string text;     ///< the path string, e.g. `/svc`
  dtab::Path parsed{};  ///< `Path::read(text)`; empty when `text` is invalid
};

/// A key that meshd recognises but does not implement yet (a later issue will): its value is kept
/// as generic JSON so that nothing is silently dropped. `config::load` reports every one of these
/// as an error (`"<key>" is not supported yet`), so a config holding any is never `ok()`.
struct UnsupportedValue {
  std::string key;           ///< the key as written (`client`, `tls`, `telemetry`)
  Position pos;              ///< where the key was written
  boost::json::value value;  ///< the value converted from YAML (plain scalars typed like JSON)
};

/// A list of strings (`ciphers`, `pathWhitelist`), each with where it was written.
using StringList = std::vector<Located<std::string>>;

/// A server TLS object (inventory §3.8; `admin.tls`, and router servers' `tls`). File
/// existence and contents are checked when meshd starts, not by `config::load`.
struct ServerTlsConfig {
  Position pos;
  Located<std::string> cert_path;                ///< `certPath`, required (PEM)
  Located<std::string> key_path;                 ///< `keyPath`, required (PEM, PKCS#8 or #1)
  Located<std::string> intermediate_certs_path;  ///< `intermediateCertsPath` (PEM chain)
  Located<std::string> ca_cert_path;             ///< `caCertPath`: CAs for client certificates
  Located<bool> require_client_auth{false};      ///< `requireClientAuth`
  StringList ciphers;                            ///< OpenSSL cipher names; empty: defaults
  StringList protocols;                          ///< `TLSv1.2`, `TLSv1.3`; empty: both
};

/// `client.tls.clientAuth`: the certificate a client presents (mutual TLS).
struct ClientAuthConfig {
  Position pos;
  Located<std::string> cert_path;                ///< `certPath`, required (PEM)
  Located<std::string> key_path;                 ///< `keyPath`, required (PEM, PKCS#8 or #1)
  Located<std::string> intermediate_certs_path;  ///< `intermediateCertsPath` (PEM chain)
};

/// A client TLS object (inventory §3.8; `client.tls`, per static config). Files are checked
/// when meshd starts. `config::load` checks: `commonName` required unless `disableValidation`
/// or `enabled: false`; `disableValidation` with `clientAuth` is an error, and so are both
/// `trustCerts` and `trustCertsBundle`.
struct ClientTlsConfig {
  Position pos;
  Located<bool> enabled{true};             ///< `enabled: false`: plaintext (overrides a prefix)
  Located<bool> disable_validation{false};  ///< `disableValidation`: trust any certificate
  /// `commonName`: verified against the server certificate and sent as SNI; may hold
  /// `{captures}` of the static config's `prefix`, substituted per client.
  Located<std::string> common_name;
  Located<std::string> trust_certs_bundle;  ///< `trustCertsBundle`: one PEM bundle
  StringList trust_certs;                   ///< `trustCerts`: PEM files (deprecated)
  std::optional<ClientAuthConfig> client_auth;  ///< `clientAuth`
  StringList protocols;                         ///< `TLSv1.2`, `TLSv1.3`; empty: both
};

/// `admin.security` (Linkerd 1.4.5+): which admin paths are served. A rejected request is
/// answered 404. The regexes match whole paths (ECMAScript syntax) and are checked by
/// `config::load`.
struct AdminSecurityConfig {
  Position pos;
  bool present = false;                     ///< `security` was written
  Located<bool> ui_enabled{true};           ///< `uiEnabled`
  Located<bool> control_enabled{true};      ///< `controlEnabled`
  Located<bool> diagnostics_enabled{true};  ///< `diagnosticsEnabled`
  StringList path_whitelist;                ///< `pathWhitelist`
  StringList path_blacklist;                ///< `pathBlacklist`
};

/// Server of the admin HTTP interface (Linkerd `admin:`).
struct AdminConfig {
  Position pos;
  Located<std::string> ip{"127.0.0.1"};  ///< literal IPv4/IPv6 address to listen on
  Located<int> port{9990};               ///< 0–65535; 0 lets the OS choose
  /// How long a graceful shutdown drains in-flight requests (≥ 0; 0 = exit without draining).
  Located<std::chrono::milliseconds> shutdown_grace{std::chrono::milliseconds{10000}};
  AdminSecurityConfig security;               ///< `security`
  std::optional<ServerTlsConfig> tls;         ///< `tls`: the admin server speaks HTTPS
  std::vector<UnsupportedValue> unsupported;  ///< httpIdentifierPort, socketOptions, …
};

/// `httpAccessLog` and its companions (inventory §4.1): one line per request in Linkerd's
/// format, written to `path` and rolled by `roll_policy`. h2 routers use it for `h2AccessLog`,
/// `h2AccessLogRollPolicy`, `h2AccessLogAppend` and `h2AccessLogRotateCount` (inventory §13).
struct HttpAccessLogConfig {
  Located<std::string> path;                  ///< `httpAccessLog`; empty: no access log
  Located<std::string> roll_policy{"never"};  ///< `httpAccessLogRollPolicy`, checked at load
  Located<bool> append{true};                 ///< `httpAccessLogAppend`
  Located<int> rotate_count{-1};              ///< `httpAccessLogRotateCount`; -1 keeps all
};

/// The HTTP/2 settings keys shared by the servers and the clients of h2 routers (Linkerd's
/// `H2EndpointConfig`, inventory §13). Each is optional: nullopt (`present` false) keeps the
/// codec's default (see `http2::Settings`) or, in a static client config, an earlier match's.
struct H2SettingsConfig {
  /// `initialStreamWindowBytes` (1–2147483647): SETTINGS_INITIAL_WINDOW_SIZE.
  Located<std::optional<int>> initial_stream_window_bytes;
  /// `windowUpdateRatio`, strictly between 0 and 1: when a stream's window is credited back.
  Located<std::optional<double>> window_update_ratio;
  /// `headerTableBytes` (0–2147483647): SETTINGS_HEADER_TABLE_SIZE.
  Located<std::optional<int>> header_table_bytes;
  /// `maxFrameBytes` (16384–16777215): SETTINGS_MAX_FRAME_SIZE.
  Located<std::optional<int>> max_frame_bytes;
  /// `maxHeaderListBytes` (1–2147483647): SETTINGS_MAX_HEADER_LIST_SIZE.
  Located<std::optional<int>> max_header_list_bytes;
};

/// Linkerd's anonymous usage reporting: accepted for compatibility, never acted on.
struct UsageConfig {
  Position pos;
  Located<std::string> org_id;  ///< `orgId`
  Located<bool> enabled{true};  ///< `enabled`
};

/// `io.l5d.header.token`: the logical name is `dstPrefix/<value of header as one segment>`.
/// On h2 routers `header` defaults to `:authority` (set by the decoder) and may name a
/// pseudo-header (`:authority`, `:path`, `:method`, `:scheme`).
struct HeaderTokenIdentifierConfig {
  Located<std::string> header{"Host"};
};

/// `io.l5d.header.path` (h2 routers only; inventory §13, the gRPC identifier):
/// `dstPrefix ++ <path of header, query and one trailing "/" stripped>`, truncated to its first
/// `segments` segments. `:path` is the request target (`http::Request::target`).
struct HeaderPathIdentifierConfig {
  Located<std::string> header{":path"};  ///< a header name or pseudo-header
  Located<std::optional<int>> segments;  ///< ≥ 1; nullopt: the whole path
};

/// `io.l5d.methodAndHost`: `dstPrefix/<version>/<METHOD>/<host>[/<uri path>]`.
struct MethodAndHostIdentifierConfig {
  Located<bool> http_uri_in_dst{false};  ///< `httpUriInDst`: append the URI path segments
};

/// `io.l5d.path`: `dstPrefix/<first `segments` path segments>`.
struct PathIdentifierConfig {
  Located<int> segments{1};      ///< ≥ 1
  Located<bool> consume{false};  ///< strip the used segments from the forwarded URI
};

/// `io.l5d.header`: `dstPrefix ++ Path.read(<value of header>)`.
struct HeaderIdentifierConfig {
  Located<std::string> header{"l5d-name"};
};

/// `io.l5d.static`: always `dstPrefix ++ path`.
struct StaticIdentifierConfig {
  Located<PathValue> path;  ///< required
};

/// Settings of an identifier kind that is recognised but not implemented yet (`io.l5d.ingress`).
struct UnsupportedPluginConfig {
  boost::json::value raw;  ///< the whole plugin object as JSON
};

/// How a Kubernetes plugin reaches the API server (Linkerd's `host`/`port`, `k8sHost`/`k8sPort`
/// on the daemonset transformer). Both absent and `KUBERNETES_SERVICE_HOST` set in the
/// environment → in-cluster mode (HTTPS, service-account token and CA); otherwise plain HTTP to
/// host:port, `kubectl proxy`'s default localhost:8001.
struct K8sApiConfig {
  Located<std::string> host{"localhost"};
  Located<int> port{8001};
};

/// `io.l5d.ingress`: names requests from the Kubernetes Ingresses of `namespace` (all when
/// absent) whose class is `ingressClassAnnotation` (inventory §4.3).
struct IngressIdentifierConfig {
  Located<std::string> ns;                        ///< `namespace`; "" = all namespaces
  Located<std::string> ingress_class{"linkerd"};  ///< `ingressClassAnnotation`
  Located<bool> ignore_default_backends{false};   ///< `ignoreDefaultBackends`
  K8sApiConfig api;
};

/// One element of a router's `identifier` (an object or a list of objects in the file).
struct IdentifierConfig {
  Position pos;
  Located<std::string> kind;          ///< `io.l5d.header.token`, `io.l5d.path`, …
  Located<bool> experimental{false};  ///< accepted on every plugin
  std::variant<HeaderTokenIdentifierConfig, MethodAndHostIdentifierConfig, PathIdentifierConfig,
               HeaderIdentifierConfig, StaticIdentifierConfig, IngressIdentifierConfig,
               UnsupportedPluginConfig, HeaderPathIdentifierConfig>
      settings;  ///< the alternative matching `kind`
};

/// `io.l5d.k8s.daemonset`: every address becomes the pods of the daemon Service
/// `namespace`/`service` (port named `port`) on the same /24, or the same node with
/// `hostNetwork`. Default id prefix `/%/io.l5d.k8s.daemonset/<namespace>/<port>/<service>`.
struct DaemonSetTransformerConfig {
  Located<std::string> ns;       ///< `namespace`, required
  Located<std::string> service;  ///< required
  Located<std::string> port;     ///< required: a port name (or number) of the Service
  Located<bool> host_network{false};
  K8sApiConfig api;  ///< `k8sHost`, `k8sPort`
};

/// `io.l5d.k8s.localnode`: keeps the addresses on this node: the /24 of env `POD_IP`, or with
/// `hostNetwork` the `nodeName` equal to env `NODE_NAME` (read when meshd starts).
struct LocalnodeTransformerConfig {
  Located<bool> host_network{false};
};

/// `io.l5d.port`: replaces the port of every address (`port`, required, 1–65535).
struct PortTransformerConfig {
  Located<int> port;
};

/// `io.l5d.localhost`: keeps the addresses that are an IP of a local network interface.
struct LocalhostTransformerConfig {};

/// `io.l5d.specificHost`: keeps the addresses equal to an IP of `host` (required; an IP literal
/// or a hostname, resolved asynchronously).
struct SpecificHostTransformerConfig {
  Located<std::string> host;
};

/// `io.l5d.replace`: every bound leaf is replaced by `path` (required) bound through the
/// configured namers with an empty dtab.
struct ReplaceTransformerConfig {
  Located<PathValue> path;
};

/// `io.l5d.const`: the whole tree becomes `path` (required) bound as `io.l5d.replace` does.
struct ConstTransformerConfig {
  Located<PathValue> path;
};

/// One transformer (`interpreter.transformers[]` or `namers[].transformers[]`), applied in list
/// order to every bound leaf. The bound ids it produces start with `/%` ++ `prefix`.
struct TransformerConfig {
  Position pos;
  Located<std::string> kind;  ///< `io.l5d.port`, …
  Located<bool> experimental{false};
  /// Defaults per kind (inventory §7.3): `/io.l5d.port/<port>`, `/io.l5d.localhost`,
  /// `/io.l5d.specificHost`, `/io.l5d.replace`, `/io.l5d.const`. See `transformer_prefix_path`.
  Located<PathValue> prefix;
  std::variant<PortTransformerConfig, LocalhostTransformerConfig, SpecificHostTransformerConfig,
               ReplaceTransformerConfig, ConstTransformerConfig, DaemonSetTransformerConfig,
               LocalnodeTransformerConfig, UnsupportedPluginConfig>
      settings;  ///< the alternative matching `kind`
};

/// The prefix of the ids a transformer produces, `/%` ++ `prefix`.
inline dtab::Path transformer_prefix_path(const TransformerConfig& t) {
  return dtab::Path::of({"%"}) + t.prefix.value.parsed;
}

/// A router's `interpreter` (inventory §3.5, §8).
struct InterpreterConfig {
  Position pos;
  /// `default` or `io.l5d.fs`; `present` is false when the file left `kind` (or the whole
  /// `interpreter`) out.
  Located<std::string> kind{"default"};
  Located<bool> experimental{false};
  /// `io.l5d.fs` only: `dtabFile` (required there), a file holding a dtab that is watched and
  /// prepended to the router's dtab.
  Located<std::string> dtab_file;
  std::vector<TransformerConfig> transformers;  ///< applied in order to every bound tree
  /// For a recognised but unsupported kind (`io.l5d.namerd`, …) the whole object; else null.
  boost::json::value raw;
};

/// `bindingCache` (inventory §3.1, §6.5): capacities of the binding caches (each ≥ 1) and idle
/// expiry (≥ 1 s).
struct BindingCacheConfig {
  Position pos;
  Located<int> paths{1000};    ///< logical name + local dtab → bound tree
  Located<int> trees{1000};    ///< bound trees
  Located<int> bounds{1000};   ///< bound ids + residual
  Located<int> clients{1000};  ///< bound ids → client (balancer + connection pools)
  /// Entries unused this long are dropped (their client metrics too). `idleTtlSecs`, 600.
  Located<std::chrono::seconds> idle_ttl{std::chrono::seconds{600}};
};

/// A backoff stream (`retries.backoff`, `failureAccrual.backoff`; inventory §3.4, §12.2).
struct BackoffConfig {
  Position pos;
  Located<std::string> kind;                  ///< required: `constant` or `jittered`
  Located<std::chrono::milliseconds> ms;      ///< constant: `ms` (≥ 0), default 0
  Located<std::chrono::milliseconds> min_ms;  ///< jittered: `minMs` (required, ≥ 0)
  Located<std::chrono::milliseconds> max_ms;  ///< jittered: `maxMs` (required, ≥ minMs)
};

/// A retry budget (`service.retries.budget`, `client.requeueBudget`; inventory §12.3).
struct RetryBudgetConfig {
  Position pos;
  Located<std::chrono::seconds> ttl{std::chrono::seconds{10}};  ///< `ttlSecs`, 1–60
  Located<double> min_retries_per_sec{10.0};  ///< `minRetriesPerSec`, an integer ≥ 0 (Int)
  Located<double> percent_can_retry{0.2};     ///< `percentCanRetry`, 0–1000
};

/// `client.loadBalancer` (inventory §12.1). Keys other than `kind`, `maxEffort` and
/// `enableProbation` belong to one kind and are errors on the others.
struct LoadBalancerConfig {
  Position pos;
  Located<std::string> kind{"p2c"};  ///< p2c (also when absent), ewma, aperture, heap, roundRobin
  Located<int> max_effort{5};        ///< `maxEffort`, ≥ 1
  Located<bool> enable_probation{false};
  Located<std::chrono::milliseconds> decay_time{std::chrono::milliseconds{10000}};    ///< ewma
  Located<std::chrono::milliseconds> smooth_window{std::chrono::milliseconds{5000}};  ///< aperture
  Located<double> low_load{0.5};   ///< aperture `lowLoad`
  Located<double> high_load{2.0};  ///< aperture `highLoad` (> lowLoad)
  Located<int> min_aperture{1};    ///< aperture `minAperture`, ≥ 1
};

/// `client.failureAccrual` (inventory §12.2).
struct FailureAccrualConfig {
  Position pos;
  /// io.l5d.consecutiveFailures, io.l5d.successRate, io.l5d.successRateWindowed, none
  Located<std::string> kind;
  Located<int> failures{5};              ///< consecutiveFailures: `failures`, ≥ 1 (required)
  Located<double> success_rate{0.0};     ///< successRate*: `successRate` in [0, 1] (required)
  Located<int> requests{0};              ///< successRate: `requests`, ≥ 1 (required)
  Located<std::chrono::seconds> window;  ///< successRateWindowed: `window` secs ≥ 1 (required)
  std::optional<BackoffConfig> backoff;  ///< absent: equal jitter 5 s–300 s
};

/// `client.hostConnectionPool` (inventory §3.3): per endpoint.
struct HostConnectionPoolConfig {
  Position pos;
  Located<int> min_size{0};        ///< `minSize`: connections kept even when idle
  Located<int> max_size{INT_MAX};  ///< `maxSize` ≥ max(1, minSize): connections at most
  /// `idleTimeMs`: idle connections above minSize close after this; absent = meshd's default
  Located<std::optional<std::chrono::milliseconds>> idle_time;
  Located<int> max_waiters{INT_MAX};  ///< `maxWaiters` ≥ 0: requests queued for a connection
};

/// One client policy: `client` itself (io.l5d.global) or one of `client.configs[]`
/// (io.l5d.static). Each key is optional: absent keys do not override earlier matches.
struct ClientPolicyConfig {
  Position pos;
  /// io.l5d.static: a PathMatcher (inventory §3.6) matched against the bound id (required).
  Located<std::string> prefix;
  std::optional<LoadBalancerConfig> load_balancer;
  std::optional<FailureAccrualConfig> failure_accrual;
  /// `requestAttemptTimeoutMs` ≥ 1
  Located<std::chrono::milliseconds> request_attempt_timeout;
  std::optional<HostConnectionPoolConfig> host_connection_pool;
  std::optional<RetryBudgetConfig> requeue_budget;
  Located<bool> fail_fast{false};  ///< `failFast`: only false is supported for now
  std::optional<ClientTlsConfig> tls;  ///< `tls`: absent keeps earlier matches' (or plaintext)
  /// h2 routers only: `windowUpdateRatio`, `headerTableBytes`, `initialStreamWindowBytes`,
  /// `maxFrameBytes`, `maxHeaderListBytes` (each absent key keeps earlier matches').
  H2SettingsConfig h2;
  /// clientSession, socketOptions, forwardClientCert, requestAuthorizers; on http routers also
  /// the h2 keys above, which are reported as existing only for h2 routers.
  std::vector<UnsupportedValue> unsupported;
};

/// `client` of a router (inventory §3.3).
struct ClientConfig {
  Position pos;
  Located<std::string> kind{"io.l5d.global"};  ///< io.l5d.global or io.l5d.static
  /// io.l5d.global: one entry without a prefix; io.l5d.static: `configs`, in file order.
  std::vector<ClientPolicyConfig> configs;
};

/// `service.responseClassifier` (inventory §12.4, §12.5). http routers take the
/// `io.l5d.http.*` kinds, h2 routers the `io.l5d.h2.*` and `io.l5d.h2.grpc.*` kinds
/// (`filters::parse_classifier_kind` maps every name).
struct ResponseClassifierConfig {
  Position pos;
  Located<std::string> kind;  ///< io.l5d.http.nonRetryable5XX, …, io.l5d.h2.grpc.compliant
  /// gRPC kinds only: `successStatusCodes`, the grpc-status values that are successes (each ≥ 0).
  Located<std::vector<int>> success_status_codes{std::vector<int>{0}};
  /// `io.l5d.h2.grpc.retryableStatusCodes` only (required there): `retryableStatusCodes`, the
  /// grpc-status values that may be retried (each ≥ 0).
  Located<std::vector<int>> retryable_status_codes;
};

/// `service.retries`.
struct RetriesConfig {
  Position pos;
  std::optional<RetryBudgetConfig> budget;
  std::optional<BackoffConfig> backoff;  ///< absent: constant 0 ms
};

/// `service.retryBufferSize` (h2 routers; inventory §12.3, §13): an h2 attempt may be retried
/// only while its request and response fit these buffers.
struct RetryBufferSizeConfig {
  Position pos;
  Located<int> request_bytes{16383};   ///< `requestBytes` ≥ 0
  Located<int> response_bytes{16383};  ///< `responseBytes` ≥ 0
};

/// One service policy: `service` itself (io.l5d.global) or one of `service.configs[]`
/// (io.l5d.static). Each key is optional: absent keys do not override earlier matches.
struct ServicePolicyConfig {
  Position pos;
  Located<std::string> prefix;  ///< io.l5d.static: a PathMatcher on the logical name (required)
  Located<std::chrono::milliseconds> total_timeout;  ///< `totalTimeoutMs` ≥ 1
  std::optional<RetriesConfig> retries;
  std::optional<ResponseClassifierConfig> response_classifier;
  /// h2 routers only: `classificationTimeoutMs` ≥ 0, how long a retry decision may wait for the
  /// end of the response stream (a stream not classified by then is not retried).
  Located<std::chrono::milliseconds> classification_timeout{std::chrono::milliseconds{100}};
  std::optional<RetryBufferSizeConfig> retry_buffer_size;  ///< h2 routers only; absent: 16383 each
  /// On http routers: classificationTimeoutMs, retryBufferSize, reported as existing only for h2
  /// routers.
  std::vector<UnsupportedValue> unsupported;
};

/// `service` of a router (inventory §3.4).
struct ServiceConfig {
  Position pos;
  Located<std::string> kind{"io.l5d.global"};
  std::vector<ServicePolicyConfig> configs;
};

/// One listener of a router (`servers[]`).
struct ServerConfig {
  Position pos;
  Located<std::string> ip{"127.0.0.1"};  ///< literal IPv4/IPv6 address, no host names
  /// 0–65535; 0 lets the OS choose (never conflicts). Default 4140 (http), 4142 (h2).
  Located<int> port{4140};
  Located<bool> clear_context{false};  ///< `clearContext`: drop inbound `l5d-ctx-*`/`l5d-dtab`
  /// `maxConcurrentRequests`: requests above this are rejected at once; nullopt = unlimited.
  Located<std::optional<int>> max_concurrent_requests;
  std::optional<ServerTlsConfig> tls;  ///< `tls`: the server speaks HTTPS only
  /// h2 routers only: `maxConcurrentStreamsPerConnection` ≥ 1 (SETTINGS_MAX_CONCURRENT_STREAMS).
  Located<int> max_concurrent_streams_per_connection{1000};
  H2SettingsConfig h2;                        ///< h2 routers only: the HTTP/2 settings keys
  std::vector<UnsupportedValue> unsupported;  ///< timeoutMs, socketOptions, …
};

/// One router (`routers[]`). `protocol: http` and `h2` are decoded (h2 routers are rejected by
/// `config::load` until `h2_routers_runnable()`); other protocols are recognised, rejected, and
/// their settings kept in `raw`.
struct RouterConfig {
  Position pos;
  Located<std::string> protocol;  ///< required; `http` or `h2`
  Located<std::string> label;     ///< defaults to `protocol`; unique
  Located<bool> experimental{false};
  Located<DtabValue> dtab;                           ///< base dtab; empty by default
  Located<PathValue> dst_prefix{PathValue{"/svc"}};  ///< `dstPrefix`
  /// Tried in order, first match wins; default: one `io.l5d.header.token` on `Host` (http) or
  /// `:authority` (h2).
  std::vector<IdentifierConfig> identifiers;
  Position identifier_pos;              ///< where `identifier` was written (or the router)
  std::vector<ServerConfig> servers;    ///< at least one
  Located<int> max_headers_kb{8};       ///< `maxHeadersKB` (http only)
  Located<int> max_initial_line_kb{4};  ///< `maxInitialLineKB` (http only)
  Located<int> stream_after_content_length_kb{5};  ///< `streamAfterContentLengthKB` (http only)
  InterpreterConfig interpreter;                   ///< `interpreter`, `{kind: default}`
  /// `bindingTimeoutMs`: how long a request waits for its name to bind (≥ 1).
  Located<std::chrono::milliseconds> binding_timeout{std::chrono::milliseconds{10000}};
  BindingCacheConfig binding_cache;  ///< `bindingCache`
  ClientConfig client;               ///< `client`, io.l5d.global by default
  ServiceConfig service;             ///< `service`, io.l5d.global by default
  /// `tracePropagator.kind`: `io.l5d.default` (l5d-ctx-trace) or `io.l5d.zipkin` (B3).
  Located<std::string> trace_propagator{"io.l5d.default"};
  HttpAccessLogConfig access_log;             ///< `httpAccessLog*` (http), `h2AccessLog*` (h2)
  std::vector<UnsupportedValue> unsupported;  ///< originator, …
  /// For a recognised but unsupported protocol (`h2`, …) the whole router object; otherwise null.
  boost::json::value raw;
};

/// `io.l5d.fs`: one file per service name under `rootDir`, watched for changes.
struct FsNamerConfig {
  Located<std::string> root_dir;  ///< `rootDir`, required; existence is checked by the namer
};

/// `io.l5d.rewrite` (inventory §7.1): a path matching `pattern` (a PathMatcher, §3.6, as a
/// prefix) is rewritten to `name` with the captures substituted and delegated again; anything
/// else is Neg. Its `prefix` is required.
struct RewriteNamerConfig {
  /// Required, e.g. `/{port}/{ns}/{svc}`: starts with `/`; captures `{name}` use the
  /// characters `[a-zA-Z0-9.:_-]` and are well formed (checked by `config::load`).
  Located<std::string> pattern;
  /// Required, e.g. `/k8s/{ns}/{port}/{svc}`: uses only captures of `pattern` and is a valid
  /// path once they are filled in (checked by `config::load`).
  Located<std::string> name;
};

/// `io.l5d.k8s` and `io.l5d.k8s.ns` (inventory §7.1): Kubernetes endpoints, names
/// `/<namespace>/<port>/<service>[/<label value>]` (`io.l5d.k8s.ns`: without the namespace,
/// which comes from the environment variable `envVar`).
struct K8sNamerConfig {
  K8sApiConfig api;
  /// A label key: names then carry its value as a 4th segment, sent as `labelSelector=key=value`.
  Located<std::string> label_selector;
  /// `io.l5d.k8s.ns` only: the environment variable holding the namespace.
  Located<std::string> env_var{"POD_NAMESPACE"};
  bool fixed_namespace = false;  ///< true for `io.l5d.k8s.ns`
};

/// One namer (`namers[]`). Its names are bound under `/#` ++ `prefix`.
struct NamerConfig {
  Position pos;
  Located<std::string> kind;  ///< `io.l5d.fs`, `io.l5d.rewrite`
  Located<bool> experimental{false};
  Located<PathValue> prefix;  ///< defaults to `/<kind>`; see `effective_prefix`
  std::variant<FsNamerConfig, RewriteNamerConfig, K8sNamerConfig, UnsupportedPluginConfig>
      settings;                                 ///< matches `kind`
  std::vector<TransformerConfig> transformers;  ///< applied to the names this namer binds
};

/// The path a namer serves, `/#` ++ `prefix`, as a path.
inline dtab::Path effective_prefix_path(const NamerConfig& namer) {
  return dtab::Path::of({"#"}) + namer.prefix.value.parsed;
}

/// The path a namer serves as text (`/#/io.l5d.fs`).
inline std::string effective_prefix(const NamerConfig& namer) {
  return effective_prefix_path(namer).show();
}

/// `io.l5d.prometheus`: Prometheus text on the admin server at `path`.
struct PrometheusTelemeterConfig {
  Located<std::string> path{"/admin/metrics/prometheus"};  ///< starts with `/`
  Located<std::string> prefix;                             ///< prepended to every metric name
};

/// `io.l5d.recentRequests`: a ring of recent sampled requests served at `/requests`.
struct RecentRequestsTelemeterConfig {
  Located<double> sample_rate;  ///< `sampleRate`, required, 0–1
  Located<int> capacity{10};    ///< ≥ 1
};

/// `io.l5d.zipkin`: spans to a Zipkin collector over Scribe/Thrift (Finagle's tracer).
struct ZipkinTelemeterConfig {
  Located<std::string> host{"localhost"};
  Located<int> port{9410};
  Located<double> sample_rate{0.001};  ///< `sampleRate`, 0–1
};

/// `io.zipkin.http` (the linkerd-zipkin plugin): spans as Zipkin JSON v2 over HTTP.
struct ZipkinHttpTelemeterConfig {
  Located<std::string> host{"localhost:9411"};  ///< `host:port` of the collector
  Located<std::string> host_header{"zipkin"};   ///< `hostHeader`
  Located<bool> compression_enabled{true};      ///< `compressionEnabled`: gzip the body
  Located<double> initial_sample_rate{0.001};   ///< `initialSampleRate`, 0–1
};

/// `io.l5d.tracelog`: every sampled span logged.
struct TraceLogTelemeterConfig {
  Located<double> sample_rate{1.0};    ///< `sampleRate`, clamped to 0–1 as Linkerd does
  Located<std::string> level{"INFO"};  ///< ALL, TRACE, DEBUG, INFO, WARNING, ERROR, …
};

/// One `telemetry[]` entry.
struct TelemeterConfig {
  Position pos;
  Located<std::string> kind;
  Located<bool> experimental{false};
  std::variant<PrometheusTelemeterConfig, RecentRequestsTelemeterConfig, ZipkinTelemeterConfig,
               ZipkinHttpTelemeterConfig, TraceLogTelemeterConfig, UnsupportedPluginConfig>
      settings;
};

/// A whole config file.
struct Config {
  Position pos;
  AdminConfig admin;
  std::vector<RouterConfig> routers;  ///< at least one
  /// In file order. Linkerd tries them in reverse order (the last one first); the naming module
  /// must do the same.
  std::vector<NamerConfig> namers;
  UsageConfig usage;
  /// meshd's own key: worker threads (≥ 1); 0 (the default) means one per CPU core.
  Located<int> workers{0};
  std::vector<TelemeterConfig> telemetry;  ///< `telemetry`, in file order
  std::vector<UnsupportedValue> unsupported;
};

}  // namespace meshd::config
