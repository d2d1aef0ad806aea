#include "meshd/k8s/objects.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meshd::k8s {
namespace {

namespace json = boost::json;

json::object object(std::string_view text) { return json::parse(text).as_object(); }

template <class T>
T parsed(ParseResult<T> result) {
  if (const auto* error = std::get_if<ParseError>(&result)) {
    ADD_FAILURE() << "unexpected parse error: " << error->show();
    return T{};
  }
  return std::get<T>(std::move(result));
}

template <class T>
std::string error_of(const ParseResult<T>& result) {
  if (const auto* error = std::get_if<ParseError>(&result)) {
    return error->show();
  }
  return "(parsed)";
}

// host:port[@node] per address, for compact assertions.
std::vector<std::string> show(const std::optional<std::vector<dtab::Address>>& addresses) {
  if (!addresses) {
    return {"neg"};
  }
  std::vector<std::string> out;
  for (const dtab::Address& a : *addresses) {
    std::string text = a.host + ":" + std::to_string(a.port);
    for (const auto& [key, value] : a.meta) {
      text += "@" + key + "=" + value;
    }
    out.push_back(text);
  }
  return out;
}

using Shown = std::vector<std::string>;

// A GET of core/v1 Endpoints as kube-apiserver sends it (Linkerd 1's EndpointsNamerTest shape).
constexpr std::string_view kAccountsEndpoints = R"({
  "kind": "Endpoints",
  "apiVersion": "v1",
  "metadata": {
    "name": "accounts",
    "namespace": "srv",
    "uid": "6a698096-525e-11e5-9859-42010af01815",
    "resourceVersion": "4962526",
    "creationTimestamp": "2015-09-03T17:08:37Z",
    "labels": {"app": "accounts", "app.kubernetes.io/part-of": "bank"},
    "annotations": {"endpoints.kubernetes.io/last-change-trigger-time": "2024-05-01T10:00:00Z"}
  },
  "subsets": [
    {
      "addresses": [
        {"ip": "10.248.4.9", "nodeName": "node-a",
         "targetRef": {"kind": "Pod", "namespace": "srv", "name": "accounts-293kc"}},
        {"ip": "10.248.1.11", "nodeName": "node-b",
         "targetRef": {"kind": "Pod", "namespace": "srv", "name": "accounts-mr9gb"}}
      ],
      "notReadyAddresses": [
        {"ip": "10.248.7.2", "nodeName": "node-c",
         "targetRef": {"kind": "Pod", "namespace": "srv", "name": "accounts-x1"}}
      ],
      "ports": [
        {"name": "http", "port": 8083, "protocol": "TCP"},
        {"name": "admin", "port": 9990}
      ]
    }
  ]
})";

TEST(ObjectsParse, EndpointsGetResponse) {
  const Endpoints endpoints = parsed(parse_endpoints(object(kAccountsEndpoints)));

  EXPECT_EQ(endpoints.meta.ns, "srv");
  EXPECT_EQ(endpoints.meta.name, "accounts");
  EXPECT_EQ(endpoints.meta.resource_version, "4962526");
  EXPECT_EQ(endpoints.meta.creation_timestamp, "2015-09-03T17:08:37Z");
  ASSERT_EQ(endpoints.meta.labels.size(), 2u);
  EXPECT_EQ(endpoints.meta.labels[1].first, "app.kubernetes.io/part-of");
  EXPECT_EQ(endpoints.meta.annotations.size(), 1u);
  ASSERT_EQ(endpoints.groups.size(), 1u);
  const EndpointGroup& group = endpoints.groups[0];
  ASSERT_EQ(group.addresses.size(), 3u);
  EXPECT_EQ(group.addresses[0].ip, "10.248.4.9");
  EXPECT_EQ(group.addresses[0].node_name, "node-a");
  EXPECT_EQ(group.addresses[0].ready, true);
  EXPECT_EQ(group.addresses[2].ip, "10.248.7.2");
  EXPECT_EQ(group.addresses[2].ready, false);
  EXPECT_EQ(group.addresses[2].serving, std::nullopt);
  ASSERT_EQ(group.ports.size(), 2u);
  EXPECT_EQ(group.ports[0].name, "http");
  EXPECT_EQ(group.ports[0].port, 8083);
  EXPECT_EQ(group.ports[1].protocol, "TCP");  // API default
}

