// Parsers for Endpoints, EndpointSlice and Service (core/v1, discovery.k8s.io/v1).

#include "k8s/objects_internal.h"

namespace meshd::k8s {
namespace {

namespace json = boost::json;
using detail::FieldReader;

constexpr std::string_view kServiceNameLabel = "kubernetes.io/service-name";

template <class T>
ParseResult<T> finish(FieldReader& reader, T value) {
  if (!reader.ok()) {
    return reader.take_error();
  }
  return value;
}

// `ports[]` of an Endpoints subset or an EndpointSlice (same shape in both APIs).
void read_ports(FieldReader& reader, const json::object& parent, std::string_view parent_path,
                std::vector<EndpointPort>& out) {
  const json::array* ports = reader.array(parent, "ports", parent_path);
  if (ports == nullptr) {
    return;
  }
  const std::string path = detail::child_path(parent_path, "ports");
  for (std::size_t i = 0; i < ports->size() && reader.ok(); ++i) {
    const json::object* p = reader.element_object(*ports, i, path);
    if (p == nullptr) {
      return;
    }
    const std::string item = detail::index_path(path, i);
    EndpointPort port;
    reader.string(*p, "name", item, port.name);
    reader.port(*p, "port", item, port.port);
    reader.string(*p, "protocol", item, port.protocol);
    out.push_back(std::move(port));
  }
}

// `addresses[]` or `notReadyAddresses[]` of an Endpoints subset (EndpointAddress).
void read_endpoint_addresses(FieldReader& reader, const json::object& subset,
                             std::string_view subset_path, std::string_view key, bool ready,
                             std::vector<EndpointAddress>& out) {
  const json::array* addresses = reader.array(subset, key, subset_path);
  if (addresses == nullptr) {
    return;
  }
  const std::string path = detail::child_path(subset_path, key);
  for (std::size_t i = 0; i < addresses->size() && reader.ok(); ++i) {
    const json::object* a = reader.element_object(*addresses, i, path);
    if (a == nullptr) {
      return;
    }
    const std::string item = detail::index_path(path, i);
    EndpointAddress address;
    address.ready = ready;
    reader.required_string(*a, "ip", item, address.ip);
    reader.string(*a, "nodeName", item, address.node_name);
    out.push_back(std::move(address));
  }
}

// One `endpoints[]` item of an EndpointSlice. The controller writes one address per endpoint and
// the API says they are fungible: the first is used. Returns nullopt for an endpoint with none.
std::optional<EndpointAddress> read_slice_endpoint(FieldReader& reader,
                                                   const json::object& endpoint,
                                                   std::string_view path, bool fqdn) {
  EndpointAddress address;
  const json::array* addresses = reader.array(endpoint, "addresses", path);
  if (addresses != nullptr && !addresses->empty()) {
    const json::value& first = (*addresses)[0];
    if (!first.is_string()) {
      reader.fail(detail::index_path(detail::child_path(path, "addresses"), 0),
                  "expected a string, got " + detail::describe(first));
      return std::nullopt;
    }
    address.ip.assign(first.get_string().data(), first.get_string().size());
  }
  reader.string(endpoint, "nodeName", path, address.node_name);
  if (const json::object* c = reader.object(endpoint, "conditions", path)) {
    const std::string conditions = detail::child_path(path, "conditions");
    reader.boolean(*c, "ready", conditions, address.ready);
    reader.boolean(*c, "serving", conditions, address.serving);
    reader.boolean(*c, "terminating", conditions, address.terminating);
  }
  if (!reader.ok() || fqdn || address.ip.empty()) {
    return std::nullopt;
  }
  return address;
}

// One `spec.ports[]` item of a Service. `targetPort` 0 or "" (IntOrString's zero value) means
// unset, like absent: the API server defaults it to `port`.
ServicePort read_service_port(FieldReader& reader, const json::object& p, std::string_view path) {
  ServicePort port;
  std::optional<std::uint16_t> number;
  detail::IntOrString target;
  reader.string(p, "name", path, port.name);
  reader.port(p, "port", path, number);
  reader.string(p, "protocol", path, port.protocol);
  reader.int_or_string(p, "targetPort", path, target);
  if (reader.ok() && !number) {
    reader.fail(detail::child_path(path, "port"), "required field missing");
  }
  port.port = number.value_or(0);
  if (const auto* n = std::get_if<std::int64_t>(&target); n != nullptr && *n != 0) {
    if (*n < 1 || *n > 65535) {
      reader.fail(detail::child_path(path, "targetPort"),
                  "expected a port number (1-65535), got number " + std::to_string(*n));
    }
    port.target_port = static_cast<std::uint16_t>(*n);
  } else if (const auto* s = std::get_if<std::string>(&target); s != nullptr && !s->empty()) {
    port.target_port = *s;
  }
  return port;
}

}  // namespace

ParseResult<ObjectMeta> parse_meta(const json::object& object) {
  FieldReader reader;
  ObjectMeta meta;
  detail::read_meta(reader, object, meta);
  return finish(reader, std::move(meta));
}

ParseResult<Endpoints> parse_endpoints(const json::object& object) {
  FieldReader reader;
  Endpoints out;
  detail::read_meta(reader, object, out.meta);
  const json::array* subsets = reader.array(object, "subsets", "");
  for (std::size_t i = 0; subsets != nullptr && i < subsets->size() && reader.ok(); ++i) {
    const json::object* s = reader.element_object(*subsets, i, "subsets");
    if (s == nullptr) {
      break;
    }
    const std::string path = detail::index_path("subsets", i);
    EndpointGroup group;
    read_endpoint_addresses(reader, *s, path, "addresses", true, group.addresses);
    read_endpoint_addresses(reader, *s, path, "notReadyAddresses", false, group.addresses);
    read_ports(reader, *s, path, group.ports);
    out.groups.push_back(std::move(group));
  }
  return finish(reader, std::move(out));
}

ParseResult<EndpointSlice> parse_endpoint_slice(const json::object& object) {
  FieldReader reader;
  EndpointSlice out;
  detail::read_meta(reader, object, out.meta);
  if (const std::string* service = detail::find_pair(out.meta.labels, kServiceNameLabel)) {
    out.service = *service;
  }
  reader.string(object, "addressType", "", out.address_type);
  const bool fqdn = out.address_type == "FQDN";
  const json::array* endpoints = reader.array(object, "endpoints", "");
  for (std::size_t i = 0; endpoints != nullptr && i < endpoints->size() && reader.ok(); ++i) {
    const json::object* e = reader.element_object(*endpoints, i, "endpoints");
    if (e == nullptr) {
      break;
    }
    if (auto address = read_slice_endpoint(reader, *e, detail::index_path("endpoints", i), fqdn)) {
      out.group.addresses.push_back(std::move(*address));
    }
  }
  read_ports(reader, object, "", out.group.ports);
  return finish(reader, std::move(out));
}

ParseResult<Service> parse_service(const json::object& object) {
  FieldReader reader;
  Service out;
  detail::read_meta(reader, object, out.meta);
  const json::object* spec = reader.object(object, "spec", "");
  const json::array* ports = spec != nullptr ? reader.array(*spec, "ports", "spec") : nullptr;
  for (std::size_t i = 0; ports != nullptr && i < ports->size() && reader.ok(); ++i) {
    const json::object* p = reader.element_object(*ports, i, "spec.ports");
    if (p == nullptr) {
      break;
    }
    out.ports.push_back(read_service_port(reader, *p, detail::index_path("spec.ports", i)));
  }
  return finish(reader, std::move(out));
}

}  // namespace meshd::k8s
