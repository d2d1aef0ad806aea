// Decoding of the Kubernetes plugins (inventory §4.3, §7.1, §7.3): the io.l5d.k8s and
// io.l5d.k8s.ns namers, the io.l5d.k8s.daemonset and io.l5d.k8s.localnode transformers and the
// io.l5d.ingress identifier. What they name is checked here; the environment they need
// (POD_IP, NODE_NAME, the namespace variable) is checked when meshd starts.

#include <algorithm>
#include <string>
#include <string_view>

#include "config/decode_internal.h"
#include "config/kinds_internal.h"

namespace meshd::config::detail {
namespace {

// A Kubernetes namespace or Service name: an RFC 1123 label (lower-case letters, digits and
// `-`, starting and ending with a letter or digit, at most 63 characters).
bool is_dns_label(std::string_view s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// A label key (`version`, `app.kubernetes.io/version`): an optional DNS prefix and `/`, then a
// name of letters, digits, `-`, `_`, `.` starting and ending alphanumeric, at most 63 characters.
bool is_label_key(std::string_view s) {
  const auto slash = s.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? s : s.substr(slash + 1);
  if (slash != std::string_view::npos && (slash == 0 || slash > 253)) {
    return false;
  }
  const auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (name.empty() || name.size() > 63 || !alnum(name.front()) || !alnum(name.back())) {
    return false;
  }
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

// Reads the API server keys `host_key`/`port_key` (`host`/`port`, or `k8sHost`/`k8sPort`).
void read_api(MapReader& m, std::string_view host_key, std::string_view port_key,
              K8sApiConfig& out) {
  read_string(m, host_key, out.host);
  if (out.host.present && out.host.value.empty()) {
    m.decoder().error(out.host.pos, "must not be empty");
  }
  read_int(m, port_key, out.port, 1, 65535);
}

// Reads a required (or optional) RFC 1123 label such as a namespace or a Service name.
void read_label(MapReader& m, std::string_view key, Located<std::string>& out, bool required) {
  if (required && !m.has_value(key)) {
    m.missing(key);
  }
  read_string(m, key, out);
  if (out.present && !is_dns_label(out.value)) {
    m.decoder().error(out.pos, "\"" + out.value +
                                   "\" is not a Kubernetes name: lower-case letters, digits and "
                                   "\"-\", at most 63 characters");
  }
}

void decode_k8s_namer_common(MapReader& m, NamerConfig& out, bool fixed_namespace) {
  K8sNamerConfig c;
  c.fixed_namespace = fixed_namespace;
  read_api(m, "host", "port", c.api);
  read_string(m, "labelSelector", c.label_selector);
  if (c.label_selector.present && !is_label_key(c.label_selector.value)) {
    m.decoder().error(c.label_selector.pos,
                      "\"" + c.label_selector.value +
                          "\" is not a label key (e.g. version or app.kubernetes.io/version)");
  }
  if (fixed_namespace) {
    read_string(m, "envVar", c.env_var);
    if (c.env_var.present && c.env_var.value.empty()) {
      m.decoder().error(c.env_var.pos, "must not be empty");
    }
  }
  out.settings = std::move(c);
}

}  // namespace

void decode_k8s_namer(MapReader& m, NamerConfig& out) {
  decode_k8s_namer_common(m, out, /*fixed_namespace=*/false);
}

void decode_k8s_ns_namer(MapReader& m, NamerConfig& out) {
  decode_k8s_namer_common(m, out, /*fixed_namespace=*/true);
}

void decode_daemonset_transformer(MapReader& m, TransformerConfig& out) {
  DaemonSetTransformerConfig c;
  read_label(m, "namespace", c.ns, /*required=*/true);
  read_label(m, "service", c.service, /*required=*/true);
  if (!m.has_value("port")) {
    m.missing("port");
  }
  read_string(m, "port", c.port);
  if (c.port.present && (c.port.value.empty() || c.port.value.find('/') != std::string::npos)) {
    m.decoder().error(c.port.pos, "expected a port name of the Service, got \"" +
                                      c.port.value + "\"");
  }
  read_bool(m, "hostNetwork", c.host_network);
  read_api(m, "k8sHost", "k8sPort", c.api);
  if (c.ns.present && c.service.present && c.port.present) {
    out.prefix.value.text += "/" + c.ns.value + "/" + c.port.value + "/" + c.service.value;
  }
  out.settings = std::move(c);
}

void decode_localnode_transformer(MapReader& m, TransformerConfig& out) {
  LocalnodeTransformerConfig c;
  read_bool(m, "hostNetwork", c.host_network);
  out.settings = std::move(c);
}

void decode_ingress_identifier(MapReader& m, IdentifierConfig& out) {
  IngressIdentifierConfig c;
  read_label(m, "namespace", c.ns, /*required=*/false);
  read_string(m, "ingressClassAnnotation", c.ingress_class);
  if (c.ingress_class.present && c.ingress_class.value.empty()) {
    m.decoder().error(c.ingress_class.pos, "must not be empty");
  }
  read_bool(m, "ignoreDefaultBackends", c.ignore_default_backends);
  read_api(m, "host", "port", c.api);
  out.settings = std::move(c);
}

}  // namespace meshd::config::detail