TEST(ObjectsParse, EndpointsNullOrEmptyOrAbsentSubsetsHaveNoGroups) {
  for (std::string_view text : {
           R"({"metadata":{"name":"greg-test","namespace":"greg"},"subsets":null})",
           R"({"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"w"},"subsets":[]})",
           R"({"metadata":{"name":"empty","namespace":"default"}})",
       }) {
    SCOPED_TRACE(text);

    const Endpoints endpoints = parsed(parse_endpoints(object(text)));

    EXPECT_TRUE(endpoints.groups.empty());
  }
}

TEST(ObjectsParse, ListItemWithoutKindAndUnknownFields) {
  const Endpoints endpoints = parsed(parse_endpoints(object(R"({
    "metadata": {"name": "kube-dns", "namespace": "kube-system", "selfLink": "/x",
                 "managedFields": [{"manager": "kube-controller-manager"}]},
    "subsets": [{"addresses": [{"ip": "10.0.0.10", "hostname": "dns-0", "zone": null}],
                 "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "appProtocol": "dns"},
                           {"name": "dns-tcp", "port": 53, "protocol": "TCP"}],
                 "futureField": {"nested": [1, 2, 3]}}]
  })")));

  ASSERT_EQ(endpoints.groups.size(), 1u);
  EXPECT_EQ(endpoints.groups[0].ports[0].protocol, "UDP");
  EXPECT_EQ(endpoints.groups[0].addresses[0].node_name, "");
}

