#include "meshd/config/to_json.h"

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace meshd::config {
namespace {

namespace json = boost::json;

void add_unsupported(json::object& obj, const std::vector<UnsupportedValue>& values) {
  for (const auto& v : values) {
    obj[v.key] = v.value;
  }
}

// Plugin settings, one overload per alternative of the `settings` variants.
struct SettingsWriter {
  json::object& obj;

  void operator()(const HeaderTokenIdentifierConfig& c) const { obj["header"] = c.header.value; }
  void operator()(const MethodAndHostIdentifierConfig& c) const {
    obj["httpUriInDst"] = c.http_uri_in_dst.value;
  }
  void operator()(const PathIdentifierConfig& c) const {
    obj["segments"] = c.segments.value;
    obj["consume"] = c.consume.value;
  }
  void operator()(const HeaderIdentifierConfig& c) const { obj["header"] = c.header.value; }
  void operator()(const HeaderPathIdentifierConfig& c) const {
    obj["header"] = c.header.value;
    if (c.segments.value) {
      obj["segments"] = *c.segments.value;
    }
  }
  void operator()(const StaticIdentifierConfig& c) const { obj["path"] = c.path.value.text; }
  void operator()(const FsNamerConfig& c) const { obj["rootDir"] = c.root_dir.value; }
  void operator()(const RewriteNamerConfig& c) const {
    obj["pattern"] = c.pattern.value;
    obj["name"] = c.name.value;
  }
  void operator()(const PrometheusTelemeterConfig& c) const {
    obj["path"] = c.path.value;
    obj["prefix"] = c.prefix.value;
  }
  void operator()(const RecentRequestsTelemeterConfig& c) const {
    obj["sampleRate"] = c.sample_rate.value;
    obj["capacity"] = c.capacity.value;
  }
  void operator()(const ZipkinTelemeterConfig& c) const {
    obj["host"] = c.host.value;
    obj["port"] = c.port.value;
    obj["sampleRate"] = c.sample_rate.value;
  }
  void operator()(const ZipkinHttpTelemeterConfig& c) const {
    obj["host"] = c.host.value;
    obj["hostHeader"] = c.host_header.value;
    obj["compressionEnabled"] = c.compression_enabled.value;
    obj["initialSampleRate"] = c.initial_sample_rate.value;
  }
  void operator()(const TraceLogTelemeterConfig& c) const {
    obj["sampleRate"] = c.sample_rate.value;
    obj["level"] = c.level.value;
  }
  void operator()(const PortTransformerConfig& c) const { obj["port"] = c.port.value; }
  void operator()(const LocalhostTransformerConfig& /*c*/) const {}
  void operator()(const SpecificHostTransformerConfig& c) const { obj["host"] = c.host.value; }
  void operator()(const ReplaceTransformerConfig& c) const { obj["path"] = c.path.value.text; }
  void operator()(const ConstTransformerConfig& c) const { obj["path"] = c.path.value.text; }
  void add_api(const K8sApiConfig& api, const char* host_key, const char* port_key) const {
    obj[host_key] = api.host.value;
    obj[port_key] = api.port.value;
  }
  void operator()(const IngressIdentifierConfig& c) const {
    if (c.ns.present) {
      obj["namespace"] = c.ns.value;
    }
    obj["ingressClassAnnotation"] = c.ingress_class.value;
    obj["ignoreDefaultBackends"] = c.ignore_default_backends.value;
    add_api(c.api, "host", "port");
  }
  void operator()(const K8sNamerConfig& c) const {
    add_api(c.api, "host", "port");
    if (c.label_selector.present) {
      obj["labelSelector"] = c.label_selector.value;
    }
    if (c.fixed_namespace) {
      obj["envVar"] = c.env_var.value;
    }
  }
  void operator()(const DaemonSetTransformerConfig& c) const {
    obj["namespace"] = c.ns.value;
    obj["service"] = c.service.value;
    obj["port"] = c.port.value;
    obj["hostNetwork"] = c.host_network.value;
    add_api(c.api, "k8sHost", "k8sPort");
  }
  void operator()(const LocalnodeTransformerConfig& c) const {
    obj["hostNetwork"] = c.host_network.value;
  }
  void operator()(const UnsupportedPluginConfig& c) const {
    if (c.raw.is_object()) {
      for (const auto& [k, v] : c.raw.as_object()) {
        obj[k] = v;
      }
    }
  }
};

json::object identifier_json(const IdentifierConfig& id) {
  json::object obj;
  obj["kind"] = id.kind.value;
  std::visit(SettingsWriter{obj}, id.settings);
  return obj;
}

// Like namers: the effective prefix is written, default or not; unsupported kinds as captured.
json::object transformer_json(const TransformerConfig& t) {
  json::object obj;
  obj["kind"] = t.kind.value;
  if (!std::holds_alternative<UnsupportedPluginConfig>(t.settings)) {
    obj["prefix"] = t.prefix.value.text;
  }
  if (t.experimental.present) {
    obj["experimental"] = t.experimental.value;
  }
  std::visit(SettingsWriter{obj}, t.settings);
  return obj;
}

void add_transformers(json::object& obj, const std::vector<TransformerConfig>& transformers) {
  if (transformers.empty()) {
    return;
  }
  json::array arr;
  for (const auto& t : transformers) {
    arr.push_back(transformer_json(t));
  }
  obj["transformers"] = std::move(arr);
}

// Linkerd's router `interpreter`, `bindingTimeoutMs` and `bindingCache` are optional objects:
// like Linkerd, write them (and the cache sizes) only when the file did.
void add_binding(json::object& obj, const RouterConfig& r) {
  const InterpreterConfig& in = r.interpreter;
  if (!in.raw.is_null()) {
    obj["interpreter"] = in.raw;
  } else if (in.kind.present || in.experimental.present || in.dtab_file.present ||
             !in.transformers.empty()) {
    json::object interpreter;
    interpreter["kind"] = in.kind.value;
    if (in.experimental.present) {
      interpreter["experimental"] = in.experimental.value;
    }
    if (in.dtab_file.present) {
      interpreter["dtabFile"] = in.dtab_file.value;
    }
    add_transformers(interpreter, in.transformers);
    obj["interpreter"] = std::move(interpreter);
  }
  if (r.binding_timeout.present) {
    obj["bindingTimeoutMs"] = r.binding_timeout.value.count();
  }
  const BindingCacheConfig& c = r.binding_cache;
  json::object cache;
  for (const auto& [key, size] :
       {std::pair{"paths", &c.paths}, std::pair{"trees", &c.trees}, std::pair{"bounds", &c.bounds},
        std::pair{"clients", &c.clients}}) {
    if (size->present) {
      cache[key] = size->value;
    }
  }
  if (c.idle_ttl.present) {
    cache["idleTtlSecs"] = c.idle_ttl.value.count();
  }
  if (!cache.empty()) {
    obj["bindingCache"] = std::move(cache);
  }
}

// `client` and `service` (and the objects inside them) are written as the file wrote them: the
// keys that were written, and the `kind` of every object, default or not.
template <class T, class Convert>
void add_if_present(json::object& obj, std::string_view key, const Located<T>& v, Convert convert) {
  if (v.present) {
    obj[key] = convert(v.value);
  }
}

std::int64_t millis(std::chrono::milliseconds ms) { return ms.count(); }
std::int64_t seconds(std::chrono::seconds s) { return s.count(); }
template <class T>
T same(T v) {
  return v;
}

json::object backoff_json(const BackoffConfig& b) {
  json::object obj;
  obj["kind"] = b.kind.value;
  add_if_present(obj, "ms", b.ms, millis);
  add_if_present(obj, "minMs", b.min_ms, millis);
  add_if_present(obj, "maxMs", b.max_ms, millis);
  return obj;
}

json::object budget_json(const RetryBudgetConfig& b) {
  json::object obj;
  add_if_present(obj, "ttlSecs", b.ttl, seconds);
  // An integer in the file (Linkerd's Int), kept as a double in the model.
  add_if_present(obj, "minRetriesPerSec", b.min_retries_per_sec,
                 [](double v) { return static_cast<std::int64_t>(v); });
  add_if_present(obj, "percentCanRetry", b.percent_can_retry, same<double>);
  return obj;
}

json::object load_balancer_json(const LoadBalancerConfig& lb) {
  json::object obj;
  obj["kind"] = lb.kind.value;
  add_if_present(obj, "maxEffort", lb.max_effort, same<int>);
  add_if_present(obj, "enableProbation", lb.enable_probation, same<bool>);
  add_if_present(obj, "decayTimeMs", lb.decay_time, millis);
  add_if_present(obj, "smoothWindowMs", lb.smooth_window, millis);
  add_if_present(obj, "lowLoad", lb.low_load, same<double>);
  add_if_present(obj, "highLoad", lb.high_load, same<double>);
  add_if_present(obj, "minAperture", lb.min_aperture, same<int>);
  return obj;
}

json::object failure_accrual_json(const FailureAccrualConfig& fa) {
  json::object obj;
  obj["kind"] = fa.kind.value;
  add_if_present(obj, "failures", fa.failures, same<int>);
  add_if_present(obj, "successRate", fa.success_rate, same<double>);
  add_if_present(obj, "requests", fa.requests, same<int>);
  add_if_present(obj, "window", fa.window, seconds);
  if (fa.backoff) {
    obj["backoff"] = backoff_json(*fa.backoff);
  }
  return obj;
}

json::object pool_json(const HostConnectionPoolConfig& p) {
  json::object obj;
  add_if_present(obj, "minSize", p.min_size, same<int>);
  add_if_present(obj, "maxSize", p.max_size, same<int>);
  add_if_present(obj, "idleTimeMs", p.idle_time,
                 [](const std::optional<std::chrono::milliseconds>& v) { return millis(*v); });
  add_if_present(obj, "maxWaiters", p.max_waiters, same<int>);
  return obj;
}

json::array ints_json(const std::vector<int>& list) {
  json::array out;
  for (int v : list) {
    out.push_back(v);
  }
  return out;
}

json::array strings_json(const StringList& list) {
  json::array out;
  for (const auto& s : list) {
    out.push_back(json::string(s.value));
  }
  return out;
}

// The written keys of a client `tls` (paths as given).
json::object client_tls_json(const ClientTlsConfig& t) {
  json::object obj;
  add_if_present(obj, "enabled", t.enabled, same<bool>);
  add_if_present(obj, "disableValidation", t.disable_validation, same<bool>);
  add_if_present(obj, "commonName", t.common_name, same<std::string>);
  add_if_present(obj, "trustCertsBundle", t.trust_certs_bundle, same<std::string>);
  if (!t.trust_certs.empty()) {
    obj["trustCerts"] = strings_json(t.trust_certs);
  }
  if (t.client_auth) {
    json::object auth;
    add_if_present(auth, "certPath", t.client_auth->cert_path, same<std::string>);
    add_if_present(auth, "keyPath", t.client_auth->key_path, same<std::string>);
    add_if_present(auth, "intermediateCertsPath", t.client_auth->intermediate_certs_path,
                   same<std::string>);
    obj["clientAuth"] = std::move(auth);
  }
  if (!t.protocols.empty()) {
    obj["protocols"] = strings_json(t.protocols);
  }
  return obj;
}

// The written HTTP/2 settings keys of an h2 server or client.
void add_h2_settings(json::object& obj, const H2SettingsConfig& h2) {
  const auto value = [](const auto& v) { return *v; };
  add_if_present(obj, "initialStreamWindowBytes", h2.initial_stream_window_bytes, value);
  add_if_present(obj, "windowUpdateRatio", h2.window_update_ratio, value);
  add_if_present(obj, "headerTableBytes", h2.header_table_bytes, value);
  add_if_present(obj, "maxFrameBytes", h2.max_frame_bytes, value);
  add_if_present(obj, "maxHeaderListBytes", h2.max_header_list_bytes, value);
}

json::object classifier_json(const ResponseClassifierConfig& c) {
  json::object obj{{"kind", c.kind.value}};
  add_if_present(obj, "successStatusCodes", c.success_status_codes, ints_json);
  add_if_present(obj, "retryableStatusCodes", c.retryable_status_codes, ints_json);
  return obj;
}

json::object policy_json(const ClientPolicyConfig& c) {
  json::object obj;
  add_if_present(obj, "prefix", c.prefix, same<std::string>);
  if (c.load_balancer) {
    obj["loadBalancer"] = load_balancer_json(*c.load_balancer);
  }
  if (c.failure_accrual) {
    obj["failureAccrual"] = failure_accrual_json(*c.failure_accrual);
  }
  add_if_present(obj, "requestAttemptTimeoutMs", c.request_attempt_timeout, millis);
  if (c.host_connection_pool) {
    obj["hostConnectionPool"] = pool_json(*c.host_connection_pool);
  }
  if (c.requeue_budget) {
    obj["requeueBudget"] = budget_json(*c.requeue_budget);
  }
  add_if_present(obj, "failFast", c.fail_fast, same<bool>);
  if (c.tls) {
    obj["tls"] = client_tls_json(*c.tls);
  }
  add_h2_settings(obj, c.h2);
  add_unsupported(obj, c.unsupported);
  return obj;
}

json::object policy_json(const ServicePolicyConfig& c) {
  json::object obj;
  add_if_present(obj, "prefix", c.prefix, same<std::string>);
  add_if_present(obj, "totalTimeoutMs", c.total_timeout, millis);
  if (c.retries) {
    json::object retries;
    if (c.retries->budget) {
      retries["budget"] = budget_json(*c.retries->budget);
    }
    if (c.retries->backoff) {
      retries["backoff"] = backoff_json(*c.retries->backoff);
    }
    obj["retries"] = std::move(retries);
  }
  if (c.response_classifier) {
    obj["responseClassifier"] = classifier_json(*c.response_classifier);
  }
  add_if_present(obj, "classificationTimeoutMs", c.classification_timeout, millis);
  if (c.retry_buffer_size) {
    json::object buffer;
    add_if_present(buffer, "requestBytes", c.retry_buffer_size->request_bytes, same<int>);
    add_if_present(buffer, "responseBytes", c.retry_buffer_size->response_bytes, same<int>);
    obj["retryBufferSize"] = std::move(buffer);
  }
  add_unsupported(obj, c.unsupported);
  return obj;
}

// `client` or `service` under `key`, when the file wrote its kind or any policy key.
template <class Section>
void add_policy_section(json::object& obj, std::string_view key, const Section& section) {
  json::object body;
  if (section.kind.value == "io.l5d.static") {
    json::array configs;
    for (const auto& c : section.configs) {
      configs.push_back(policy_json(c));
    }
    body["configs"] = std::move(configs);
  } else if (!section.configs.empty()) {
    body = policy_json(section.configs.front());
  }
  if (!section.kind.present && body.empty()) {
    return;
  }
  json::object out;
  out["kind"] = section.kind.value;
  for (auto& [k, v] : body) {
    out[k] = std::move(v);
  }
  obj[key] = std::move(out);
}

json::object security_json(const AdminSecurityConfig& s) {
  return {{"uiEnabled", s.ui_enabled.value},
          {"controlEnabled", s.control_enabled.value},
          {"diagnosticsEnabled", s.diagnostics_enabled.value},
          {"pathWhitelist", strings_json(s.path_whitelist)},
          {"pathBlacklist", strings_json(s.path_blacklist)}};
}

// Paths are written as given; absent optional keys are omitted, as Linkerd's config.json does.
json::object server_tls_json(const ServerTlsConfig& t) {
  json::object obj{{"certPath", t.cert_path.value},
                   {"keyPath", t.key_path.value},
                   {"requireClientAuth", t.require_client_auth.value}};
  if (t.intermediate_certs_path.present) {
    obj["intermediateCertsPath"] = t.intermediate_certs_path.value;
  }
  if (t.ca_cert_path.present) {
    obj["caCertPath"] = t.ca_cert_path.value;
  }
  if (!t.ciphers.empty()) {
    obj["ciphers"] = strings_json(t.ciphers);
  }
  if (!t.protocols.empty()) {
    obj["protocols"] = strings_json(t.protocols);
  }
  return obj;
}

json::object server_json(const ServerConfig& s, bool h2) {
  json::object obj;
  obj["ip"] = s.ip.value;
  obj["port"] = s.port.value;
  obj["clearContext"] = s.clear_context.value;
  if (s.max_concurrent_requests.value) {
    obj["maxConcurrentRequests"] = *s.max_concurrent_requests.value;
  }
  if (s.tls) {
    obj["tls"] = server_tls_json(*s.tls);
  }
  if (h2) {
    obj["maxConcurrentStreamsPerConnection"] = s.max_concurrent_streams_per_connection.value;
    add_h2_settings(obj, s.h2);
  }
  add_unsupported(obj, s.unsupported);
  return obj;
}

json::value router_json(const RouterConfig& r) {
  if (!r.raw.is_null()) {
    return r.raw;
  }
  json::object obj;
  obj["protocol"] = r.protocol.value;
  obj["label"] = r.label.value;
  if (r.experimental.present) {
    obj["experimental"] = r.experimental.value;
  }
  obj["dtab"] = r.dtab.value.text;
  obj["dstPrefix"] = r.dst_prefix.value.text;
  json::array ids;
  for (const auto& id : r.identifiers) {
    ids.push_back(identifier_json(id));
  }
  obj["identifier"] = std::move(ids);
  const bool h2 = r.protocol.value == "h2";
  json::array servers;
  for (const auto& s : r.servers) {
    servers.push_back(server_json(s, h2));
  }
  obj["servers"] = std::move(servers);
  if (!h2) {
    obj["maxHeadersKB"] = r.max_headers_kb.value;
    obj["maxInitialLineKB"] = r.max_initial_line_kb.value;
    obj["streamAfterContentLengthKB"] = r.stream_after_content_length_kb.value;
  }
  add_binding(obj, r);
  add_policy_section(obj, "client", r.client);
  add_policy_section(obj, "service", r.service);
  obj["tracePropagator"] = json::object{{"kind", r.trace_propagator.value}};
  if (r.access_log.path.present) {
    const std::string key = h2 ? "h2AccessLog" : "httpAccessLog";
    obj[key] = r.access_log.path.value;
    obj[key + "RollPolicy"] = r.access_log.roll_policy.value;
    obj[key + "Append"] = r.access_log.append.value;
    obj[key + "RotateCount"] = r.access_log.rotate_count.value;
  }
  add_unsupported(obj, r.unsupported);
  return obj;
}

json::object namer_json(const NamerConfig& n) {
  json::object obj;
  obj["kind"] = n.kind.value;
  if (!std::holds_alternative<UnsupportedPluginConfig>(n.settings)) {
    obj["prefix"] = n.prefix.value.text;
  }
  if (n.experimental.present) {
    obj["experimental"] = n.experimental.value;
  }
  std::visit(SettingsWriter{obj}, n.settings);
  add_transformers(obj, n.transformers);
  return obj;
}

}  // namespace

json::value to_json(const Config& config) {
  json::object root;

  json::object admin;
  admin["ip"] = config.admin.ip.value;
  admin["port"] = config.admin.port.value;
  admin["shutdownGraceMs"] = config.admin.shutdown_grace.value.count();
  if (config.admin.security.present) {
    admin["security"] = security_json(config.admin.security);
  }
  if (config.admin.tls) {
    admin["tls"] = server_tls_json(*config.admin.tls);
  }
  add_unsupported(admin, config.admin.unsupported);
  root["admin"] = std::move(admin);

  json::array routers;
  for (const auto& r : config.routers) {
    routers.push_back(router_json(r));
  }
  root["routers"] = std::move(routers);

  json::array namers;
  for (const auto& n : config.namers) {
    namers.push_back(namer_json(n));
  }
  root["namers"] = std::move(namers);

  json::object usage;
  if (config.usage.org_id.present) {
    usage["orgId"] = config.usage.org_id.value;
  }
  usage["enabled"] = config.usage.enabled.value;
  root["usage"] = std::move(usage);

  if (!config.telemetry.empty()) {
    json::array telemetry;
    for (const auto& t : config.telemetry) {
      json::object obj;
      obj["kind"] = t.kind.value;
      if (t.experimental.present) {
        obj["experimental"] = t.experimental.value;
      }
      std::visit(SettingsWriter{obj}, t.settings);
      telemetry.push_back(std::move(obj));
    }
    root["telemetry"] = std::move(telemetry);
  }
  if (config.workers.present) {  // absent means one per core; 0 would not load back
    root["workers"] = config.workers.value;
  }
  add_unsupported(root, config.unsupported);
  return root;
}

}  // namespace meshd::config
