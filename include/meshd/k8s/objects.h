#pragma once

// Kubernetes API objects as meshd reads them, and the pure rules that turn them into routing
// decisions: endpoint sets for the io.l5d.k8s namer, Ingress matching for the io.l5d.ingress
// identifier, node locality for the daemonset/localnode transformers. No I/O: parse functions take
// the JSON the API server sent (an object of a GET, a list item or a watch event's `object`).
//
// Parsing is lenient the way the API is (unknown fields ignored, absent optional fields take the
// API's defaults) and strict where a wrong type would mislead routing: a field of the wrong JSON
// type is an error naming the field (`spec.ports[1].port: expected an integer, got string
// "http"`). JSON `null` counts as absent everywhere (Go writes nil slices and pointers as null).
// Nothing here throws.

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "meshd/dtab/name.h"

namespace meshd::k8s {

/// A parse failure: `field` is the JSON path inside the object (`subsets[0].ports[1].port`).
struct ParseError {
  std::string field;
  std::string message;
  /// `field: message`.
  std::string show() const { return field.empty() ? message : field + ": " + message; }
};

template <class T>
using ParseResult = std::variant<T, ParseError>;

/// `metadata` fields meshd uses.
struct ObjectMeta {
  std::string ns;    ///< `metadata.namespace` ("" for cluster-scoped objects)
  std::string name;  ///< `metadata.name`
  std::string resource_version;
  std::string creation_timestamp;  ///< RFC 3339 as sent ("" if absent); compared as text
  std::vector<std::pair<std::string, std::string>> labels;       ///< `metadata.labels`
  std::vector<std::pair<std::string, std::string>> annotations;  ///< `metadata.annotations`
};

/// One port of an endpoint group (core/v1 EndpointPort, discovery/v1 EndpointPort). `name` is
/// the Service port's name ("" when the Service has one unnamed port).
struct EndpointPort {
  std::string name;
  std::optional<std::uint16_t> port;  ///< nullopt: "all ports" (EndpointSlice only)
  std::string protocol = "TCP";
};

/// One endpoint address with its conditions (discovery/v1 semantics; Endpoints' `addresses` are
/// ready, `notReadyAddresses` are `ready: false`).
struct EndpointAddress {
  std::string ip;
  std::string node_name;  ///< "" when absent
  std::optional<bool> ready;
  std::optional<bool> serving;
  std::optional<bool> terminating;
};

/// A set of addresses sharing one port list: an Endpoints subset or an EndpointSlice.
struct EndpointGroup {
  std::vector<EndpointAddress> addresses;
  std::vector<EndpointPort> ports;
};

/// A core/v1 Endpoints object: one group per subset (`subsets: null` or `[]` → no groups).
struct Endpoints {
  ObjectMeta meta;
  std::vector<EndpointGroup> groups;
};

/// A discovery.k8s.io/v1 EndpointSlice: one group. `service` is the
/// `kubernetes.io/service-name` label ("" if absent). Slices whose `addressType` is `FQDN` parse
/// with no addresses (meshd routes to IPs only).
struct EndpointSlice {
  ObjectMeta meta;
  std::string service;
  std::string address_type;  ///< `IPv4`, `IPv6`, `FQDN`
  EndpointGroup group;
};

/// A Service port (core/v1 ServicePort). `target_port`: absent (monostate: same as `port`), a
/// number, or a container port name.
struct ServicePort {
  std::string name;
  std::uint16_t port = 0;
  std::string protocol = "TCP";
  std::variant<std::monostate, std::uint16_t, std::string> target_port;
};

/// A core/v1 Service (what port mapping needs).
struct Service {
  ObjectMeta meta;
  std::vector<ServicePort> ports;
};

/// The `metadata` of `object` (a whole API object, not the metadata object itself); absent
/// `metadata` gives an empty ObjectMeta (bookmark objects carry little more than an RV).
ParseResult<ObjectMeta> parse_meta(const boost::json::object& object);
/// A core/v1 Endpoints. `addresses[].ip` is required; `notReadyAddresses` become addresses with
/// `ready == false`, `addresses` ones with `ready == true`.
ParseResult<Endpoints> parse_endpoints(const boost::json::object& object);
/// A discovery.k8s.io/v1 EndpointSlice. Each endpoint contributes its first address (the API
/// says they are fungible); endpoints without one are skipped.
ParseResult<EndpointSlice> parse_endpoint_slice(const boost::json::object& object);
/// A core/v1 Service. `spec.ports[].port` is required; `targetPort` 0 or "" counts as absent.
ParseResult<Service> parse_service(const boost::json::object& object);

/// The addresses a name binds to (io.l5d.k8s, inventory §7.1, api.md §1.7–1.8, §2.3).
///
/// `groups`: every Endpoints subset, or every EndpointSlice of the Service (merged). `port`: the
/// port segment of the name, a port name or a decimal number. `service`: the Service when known
/// (needed for numeric ports; null if it does not exist or is not known).
///
/// - No groups at all → nullopt (Neg: `subsets` empty/null, no slices, no such Endpoints).
/// - Named port: per group, the port with that `name` and protocol TCP gives the number for that
///   group's addresses; groups without it contribute nothing; no group has it → nullopt.
/// - Numeric port N: the Service's TCP port with `port == N` (no Service or no such port →
///   nullopt); then per group, the endpoint port named like that Service port gives the number;
///   a group without it uses the numeric `targetPort` (or N when absent); a named `targetPort`
///   the group lacks skips the group.
/// - Addresses: those with `ready != false`; if that leaves none across all groups, those with
///   `serving == true && terminating == true` (graceful drain). Deduplicated by ip:port, sorted
///   by ip then port. Each carries `nodeName` in `meta` (`{"nodeName", ...}`) when known.
/// A group with matching ports but no usable address makes the result an empty set (Bound, not
/// Neg), as Linkerd does.
std::optional<std::vector<dtab::Address>> resolve_endpoints(
    const std::vector<EndpointGroup>& groups, std::string_view port, const Service* service);

// ------------------------------------------------------------------------------------------
// Ingress (networking.k8s.io/v1 and extensions/v1beta1 | networking.k8s.io/v1beta1).

/// An Ingress backend: a Service and its port (a name or a decimal number, as text).
struct IngressBackend {
  std::string service;
  std::string port;
  bool operator==(const IngressBackend&) const = default;
};

/// One path of a rule.
struct IngressPath {
  enum class Type { Exact, Prefix, ImplementationSpecific };
  std::string path;  ///< "" when absent (v1beta1): matches every path
  Type type = Type::ImplementationSpecific;
  IngressBackend backend;
};

/// One rule: a host ("" = any, `*.foo.com` = wildcard) and its paths.
struct IngressRule {
  std::string host;
  std::vector<IngressPath> paths;
};

/// An Ingress, either API version, normalised to v1's shape.
struct Ingress {
  ObjectMeta meta;
  std::string ingress_class_name;                 ///< `spec.ingressClassName` ("" if absent)
  std::optional<std::string> class_annotation;    ///< `kubernetes.io/ingress.class`
  std::optional<IngressBackend> default_backend;  ///< v1 `defaultBackend`, v1beta1 `backend`
  std::vector<IngressRule> rules;
};

/// Parses a networking.k8s.io/v1 Ingress (`v1 == true`: `service.name` + `service.port.name |
/// number`, `defaultBackend`, `pathType` required) or a v1beta1 one (`serviceName`,
/// `servicePort` int or string, `backend`, `pathType` optional). Backends of kind `resource` are
/// an error naming the field.
ParseResult<Ingress> parse_ingress(const boost::json::object& object, bool v1);

/// How the identifier selects and matches Ingresses.
struct IngressOptions {
  std::string ingress_class = "linkerd";  ///< `ingressClassAnnotation`
  bool ignore_default_backends = false;   ///< no default backend is ever used
};

/// True if `ingress` is for us: `spec.ingressClassName` set → equal to `ingress_class`; else the
/// `kubernetes.io/ingress.class` annotation set → equal to it; else neither → ours (Linkerd 1).
bool ingress_is_ours(const Ingress& ingress, const IngressOptions& options);

/// The outcome of matching a request.
struct IngressMatch {
  std::string ns;  ///< the Ingress's namespace
  IngressBackend backend;
};

/// Matches a request against `ingresses` (all of them ours). `host`: the Host header as received
/// (`:port` and one trailing `.` dropped, lower-cased; `[v6]:port` handled); `path`: the request
/// path without query.
///
/// Host stage: rules whose host equals the host; if none, rules whose wildcard `*.suffix` matches
/// exactly one extra leading label; if none, rules with no host. Path stage over the chosen
/// rules' paths: Exact = equal; Prefix = element-wise prefix on `/`-split non-empty elements (`/`
/// matches all); ImplementationSpecific = Linkerd 1's rule when the path contains a regex
/// metacharacter (`.*+?()[]{}|^$\`: the whole request path must match it as an ECMAScript
/// regex; an invalid regex never matches, nor does a request path over 1024 bytes, which would
/// risk libstdc++'s recursive matcher overflowing the stack), otherwise Prefix; an empty path
/// matches all. Host comparisons ignore case. Ingresses without a creationTimestamp count as
/// the newest. Winner: longest path text, then Exact over others, then the
/// oldest Ingress (creationTimestamp, then namespace/name), then rule and path order.
/// No path matched: the default backend of the Ingress owning the chosen host rules (oldest
/// first), else the oldest Ingress with a default backend; with `ignore_default_backends`,
/// neither (Linkerd: identify only requests matching an explicit rule).
/// Nothing → nullopt (Linkerd's "no ingress rule matches"). Callable on any thread: compiled
/// regexes are cached per thread.
std::optional<IngressMatch> match_ingress(const std::vector<Ingress>& ingresses,
                                          std::string_view host, std::string_view path,
                                          const IngressOptions& options);

// ------------------------------------------------------------------------------------------
// Node locality (io.l5d.k8s.daemonset, io.l5d.k8s.localnode; inventory §7.3).

/// The `nodeName` metadata of `address`, or "".
std::string_view node_name_of(const dtab::Address& address);

/// True if `a` and `b` are IPv4 addresses in the same /24 (Linkerd's `255.255.255.0` mask).
bool same_slash24(std::string_view a, std::string_view b);

/// io.l5d.k8s.daemonset: every destination address is replaced by all `daemon_pods` on the same
/// /24 (or, with `host_network`, with the same `nodeName`); the replacements keep the daemon
/// pod's host, port and metadata. Non-IPv4 destinations (without host_network) are kept as they
/// are (Linkerd leaves non-inet addresses alone). Deduplicated, sorted. Empty → the caller
/// binds Neg.
std::vector<dtab::Address> daemonset_map(const std::vector<dtab::Address>& destinations,
                                         const std::vector<dtab::Address>& daemon_pods,
                                         bool host_network);

/// io.l5d.k8s.localnode: keeps the addresses in the /24 of `local` (POD_IP), or with
/// `host_network` those whose `nodeName` equals `local` (NODE_NAME). Empty → Neg.
std::vector<dtab::Address> localnode_filter(const std::vector<dtab::Address>& addresses,
                                            std::string_view local, bool host_network);

}  // namespace meshd::k8s