TEST(ObjectsParse, BookmarkObjectWithNullTimestamp) {
  const ObjectMeta meta = parsed(parse_meta(object(R"({
    "kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
    "metadata": {"resourceVersion": "12746", "creationTimestamp": null,
                 "annotations": {"k8s.io/initial-events-end": "true"}},
    "addressType": "", "endpoints": null, "ports": null
  })")));

  EXPECT_EQ(meta.resource_version, "12746");
  EXPECT_EQ(meta.creation_timestamp, "");
  EXPECT_EQ(meta.name, "");
}

TEST(ObjectsParse, EndpointSliceWithConditions) {
  const EndpointSlice slice = parsed(parse_endpoint_slice(object(R"({
    "kind": "EndpointSlice",
    "apiVersion": "discovery.k8s.io/v1",
    "metadata": {
      "name": "example-abc",
      "namespace": "default",
      "generateName": "example-",
      "resourceVersion": "9021",
      "labels": {"endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                 "kubernetes.io/service-name": "example"}
    },
    "addressType": "IPv4",
    "ports": [{"name": "http", "protocol": "TCP", "port": 80, "appProtocol": "http"},
              {"name": "", "port": null}],
    "endpoints": [
      {"addresses": ["10.1.2.3"], "conditions": {"ready": true, "serving": true,
       "terminating": false}, "hostname": "pod-1", "nodeName": "node-1", "zone": "us-west2-a",
       "targetRef": {"kind": "Pod", "namespace": "default", "name": "example-1"}},
      {"addresses": ["10.1.2.4"], "conditions": {}},
      {"addresses": ["10.1.2.5"], "conditions": {"ready": false, "serving": true,
       "terminating": true}, "nodeName": "node-2"},
      {"addresses": []}
    ]
  })")));

  EXPECT_EQ(slice.service, "example");
  EXPECT_EQ(slice.address_type, "IPv4");
  ASSERT_EQ(slice.group.addresses.size(), 3u);
  EXPECT_EQ(slice.group.addresses[0].ready, true);
  EXPECT_EQ(slice.group.addresses[0].terminating, false);
  EXPECT_EQ(slice.group.addresses[0].node_name, "node-1");
  EXPECT_EQ(slice.group.addresses[1].ready, std::nullopt);
  EXPECT_EQ(slice.group.addresses[2].serving, true);
  EXPECT_EQ(slice.group.addresses[2].terminating, true);
  ASSERT_EQ(slice.group.ports.size(), 2u);
  EXPECT_EQ(slice.group.ports[0].port, 80);
  EXPECT_EQ(slice.group.ports[1].port, std::nullopt);  // "all ports"
  EXPECT_EQ(slice.group.ports[1].protocol, "TCP");
}

TEST(ObjectsParse, EndpointSliceUsesFirstAddressAndSkipsFqdn) {
  const EndpointSlice v6 = parsed(parse_endpoint_slice(object(R"({
    "metadata": {"name": "example-v6", "labels": {"kubernetes.io/service-name": "example"}},
    "addressType": "IPv6",
    "endpoints": [{"addresses": ["fd00:10:244::5", "fd00:10:244::6"]}],
    "ports": [{"name": "http", "port": 8080}]
  })")));
  const EndpointSlice fqdn = parsed(parse_endpoint_slice(object(R"({
    "metadata": {"name": "ext-1", "labels": {"kubernetes.io/service-name": "ext"}},
    "addressType": "FQDN",
    "endpoints": [{"addresses": ["db.example.com"], "conditions": {"ready": true}}],
    "ports": [{"name": "pg", "port": 5432}]
  })")));

  ASSERT_EQ(v6.group.addresses.size(), 1u);
  EXPECT_EQ(v6.group.addresses[0].ip, "fd00:10:244::5");
  EXPECT_TRUE(fqdn.group.addresses.empty());
  EXPECT_EQ(fqdn.group.ports.size(), 1u);
}

TEST(ObjectsParse, ServicePortsAndTargetPorts) {
  const Service service = parsed(parse_service(object(R"({
    "kind": "Service",
    "apiVersion": "v1",
    "metadata": {"name": "auth", "namespace": "srv", "resourceVersion": "33186981"},
    "spec": {
      "clusterIP": "10.199.240.10",
      "ports": [
        {"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"},
        {"name": "admin", "port": 9990, "protocol": "TCP"},
        {"name": "grpc", "port": 81, "targetPort": 54321, "nodePort": 30001},
        {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 0}
      ],
      "selector": {"name": "auth"},
      "type": "LoadBalancer"
    },
    "status": {"loadBalancer": {"ingress": [{"hostname": "linkerd.io"}]}}
  })")));

  ASSERT_EQ(service.ports.size(), 4u);
  EXPECT_EQ(service.ports[0].port, 80);
  EXPECT_EQ(std::get<std::string>(service.ports[0].target_port), "http");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(service.ports[1].target_port));
  EXPECT_EQ(std::get<std::uint16_t>(service.ports[2].target_port), 54321);
  EXPECT_EQ(service.ports[2].protocol, "TCP");
  EXPECT_EQ(service.ports[3].protocol, "UDP");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(service.ports[3].target_port));
}

TEST(ObjectsParse, ServiceWithoutSpecOrPorts) {
  EXPECT_TRUE(parsed(parse_service(object(R"({"metadata":{"name":"a"}})"))).ports.empty());
  EXPECT_TRUE(parsed(parse_service(object(R"({"metadata":{"name":"a"},"spec":{"ports":null}})")))
                  .ports.empty());
}

enum class Kind { Endpoints, Slice, Service, Meta };

struct ErrorCase {
  const char* name;
  Kind kind;
  const char* json;
  const char* error;
};

std::string parse_error(Kind kind, const json::object& o) {
  switch (kind) {
    case Kind::Endpoints:
      return error_of(parse_endpoints(o));
    case Kind::Slice:
      return error_of(parse_endpoint_slice(o));
    case Kind::Service:
      return error_of(parse_service(o));
    case Kind::Meta:
      return error_of(parse_meta(o));
  }
  return "";
}

TEST(ObjectsParse, WrongTypesNameTheField) {
  const ErrorCase cases[] = {
      {"named port as service port", Kind::Service,
       R"({"spec":{"ports":[{"name":"a","port":80},{"name":"http","port":"http"}]}})",
       R"(spec.ports[1].port: expected an integer, got string "http")"},
      {"service port missing", Kind::Service, R"({"spec":{"ports":[{"name":"a"}]}})",
       "spec.ports[0].port: required field missing"},
      {"service port zero", Kind::Service, R"({"spec":{"ports":[{"port":0}]}})",
       "spec.ports[0].port: expected a port number (1-65535), got number 0"},
      {"targetPort bool", Kind::Service, R"({"spec":{"ports":[{"port":80,"targetPort":true}]}})",
       "spec.ports[0].targetPort: expected an integer or a string, got boolean true"},
      {"targetPort too big", Kind::Service,
       R"({"spec":{"ports":[{"port":80,"targetPort":70000}]}})",
       "spec.ports[0].targetPort: expected a port number (1-65535), got number 70000"},
      {"spec array", Kind::Service, R"({"spec":[]})", "spec: expected an object, got array"},
      {"ip number", Kind::Endpoints, R"({"subsets":[{"addresses":[{"ip":"10.0.0.1"},{"ip":10}]}]})",
       "subsets[0].addresses[1].ip: expected a string, got number 10"},
      {"ip missing", Kind::Endpoints, R"({"subsets":[{"notReadyAddresses":[{"nodeName":"n"}]}]})",
       "subsets[0].notReadyAddresses[0].ip: required field missing"},
      {"endpoint port out of range", Kind::Endpoints,
       R"({"subsets":[{"ports":[{"name":"http","port":70000}]}]})",
       "subsets[0].ports[0].port: expected a port number (1-65535), got number 70000"},
      {"port float", Kind::Endpoints, R"({"subsets":[{"ports":[{"port":80.5}]}]})",
       "subsets[0].ports[0].port: expected an integer, got number 80.5"},
      {"subsets object", Kind::Endpoints, R"({"subsets":{}})",
       "subsets: expected an array, got object"},
      {"subset string", Kind::Endpoints, R"({"subsets":[{},"x"]})",
       R"(subsets[1]: expected an object, got string "x")"},
      {"protocol number", Kind::Endpoints, R"({"subsets":[{"ports":[{"port":1,"protocol":6}]}]})",
       "subsets[0].ports[0].protocol: expected a string, got number 6"},
      {"ready string", Kind::Slice, R"({"endpoints":[{"addresses":["10.0.0.1"],
        "conditions":{"ready":"true"}}]})",
       R"(endpoints[0].conditions.ready: expected a boolean, got string "true")"},
      {"slice address number", Kind::Slice, R"({"endpoints":[{"addresses":[167772161]}]})",
       "endpoints[0].addresses[0]: expected a string, got number 167772161"},
      {"slice port string", Kind::Slice, R"({"ports":[{"name":"http","port":"80"}]})",
       R"(ports[0].port: expected an integer, got string "80")"},
      {"addressType number", Kind::Slice, R"({"addressType":4})",
       "addressType: expected a string, got number 4"},
      {"label value number", Kind::Meta, R"({"metadata":{"labels":{"app.kubernetes.io/v":1}}})",
       R"(metadata.labels["app.kubernetes.io/v"]: expected a string, got number 1)"},
      {"metadata array", Kind::Meta, R"({"metadata":[]})",
       "metadata: expected an object, got array"},
      {"name null ok, namespace object", Kind::Meta, R"({"metadata":{"name":null,"namespace":{}}})",
       "metadata.namespace: expected a string, got object"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.name);

    const std::string error = parse_error(c.kind, object(c.json));

    EXPECT_EQ(error, c.error);
  }
}

