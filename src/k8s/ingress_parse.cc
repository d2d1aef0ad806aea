// parse_ingress and ingress_is_ours: Ingress objects of networking.k8s.io/v1 and of the
// v1beta1 versions (extensions, networking.k8s.io), normalised to v1's shape (api.md §2.6).

#include "k8s/objects_internal.h"

namespace meshd::k8s {
namespace {

namespace json = boost::json;
using detail::FieldReader;

constexpr std::string_view kClassAnnotation = "kubernetes.io/ingress.class";

// A v1 IngressServiceBackend's `port`: `name` or `number` (mutually exclusive in the API).
void read_v1_port(FieldReader& reader, const json::object& service, std::string_view path,
                  std::string& out) {
  const json::object* port = reader.object(service, "port", path);
  if (!reader.ok()) {
    return;
  }
  const std::string port_path = detail::child_path(path, "port");
  if (port == nullptr) {
    reader.fail(port_path, "required field missing");
    return;
  }
  std::optional<std::uint16_t> number;
  reader.port(*port, "number", port_path, number);
  reader.string(*port, "name", port_path, out);
  if (number) {
    out = std::to_string(*number);
  } else if (reader.ok() && out.empty()) {
    reader.fail(port_path, "expected `name` or `number`");
  }
}

// A v1 IngressBackend: `service {name, port}`.
void read_v1_backend(FieldReader& reader, const json::object& backend, std::string_view path,
                     IngressBackend& out) {
  const json::object* service = reader.object(backend, "service", path);
  if (!reader.ok()) {
    return;
  }
  const std::string service_path = detail::child_path(path, "service");
  if (service == nullptr) {
    reader.fail(service_path, "required field missing");
    return;
  }
  reader.required_string(*service, "name", service_path, out.service);
  read_v1_port(reader, *service, service_path, out.port);
}

// A v1beta1 IngressBackend: `serviceName`, `servicePort` (int or string).
void read_v1beta1_backend(FieldReader& reader, const json::object& backend, std::string_view path,
                          IngressBackend& out) {
  reader.required_string(backend, "serviceName", path, out.service);
  detail::IntOrString port;
  reader.int_or_string(backend, "servicePort", path, port);
  if (!reader.ok()) {
    return;
  }
  if (const auto* n = std::get_if<std::int64_t>(&port)) {
    if (*n < 1 || *n > 65535) {
      reader.fail(detail::child_path(path, "servicePort"),
                  "expected a port number (1-65535), got number " + std::to_string(*n));
    }
    out.port = std::to_string(*n);
  } else if (const auto* s = std::get_if<std::string>(&port)) {
    out.port = *s;
  } else {
    reader.fail(detail::child_path(path, "servicePort"), "required field missing");
  }
}

// An IngressBackend field `key` of `parent`; nullopt when absent.
std::optional<IngressBackend> read_backend(FieldReader& reader, const json::object& parent,
                                           std::string_view key, std::string_view parent_path,
                                           bool v1) {
  const json::object* backend = reader.object(parent, key, parent_path);
  if (backend == nullptr) {
    return std::nullopt;
  }
  const std::string path = detail::child_path(parent_path, key);
  if (FieldReader::find(*backend, "resource") != nullptr) {
    reader.fail(detail::child_path(path, "resource"), "resource backends are not supported");
    return std::nullopt;
  }
  IngressBackend out;
  if (v1) {
    read_v1_backend(reader, *backend, path, out);
  } else {
    read_v1beta1_backend(reader, *backend, path, out);
  }
  return out;
}

void read_path_type(FieldReader& reader, const json::object& p, std::string_view path, bool v1,
                    IngressPath::Type& out) {
  std::string type;
  if (v1) {
    reader.required_string(p, "pathType", path, type);
  } else {
    reader.string(p, "pathType", path, type);
  }
  if (!reader.ok() || type.empty() || type == "ImplementationSpecific") {
    out = IngressPath::Type::ImplementationSpecific;
  } else if (type == "Exact") {
    out = IngressPath::Type::Exact;
  } else if (type == "Prefix") {
    out = IngressPath::Type::Prefix;
  } else {
    reader.fail(detail::child_path(path, "pathType"),
                "expected Exact, Prefix or ImplementationSpecific, got " + type);
  }
}

// `http.paths[]` of a rule.
void read_paths(FieldReader& reader, const json::object& rule, std::string_view rule_path, bool v1,
                std::vector<IngressPath>& out) {
  const json::object* http = reader.object(rule, "http", rule_path);
  const std::string http_path = detail::child_path(rule_path, "http");
  const json::array* paths = http != nullptr ? reader.array(*http, "paths", http_path) : nullptr;
  const std::string paths_path = detail::child_path(http_path, "paths");
  for (std::size_t i = 0; paths != nullptr && i < paths->size() && reader.ok(); ++i) {
    const json::object* p = reader.element_object(*paths, i, paths_path);
    if (p == nullptr) {
      return;
    }
    const std::string path = detail::index_path(paths_path, i);
    IngressPath item;
    reader.string(*p, "path", path, item.path);
    read_path_type(reader, *p, path, v1, item.type);
    std::optional<IngressBackend> backend = read_backend(reader, *p, "backend", path, v1);
    if (reader.ok() && !backend) {
      reader.fail(detail::child_path(path, "backend"), "required field missing");
    }
    item.backend = backend.value_or(IngressBackend{});
    out.push_back(std::move(item));
  }
}

void read_rules(FieldReader& reader, const json::object& spec, bool v1,
                std::vector<IngressRule>& out) {
  const json::array* rules = reader.array(spec, "rules", "spec");
  for (std::size_t i = 0; rules != nullptr && i < rules->size() && reader.ok(); ++i) {
    const json::object* r = reader.element_object(*rules, i, "spec.rules");
    if (r == nullptr) {
      return;
    }
    const std::string path = detail::index_path("spec.rules", i);
    IngressRule rule;
    reader.string(*r, "host", path, rule.host);
    read_paths(reader, *r, path, v1, rule.paths);
    out.push_back(std::move(rule));
  }
}

}  // namespace

ParseResult<Ingress> parse_ingress(const json::object& object, bool v1) {
  FieldReader reader;
  Ingress out;
  detail::read_meta(reader, object, out.meta);
  if (const std::string* annotation = detail::find_pair(out.meta.annotations, kClassAnnotation)) {
    out.class_annotation = *annotation;
  }
  if (const json::object* spec = reader.object(object, "spec", "")) {
    reader.string(*spec, "ingressClassName", "spec", out.ingress_class_name);
    out.default_backend =
        read_backend(reader, *spec, v1 ? "defaultBackend" : "backend", "spec", v1);
    read_rules(reader, *spec, v1, out.rules);
  }
  if (!reader.ok()) {
    return reader.take_error();
  }
  return out;
}

bool ingress_is_ours(const Ingress& ingress, const IngressOptions& options) {
  if (!ingress.ingress_class_name.empty()) {
    return ingress.ingress_class_name == options.ingress_class;
  }
  if (ingress.class_annotation) {
    return *ingress.class_annotation == options.ingress_class;
  }
  return true;
}

}  // namespace meshd::k8s
