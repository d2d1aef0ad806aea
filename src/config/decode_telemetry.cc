// Decoding of `telemetry[]` (inventory §15), the admin server's `tls` and `security`, and the
// HTTP and h2 routers' tracing and access-log keys.

#include <regex>

#include "config/decode_internal.h"
#include "config/kinds_internal.h"
#include "meshd/telemetry/access_log.h"

namespace meshd::config::detail {
namespace {

// Each entry must be a valid ECMAScript regex (the admin security filter matches whole paths).
void check_regexes(Decoder& d, const StringList& list) {
  for (const auto& re : list) {
    try {
      std::regex compiled(re.value, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      d.error(re.pos, "invalid regex \"" + re.value + "\": " + e.what());
    }
  }
}

}  // namespace

void decode_server_tls(MapReader& m, ServerTlsConfig& out) {
  out.pos = m.pos();
  read_required_string(m, "certPath", out.cert_path);
  read_required_string(m, "keyPath", out.key_path);
  read_string(m, "intermediateCertsPath", out.intermediate_certs_path);
  read_string(m, "caCertPath", out.ca_cert_path);
  read_bool(m, "requireClientAuth", out.require_client_auth);
  read_string_list(m, "ciphers", out.ciphers);
  read_string_list(m, "protocols", out.protocols);
  check_tls_protocols(m.decoder(), out.protocols);
  if (out.require_client_auth.value && out.ca_cert_path.value.empty()) {
    m.decoder().error(out.require_client_auth.pos,
                      "requireClientAuth needs caCertPath (the CAs that sign client certificates)");
  }
}

void check_tls_protocols(Decoder& d, const StringList& protocols) {
  for (const auto& p : protocols) {
    if (p.value != "TLSv1.2" && p.value != "TLSv1.3") {
      d.error(p.pos, "unsupported TLS protocol \"" + p.value + "\" (supported: TLSv1.2, TLSv1.3)");
    }
  }
}

void decode_admin_security(MapReader& m, AdminSecurityConfig& out) {
  out.pos = m.pos();
  out.present = true;
  read_bool(m, "uiEnabled", out.ui_enabled);
  read_bool(m, "controlEnabled", out.control_enabled);
  read_bool(m, "diagnosticsEnabled", out.diagnostics_enabled);
  read_string_list(m, "pathWhitelist", out.path_whitelist);
  read_string_list(m, "pathBlacklist", out.path_blacklist);
  check_regexes(m.decoder(), out.path_whitelist);
  check_regexes(m.decoder(), out.path_blacklist);
}

void decode_trace_propagator(MapReader& router, Located<std::string>& out) {
  with_map(router, "tracePropagator", [&](MapReader& m) {
    read_string(m, "kind", out);
    if (!out.present) {
      m.missing("kind");
    } else if (out.value != "io.l5d.default" && out.value != "io.l5d.zipkin") {
      m.decoder().error(out.pos, "unknown trace propagator kind \"" + out.value +
                                     "\" (supported: io.l5d.default, io.l5d.zipkin)");
    }
  });
}

void decode_access_log(MapReader& router, HttpAccessLogConfig& out, Protocol protocol) {
  const std::string key = protocol == Protocol::H2 ? "h2AccessLog" : "httpAccessLog";
  read_string(router, key, out.path);
  read_string(router, key + "RollPolicy", out.roll_policy);
  read_bool(router, key + "Append", out.append);
  read_int(router, key + "RotateCount", out.rotate_count, -1, INT_MAX);
  if (out.path.present && out.path.value.empty()) {
    router.decoder().error(out.path.pos, "must not be empty");
  }
  std::string error;
  if (!telemetry::parse_roll_policy(out.roll_policy.value, &error)) {
    router.decoder().error(out.roll_policy.pos, error);
  }
}

void decode_telemeter(Decoder& d, const YAML::Node& node, const std::string& path,
                      std::vector<TelemeterConfig>& out) {
  if (!node.IsMap()) {
    d.error(node.Mark(), path, "expected a map, got " + describe(node));
    return;
  }
  MapReader m(d, node, path);
  TelemeterConfig& t = out.emplace_back();
  t.pos = m.pos();
  auto decode =
      read_kind(m, registries().telemeters, "kind", "telemeter kind", t.kind, t.experimental);
  if (decode == nullptr) {
    t.settings = UnsupportedPluginConfig{m.raw()};
    return;
  }
  decode(m, t);
  m.finish();
}

void decode_prometheus_telemeter(MapReader& m, TelemeterConfig& out) {
  PrometheusTelemeterConfig c;
  read_string(m, "path", c.path);
  read_string(m, "prefix", c.prefix);
  if (c.path.present && (c.path.value.empty() || c.path.value.front() != '/')) {
    m.decoder().error(c.path.pos, "must start with \"/\"");
  }
  out.settings = std::move(c);
}

void decode_recent_requests_telemeter(MapReader& m, TelemeterConfig& out) {
  RecentRequestsTelemeterConfig c;
  if (!m.has_value("sampleRate")) {
    m.missing("sampleRate");
  }
  read_double(m, "sampleRate", c.sample_rate, 0.0, 1.0);
  read_int(m, "capacity", c.capacity, 1, 100000);
  out.settings = std::move(c);
}

void decode_zipkin_telemeter(MapReader& m, TelemeterConfig& out) {
  ZipkinTelemeterConfig c;
  read_string(m, "host", c.host);
  read_int(m, "port", c.port, 1, 65535);
  read_double(m, "sampleRate", c.sample_rate, 0.0, 1.0);
  if (c.host.present && c.host.value.empty()) {
    m.decoder().error(c.host.pos, "must not be empty");
  }
  out.settings = std::move(c);
}

void decode_zipkin_http_telemeter(MapReader& m, TelemeterConfig& out) {
  ZipkinHttpTelemeterConfig c;
  read_string(m, "host", c.host);
  read_string(m, "hostHeader", c.host_header);
  read_bool(m, "compressionEnabled", c.compression_enabled);
  read_double(m, "initialSampleRate", c.initial_sample_rate, 0.0, 1.0);
  // `host` is host:port (the plugin's default localhost:9411); a port is required.
  const auto colon = c.host.value.rfind(':');
  auto port = colon == std::string::npos
                  ? std::nullopt
                  : parse_int(std::string_view(c.host.value).substr(colon + 1));
  if (colon == 0 || !port || *port < 1 || *port > 65535) {
    m.decoder().error(c.host.pos, "expected host:port, got \"" + c.host.value + "\"");
  }
  out.settings = std::move(c);
}

void decode_tracelog_telemeter(MapReader& m, TelemeterConfig& out) {
  TraceLogTelemeterConfig c;
  // Linkerd clamps the rate instead of rejecting it.
  read_double(m, "sampleRate", c.sample_rate, -1e300, 1e300);
  c.sample_rate.value = std::clamp(c.sample_rate.value, 0.0, 1.0);
  read_string(m, "level", c.level);
  static constexpr std::string_view kLevels[] = {"ALL",  "CRITICAL", "DEBUG", "ERROR",  "FATAL",
                                                 "INFO", "OFF",      "TRACE", "WARNING"};
  if (std::find(std::begin(kLevels), std::end(kLevels), c.level.value) == std::end(kLevels)) {
    m.decoder().error(c.level.pos,
                      "unknown level \"" + c.level.value +
                          "\" (supported: ALL, CRITICAL, DEBUG, ERROR, FATAL, INFO, OFF, "
                          "TRACE, WARNING)");
  }
  out.settings = std::move(c);
}

}  // namespace meshd::config::detail