TEST(ObjectsParse, LongStringsAreCutInMessages) {
  const std::string long_name(200, 'x');

  const std::string error =
      error_of(parse_service(object(R"({"spec":{"ports":[{"port":")" + long_name + R"("}]}})")));

  EXPECT_EQ(error, "spec.ports[0].port: expected an integer, got string \"" + std::string(64, 'x') +
                       "\"...");
}

TEST(ObjectsParse, ParseErrorShow) {
  EXPECT_EQ((ParseError{"a.b", "bad"}).show(), "a.b: bad");
  EXPECT_EQ((ParseError{"", "bad"}).show(), "bad");
}

// ------------------------------------------------------------------------------------------
// resolve_endpoints

EndpointAddress ready(std::string ip, std::string node = "") {
  return {std::move(ip), std::move(node), true, std::nullopt, std::nullopt};
}
EndpointAddress not_ready(std::string ip) {
  return {std::move(ip), "", false, std::nullopt, std::nullopt};
}
EndpointAddress conditions(std::string ip, std::optional<bool> r, std::optional<bool> serving,
                           std::optional<bool> terminating) {
  return {std::move(ip), "", r, serving, terminating};
}
EndpointPort tcp(std::string name, std::uint16_t port) { return {std::move(name), port, "TCP"}; }

Service service_with(std::vector<ServicePort> ports) {
  Service s;
  s.meta.name = "svc";
  s.ports = std::move(ports);
  return s;
}

TEST(ObjectsResolve, NamedPortFromParsedEndpoints) {
  const Endpoints endpoints = parsed(parse_endpoints(object(kAccountsEndpoints)));

  const auto http = resolve_endpoints(endpoints.groups, "http", nullptr);
  const auto admin = resolve_endpoints(endpoints.groups, "admin", nullptr);

  EXPECT_EQ(show(http),
            (Shown{"10.248.1.11:8083@nodeName=node-b", "10.248.4.9:8083@nodeName=node-a"}));
  EXPECT_EQ(show(admin),
            (Shown{"10.248.1.11:9990@nodeName=node-b", "10.248.4.9:9990@nodeName=node-a"}));
}

TEST(ObjectsResolve, NoGroupsIsNeg) {
  // Linkerd #1626: `"subsets": []` → NameTree.Neg; so do `null`, no slices, no object.
  const Endpoints scaled_down = parsed(parse_endpoints(
      object(R"({"metadata":{"name":"world-v1","namespace":"liza1626"},"subsets":[]})")));

  EXPECT_EQ(resolve_endpoints(scaled_down.groups, "http", nullptr), std::nullopt);
  EXPECT_EQ(resolve_endpoints({}, "80", nullptr), std::nullopt);
}

TEST(ObjectsResolve, NotReadyOnlySubsetIsEmptyBoundSet) {
  // Linkerd's `modified2`: only notReadyAddresses, ports still listed → bound, no addresses.
  const Endpoints endpoints = parsed(parse_endpoints(object(R"({
    "metadata": {"name": "accounts", "namespace": "srv", "resourceVersion": "5319582"},
    "subsets": [{"notReadyAddresses": [{"ip": "10.248.0.138", "nodeName": "n1"}],
                 "ports": [{"name": "http", "port": 8086, "protocol": "TCP"}]}]
  })")));

  const auto result = resolve_endpoints(endpoints.groups, "http", nullptr);

  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->empty());
}

TEST(ObjectsResolve, UnknownNamedPortIsNeg) {
  const std::vector<EndpointGroup> groups{{{ready("10.0.0.1")}, {tcp("http", 8080)}}};

  EXPECT_EQ(resolve_endpoints(groups, "grpc", nullptr), std::nullopt);
  EXPECT_EQ(resolve_endpoints(groups, "", nullptr), std::nullopt);
}

TEST(ObjectsResolve, UdpPortsAreIgnored) {
  const std::vector<EndpointGroup> groups{
      {{ready("10.0.0.10")},
       {{"dns", 53, "UDP"}, {"dns-tcp", 53, "TCP"}, {"metrics", 9153, "SCTP"}}}};

  EXPECT_EQ(resolve_endpoints(groups, "dns", nullptr), std::nullopt);
  EXPECT_EQ(resolve_endpoints(groups, "metrics", nullptr), std::nullopt);
  EXPECT_EQ(show(resolve_endpoints(groups, "dns-tcp", nullptr)), (Shown{"10.0.0.10:53"}));
}

TEST(ObjectsResolve, NamedPortResolvedPerGroup) {
  // Two slices of one Service whose targetPort name maps to different container ports.
  const std::vector<EndpointGroup> groups{
      {{ready("10.0.1.5"), ready("10.0.1.6")}, {tcp("http", 8080)}},
      {{ready("10.0.2.7")}, {tcp("http", 9090)}},
      {{ready("10.0.3.8")}, {tcp("admin", 9990)}},  // lacks `http`: contributes nothing
  };

  EXPECT_EQ(show(resolve_endpoints(groups, "http", nullptr)),
            (Shown{"10.0.1.5:8080", "10.0.1.6:8080", "10.0.2.7:9090"}));
}

TEST(ObjectsResolve, SliceWithoutPortNumberDoesNotResolveNamedPort) {
  const std::vector<EndpointGroup> groups{{{ready("10.0.0.1")}, {{"http", std::nullopt, "TCP"}}}};

  EXPECT_EQ(resolve_endpoints(groups, "http", nullptr), std::nullopt);
}

TEST(ObjectsResolve, NumericPortWithNumericTargetPort) {
  // Linkerd's `sessions` Service: 80 → 54321.
  const Service service = service_with(
      {{"http", 80, "TCP", std::uint16_t{54321}}, {"admin", 9990, "TCP", std::monostate{}}});
  const std::vector<EndpointGroup> groups{
      {{ready("10.248.4.9"), ready("10.248.7.11")}, {tcp("http", 54321), tcp("admin", 9990)}}};
  const std::vector<EndpointGroup> unnamed{{{ready("10.248.4.9")}, {tcp("other", 1)}}};

  EXPECT_EQ(show(resolve_endpoints(groups, "80", &service)),
            (Shown{"10.248.4.9:54321", "10.248.7.11:54321"}));
  EXPECT_EQ(show(resolve_endpoints(groups, "9990", &service)),
            (Shown{"10.248.4.9:9990", "10.248.7.11:9990"}));
  // A group without the Service port's name falls back to the targetPort number.
  EXPECT_EQ(show(resolve_endpoints(unnamed, "80", &service)), (Shown{"10.248.4.9:54321"}));
  EXPECT_EQ(show(resolve_endpoints(unnamed, "9990", &service)), (Shown{"10.248.4.9:9990"}));
}

TEST(ObjectsResolve, NumericPortWithNamedTargetPortGoesThroughEndpointPortNames) {
  // Linkerd's `auth` Service: 80 → targetPort "http" → the Endpoints port `http` (8082).
  const Service service = parsed(parse_service(object(R"({
    "kind": "Service", "apiVersion": "v1",
    "metadata": {"name": "auth", "namespace": "srv"},
    "spec": {"ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"},
                       {"name": "admin", "port": 9990, "protocol": "TCP"}]},
    "status": {"loadBalancer": {"ingress": [{"hostname": "linkerd.io"}]}}
  })")));
  const Endpoints endpoints = parsed(parse_endpoints(object(R"({
    "kind": "Endpoints", "apiVersion": "v1",
    "metadata": {"name": "auth", "namespace": "srv"},
    "subsets": [{"addresses": [{"ip": "10.248.0.11"}, {"ip": "10.248.0.12"}],
                 "ports": [{"name": "http", "port": 8082}, {"name": "admin", "port": 9990}]},
                {"addresses": [{"ip": "10.248.5.3"}],
                 "ports": [{"name": "admin", "port": 9990}]}]
  })")));

  EXPECT_EQ(show(resolve_endpoints(endpoints.groups, "80", &service)),
            (Shown{"10.248.0.11:8082", "10.248.0.12:8082"}));  // second subset lacks `http`
  EXPECT_EQ(show(resolve_endpoints(endpoints.groups, "9990", &service)),
            (Shown{"10.248.0.11:9990", "10.248.0.12:9990", "10.248.5.3:9990"}));
}

TEST(ObjectsResolve, NumericPortWithNamedTargetPortNoGroupHasItIsNeg) {
  const Service service = service_with({{"web", 80, "TCP", std::string("http-web-svc")}});
  const std::vector<EndpointGroup> groups{{{ready("10.0.0.1")}, {tcp("other", 81)}}};

  EXPECT_EQ(resolve_endpoints(groups, "80", &service), std::nullopt);
}

TEST(ObjectsResolve, NumericPortNotInServiceIsNeg) {
  const Service service = service_with(
      {{"http", 80, "TCP", std::uint16_t{8080}}, {"dns", 53, "UDP", std::monostate{}}});
  const std::vector<EndpointGroup> groups{{{ready("10.0.0.1")}, {tcp("http", 8080)}}};

  EXPECT_EQ(resolve_endpoints(groups, "8080", &service), std::nullopt);  // a target, not a port
  EXPECT_EQ(resolve_endpoints(groups, "53", &service), std::nullopt);    // UDP
  EXPECT_EQ(resolve_endpoints(groups, "0", &service), std::nullopt);
  EXPECT_EQ(resolve_endpoints(groups, "99999", &service), std::nullopt);
  EXPECT_EQ(resolve_endpoints(groups, "80", nullptr), std::nullopt);  // no Service known
  EXPECT_EQ(show(resolve_endpoints(groups, "080", &service)), (Shown{"10.0.0.1:8080"}));
}

TEST(ObjectsResolve, UnnamedSingleServicePort) {
  // A Service with one unnamed port: the endpoint port's name is "".
  const Service service = service_with({{"", 80, "TCP", std::uint16_t{8080}}});
  const std::vector<EndpointGroup> groups{{{ready("10.0.0.1")}, {tcp("", 8081)}}};

  EXPECT_EQ(show(resolve_endpoints(groups, "80", &service)), (Shown{"10.0.0.1:8081"}));
}

TEST(ObjectsResolve, ReadyPolicy) {
  struct Case {
    const char* name;
    std::vector<EndpointAddress> addresses;
    Shown expected;
  };
  const Case cases[] = {
      {"ready unknown counts as ready",
       {conditions("10.0.0.1", std::nullopt, std::nullopt, std::nullopt),
        conditions("10.0.0.2", false, std::nullopt, std::nullopt)},
       {"10.0.0.1:80"}},
      {"ready wins over draining",
       {conditions("10.0.0.1", true, true, false), conditions("10.0.0.2", false, true, true)},
       {"10.0.0.1:80"}},
      {"all terminating: serving and terminating ones",
       {conditions("10.0.0.1", false, true, true), conditions("10.0.0.2", false, false, true),
        conditions("10.0.0.3", false, std::nullopt, true),
        conditions("10.0.0.4", false, true, std::nullopt)},
       {"10.0.0.1:80"}},
      {"none usable", {conditions("10.0.0.1", false, false, true), not_ready("10.0.0.2")}, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::vector<EndpointGroup> groups{{c.addresses, {tcp("http", 80)}}};

    const auto result = resolve_endpoints(groups, "http", nullptr);

    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(show(result), c.expected);
  }
}

TEST(ObjectsResolve, FallbackOnlyWhenNoGroupHasReadyAddresses) {
  const std::vector<EndpointGroup> groups{
      {{conditions("10.0.0.1", false, true, true)}, {tcp("http", 80)}},
      {{ready("10.0.0.2")}, {tcp("http", 80)}},
  };

  EXPECT_EQ(show(resolve_endpoints(groups, "http", nullptr)), (Shown{"10.0.0.2:80"}));
}

TEST(ObjectsResolve, DeduplicatedAndSorted) {
  // An address moving between slices shows up in both for a moment.
  const std::vector<EndpointGroup> groups{
      {{ready("10.0.0.9", "n2"), ready("10.0.0.10", "n1")}, {tcp("http", 80)}},
      {{ready("10.0.0.9", "n3"), ready("10.0.0.1", "n1")}, {tcp("http", 80)}},
      {{ready("10.0.0.9", "n2")}, {tcp("http", 81)}},
  };

  EXPECT_EQ(show(resolve_endpoints(groups, "http", nullptr)),
            (Shown{"10.0.0.1:80@nodeName=n1", "10.0.0.10:80@nodeName=n1", "10.0.0.9:80@nodeName=n2",
                   "10.0.0.9:81@nodeName=n2"}));
}

TEST(ObjectsResolve, Ipv6Addresses) {
  const EndpointSlice slice = parsed(parse_endpoint_slice(object(R"({
    "metadata": {"name": "web-v6-x8k2p", "namespace": "default",
                 "labels": {"kubernetes.io/service-name": "web"}},
    "addressType": "IPv6",
    "endpoints": [{"addresses": ["fd00:10:244:1::7"], "conditions": {"ready": true},
                   "nodeName": "worker-1"},
                  {"addresses": ["fd00:10:244:1::3"], "conditions": {"ready": true}}],
    "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]
  })")));

  EXPECT_EQ(show(resolve_endpoints({slice.group}, "http", nullptr)),
            (Shown{"fd00:10:244:1::3:8080", "fd00:10:244:1::7:8080@nodeName=worker-1"}));
}

TEST(ObjectsResolve, AddressesCarryWeightOne) {
  const std::vector<EndpointGroup> groups{{{ready("10.0.0.1", "n")}, {tcp("http", 80)}}};

  const auto result = resolve_endpoints(groups, "http", nullptr);

  ASSERT_TRUE(result.has_value());
  ASSERT_EQ(result->size(), 1u);
  EXPECT_EQ((*result)[0], (dtab::Address{"10.0.0.1", 80, {{"nodeName", "n"}}, 1.0}));
}

}  // namespace
}  // namespace meshd::k8s
