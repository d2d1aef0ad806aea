#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meshd/k8s/objects.h"

namespace meshd::k8s {
namespace {

namespace json = boost::json;
using Type = IngressPath::Type;

json::object object(std::string_view text) { return json::parse(text).as_object(); }

Ingress parsed(std::string_view text, bool v1) {
  ParseResult<Ingress> result = parse_ingress(object(text), v1);
  if (const auto* error = std::get_if<ParseError>(&result)) {
    ADD_FAILURE() << "unexpected parse error: " << error->show();
    return {};
  }
  return std::get<Ingress>(std::move(result));
}

std::string error_of(std::string_view text, bool v1) {
  ParseResult<Ingress> result = parse_ingress(object(text), v1);
  if (const auto* error = std::get_if<ParseError>(&result)) {
    return error->show();
  }
  return "(parsed)";
}

IngressPath path(Type type, std::string p, std::string service, std::string port = "8080") {
  return {std::move(p), type, {std::move(service), std::move(port)}};
}

Ingress ingress(std::string ns, std::string name, std::string created,
                std::vector<IngressRule> rules,
                std::optional<IngressBackend> default_backend = std::nullopt) {
  Ingress out;
  out.meta.ns = std::move(ns);
  out.meta.name = std::move(name);
  out.meta.creation_timestamp = std::move(created);
  out.rules = std::move(rules);
  out.default_backend = std::move(default_backend);
  return out;
}

// `ns/service:port`, or `none`.
std::string route(const std::vector<Ingress>& ingresses, std::string_view host,
                  std::string_view request_path, const IngressOptions& options = {}) {
  const std::optional<IngressMatch> match = match_ingress(ingresses, host, request_path, options);
  if (!match) {
    return "none";
  }
  return match->ns + "/" + match->backend.service + ":" + match->backend.port;
}

// ------------------------------------------------------------------------------------------
// Parsing

TEST(IngressParse, V1WithClassRulesAndDefaultBackend) {
  const Ingress ingress = parsed(R"({
    "apiVersion": "networking.k8s.io/v1",
    "kind": "Ingress",
    "metadata": {"name": "minimal-ingress", "namespace": "shop", "resourceVersion": "811",
                 "creationTimestamp": "2024-02-01T09:30:00Z",
                 "annotations": {"nginx.ingress.kubernetes.io/rewrite-target": "/"}},
    "spec": {
      "ingressClassName": "linkerd",
      "defaultBackend": {"service": {"name": "fallback", "port": {"name": "http"}}},
      "tls": [{"hosts": ["foo.bar.com"], "secretName": "tls"}],
      "rules": [
        {"host": "foo.bar.com",
         "http": {"paths": [
           {"path": "/testpath", "pathType": "Prefix",
            "backend": {"service": {"name": "test", "port": {"number": 80}}}},
           {"path": "/api/v[0-9]+", "pathType": "ImplementationSpecific",
            "backend": {"service": {"name": "api", "port": {"name": "grpc"}}}},
           {"path": "/exact", "pathType": "Exact",
            "backend": {"service": {"name": "exact", "port": {"number": 8080}}}}]}},
        {"host": "*.foo.com"}
      ]
    },
    "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.10"}]}}
  })",
                                 true);

  EXPECT_EQ(ingress.meta.ns, "shop");
  EXPECT_EQ(ingress.ingress_class_name, "linkerd");
  EXPECT_EQ(ingress.class_annotation, std::nullopt);
  EXPECT_EQ(ingress.default_backend, (IngressBackend{"fallback", "http"}));
  ASSERT_EQ(ingress.rules.size(), 2u);
  EXPECT_EQ(ingress.rules[0].host, "foo.bar.com");
  ASSERT_EQ(ingress.rules[0].paths.size(), 3u);
  EXPECT_EQ(ingress.rules[0].paths[0].path, "/testpath");
  EXPECT_EQ(ingress.rules[0].paths[0].type, Type::Prefix);
  EXPECT_EQ(ingress.rules[0].paths[0].backend, (IngressBackend{"test", "80"}));
  EXPECT_EQ(ingress.rules[0].paths[1].type, Type::ImplementationSpecific);
  EXPECT_EQ(ingress.rules[0].paths[1].backend, (IngressBackend{"api", "grpc"}));
  EXPECT_EQ(ingress.rules[0].paths[2].type, Type::Exact);
  EXPECT_EQ(ingress.rules[1].host, "*.foo.com");
  EXPECT_TRUE(ingress.rules[1].paths.empty());
}

TEST(IngressParse, V1beta1LinkerdShape) {
  // An `extensions/v1beta1` IngressList item (no kind), as Linkerd 1's IngressCacheTest has it.
  const Ingress ingress = parsed(R"({
    "metadata": {"name": "the-ingress", "namespace": "default", "resourceVersion": "58840",
                 "generation": 1, "creationTimestamp": "2017-08-14T22:17:55Z",
                 "annotations": {"kubernetes.io/ingress.class": "linkerd"}},
    "spec": {
      "backend": {"serviceName": "fallback", "servicePort": 2022},
      "rules": [{"http": {"paths": [
        {"path": "/some-path", "backend": {"serviceName": "echo", "servicePort": 1010}},
        {"backend": {"serviceName": "echo", "servicePort": "http"}}]}}]
    },
    "status": {"loadBalancer": {}}
  })",
                                 false);

  EXPECT_EQ(ingress.class_annotation, "linkerd");
  EXPECT_EQ(ingress.default_backend, (IngressBackend{"fallback", "2022"}));
  ASSERT_EQ(ingress.rules.size(), 1u);
  EXPECT_EQ(ingress.rules[0].host, "");
  ASSERT_EQ(ingress.rules[0].paths.size(), 2u);
  EXPECT_EQ(ingress.rules[0].paths[0].type, Type::ImplementationSpecific);
  EXPECT_EQ(ingress.rules[0].paths[0].backend, (IngressBackend{"echo", "1010"}));
  EXPECT_EQ(ingress.rules[0].paths[1].path, "");
  EXPECT_EQ(ingress.rules[0].paths[1].backend, (IngressBackend{"echo", "http"}));
}

TEST(IngressParse, NetworkingV1beta1WithPathType) {
  const Ingress ingress = parsed(R"({
    "apiVersion": "networking.k8s.io/v1beta1", "kind": "Ingress",
    "metadata": {"name": "test-ingress"},
    "spec": {"ingressClassName": "linkerd",
             "rules": [{"http": {"paths": [{"path": "/testpath", "pathType": "Exact",
               "backend": {"serviceName": "test", "servicePort": 80}}]}}]}
  })",
                                 false);

  EXPECT_EQ(ingress.ingress_class_name, "linkerd");
  ASSERT_EQ(ingress.rules.size(), 1u);
  EXPECT_EQ(ingress.rules[0].paths[0].type, Type::Exact);
}

TEST(IngressParse, NoSpecOrNullRules) {
  EXPECT_TRUE(parsed(R"({"metadata":{"name":"a"}})", true).rules.empty());
  EXPECT_TRUE(parsed(R"({"metadata":{"name":"a"},"spec":{"rules":null}})", true).rules.empty());
  EXPECT_TRUE(parsed(R"({"spec":{"rules":[{"host":"a.com","http":{"paths":null}}]}})", true)
                  .rules[0]
                  .paths.empty());
}

TEST(IngressParse, ErrorsNameTheField) {
  struct Case {
    const char* name;
    bool v1;
    const char* json;
    const char* error;
  };
  const Case cases[] = {
      {"resource backend", true,
       R"({"spec":{"rules":[{"http":{"paths":[{"path":"/","pathType":"Prefix",
          "backend":{"resource":{"apiGroup":"k8s.example.com","kind":"StorageBucket",
          "name":"static-assets"}}}]}}]}})",
       "spec.rules[0].http.paths[0].backend.resource: resource backends are not supported"},
      {"resource default backend", true,
       R"({"spec":{"defaultBackend":{"resource":{"kind":"StorageBucket","name":"b"}}}})",
       "spec.defaultBackend.resource: resource backends are not supported"},
      {"v1 pathType missing", true,
       R"({"spec":{"rules":[{"http":{"paths":[{"path":"/",
          "backend":{"service":{"name":"a","port":{"number":80}}}}]}}]}})",
       "spec.rules[0].http.paths[0].pathType: required field missing"},
      {"unknown pathType", true,
       R"({"spec":{"rules":[{"http":{"paths":[{"path":"/","pathType":"Regex",
          "backend":{"service":{"name":"a","port":{"number":80}}}}]}}]}})",
       "spec.rules[0].http.paths[0].pathType: expected Exact, Prefix or ImplementationSpecific, "
       "got Regex"},
      {"port with neither", true,
       R"({"spec":{"defaultBackend":{"service":{"name":"a","port":{}}}}})",
       "spec.defaultBackend.service.port: expected `name` or `number`"},
      {"port missing", true, R"({"spec":{"defaultBackend":{"service":{"name":"a"}}}})",
       "spec.defaultBackend.service.port: required field missing"},
      {"port number string", true,
       R"({"spec":{"rules":[{"http":{"paths":[{"path":"/","pathType":"Prefix",
          "backend":{"service":{"name":"a","port":{"number":"80"}}}}]}}]}})",
       R"(spec.rules[0].http.paths[0].backend.service.port.number: expected an integer, got string "80")"},
      {"service missing", true, R"({"spec":{"defaultBackend":{}}})",
       "spec.defaultBackend.service: required field missing"},
      {"backend missing", true,
       R"({"spec":{"rules":[{"host":"ok.com"},
          {"http":{"paths":[{"path":"/","pathType":"Prefix"}]}}]}})",
       "spec.rules[1].http.paths[0].backend: required field missing"},
      {"v1beta1 serviceName missing", false, R"({"spec":{"backend":{"servicePort":80}}})",
       "spec.backend.serviceName: required field missing"},
      {"v1beta1 servicePort bool", false,
       R"({"spec":{"backend":{"serviceName":"a","servicePort":true}}})",
       "spec.backend.servicePort: expected an integer or a string, got boolean true"},
      {"v1beta1 servicePort range", false,
       R"({"spec":{"backend":{"serviceName":"a","servicePort":0}}})",
       "spec.backend.servicePort: expected a port number (1-65535), got number 0"},
      {"host number", true, R"({"spec":{"rules":[{"host":7}]}})",
       "spec.rules[0].host: expected a string, got number 7"},
      {"rules object", true, R"({"spec":{"rules":{}}})",
       "spec.rules: expected an array, got object"},
      {"class name bool", true, R"({"spec":{"ingressClassName":false}})",
       "spec.ingressClassName: expected a string, got boolean false"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);

    EXPECT_EQ(error_of(c.json, c.v1), c.error);
  }
}

// ------------------------------------------------------------------------------------------
// Class selection

TEST(IngressClass, IsOurs) {
  struct Case {
    const char* name;
    std::string class_name;
    std::optional<std::string> annotation;
    std::string ours;
    bool expected;
  };
  const Case cases[] = {
      {"neither: ours (Linkerd 1)", "", std::nullopt, "linkerd", true},
      {"annotation equal", "", "linkerd", "linkerd", true},
      {"annotation other", "", "nginx", "linkerd", false},
      {"annotation empty", "", "", "linkerd", false},
      {"class name equal", "linkerd", std::nullopt, "linkerd", true},
      {"conformance: invalid class name", "some-invalid-class-name", std::nullopt, "linkerd",
       false},
      {"class name wins over annotation", "linkerd", "nginx", "linkerd", true},
      {"class name other, annotation ours", "nginx", "linkerd", "linkerd", false},
      {"configured class", "", "internal", "internal", true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Ingress ingress;
    ingress.ingress_class_name = c.class_name;
    ingress.class_annotation = c.annotation;
    IngressOptions options;
    options.ingress_class = c.ours;

    EXPECT_EQ(ingress_is_ours(ingress, options), c.expected);
  }
}

TEST(IngressClass, LinkerdAnnotatedListRoutesOnlyOurs) {
  // Linkerd 1 IngressCacheTest: istio, linkerd and nginx Ingresses all claim `/shared`.
  const char* const items[] = {
      R"({"metadata":{"name":"istio-ingress","namespace":"default",
          "creationTimestamp":"2017-08-14T22:07:57Z",
          "annotations":{"kubernetes.io/ingress.class":"istio"}},
          "spec":{"rules":[{"http":{"paths":[
            {"path":"/istio-only","backend":{"serviceName":"httpbin","servicePort":6060}},
            {"path":"/shared","backend":{"serviceName":"httpbin","servicePort":6061}}]}}]}})",
      R"({"metadata":{"name":"linkerd-ingress","namespace":"default",
          "creationTimestamp":"2017-08-14T22:07:57Z",
          "annotations":{"kubernetes.io/ingress.class":"linkerd"}},
          "spec":{"rules":[{"http":{"paths":[
            {"path":"/linkerd-only","backend":{"serviceName":"echo","servicePort":7070}},
            {"path":"/shared","backend":{"serviceName":"echo","servicePort":7071}}]}}]}})",
      R"({"metadata":{"name":"nginx-ingress","namespace":"default",
          "creationTimestamp":"2017-08-14T22:07:57Z",
          "annotations":{"kubernetes.io/ingress.class":"nginx",
                         "ingress.kubernetes.io/rewrite-target":"/"}},
          "spec":{"rules":[{"http":{"paths":[
            {"path":"/nginx-only","backend":{"serviceName":"nginx","servicePort":8080}},
            {"path":"/shared","backend":{"serviceName":"nginx","servicePort":8081}}]}}]}})",
  };
  std::vector<Ingress> ours;
  for (const char* item : items) {
    Ingress ingress = parsed(item, false);
    if (ingress_is_ours(ingress, {})) {
      ours.push_back(std::move(ingress));
    }
  }

  ASSERT_EQ(ours.size(), 1u);
  EXPECT_EQ(route(ours, "linkerd.example", "/shared"), "default/echo:7071");
  EXPECT_EQ(route(ours, "linkerd.example", "/linkerd-only"), "default/echo:7070");
  EXPECT_EQ(route(ours, "linkerd.example", "/istio-only"), "none");
  EXPECT_EQ(route(ours, "linkerd.example", "/nginx-only"), "none");
}

// ------------------------------------------------------------------------------------------
// Matching: the Kubernetes docs example table (ingress.md §Examples), every row.

struct DocsRow {
  const char* name;
  std::vector<IngressPath> paths;
  std::vector<const char*> requests;
  const char* expected;  // backend service, or "none"
};

TEST(IngressMatchDocs, ExampleTable) {
  const DocsRow rows[] = {
      {"Prefix / matches all paths",
       {path(Type::Prefix, "/", "root")},
       {"/", "/foo", "/aaa/bbb/ccc", "/foo/", "/FOO?x"},
       "root"},
      {"Exact /foo matches /foo", {path(Type::Exact, "/foo", "foo")}, {"/foo"}, "foo"},
      {"Exact /foo does not match /bar", {path(Type::Exact, "/foo", "foo")}, {"/bar"}, "none"},
      {"Exact /foo does not match /foo/", {path(Type::Exact, "/foo", "foo")}, {"/foo/"}, "none"},
      {"Exact /foo/ does not match /foo", {path(Type::Exact, "/foo/", "foo")}, {"/foo"}, "none"},
      {"Prefix /foo matches /foo and /foo/",
       {path(Type::Prefix, "/foo", "foo")},
       {"/foo", "/foo/"},
       "foo"},
      {"Prefix /foo/ matches /foo and /foo/",
       {path(Type::Prefix, "/foo/", "foo")},
       {"/foo", "/foo/"},
       "foo"},
      {"Prefix /aaa/bb does not match /aaa/bbb",
       {path(Type::Prefix, "/aaa/bb", "bb")},
       {"/aaa/bbb"},
       "none"},
      {"Prefix /aaa/bbb matches /aaa/bbb",
       {path(Type::Prefix, "/aaa/bbb", "bbb")},
       {"/aaa/bbb"},
       "bbb"},
      {"Prefix /aaa/bbb/ matches /aaa/bbb, ignores trailing slash",
       {path(Type::Prefix, "/aaa/bbb/", "bbb")},
       {"/aaa/bbb"},
       "bbb"},
      {"Prefix /aaa/bbb matches /aaa/bbb/, matches trailing slash",
       {path(Type::Prefix, "/aaa/bbb", "bbb")},
       {"/aaa/bbb/"},
       "bbb"},
      {"Prefix /aaa/bbb matches /aaa/bbb/ccc, matches subpath",
       {path(Type::Prefix, "/aaa/bbb", "bbb")},
       {"/aaa/bbb/ccc"},
       "bbb"},
      {"Prefix /aaa/bbb does not match /aaa/bbbxyz, not a string prefix",
       {path(Type::Prefix, "/aaa/bbb", "bbb")},
       {"/aaa/bbbxyz"},
       "none"},
      {"Prefix /, /aaa: /aaa/ccc matches /aaa",
       {path(Type::Prefix, "/", "root"), path(Type::Prefix, "/aaa", "aaa")},
       {"/aaa/ccc"},
       "aaa"},
      {"Prefix /, /aaa, /aaa/bbb: /aaa/bbb matches /aaa/bbb",
       {path(Type::Prefix, "/", "root"), path(Type::Prefix, "/aaa", "aaa"),
        path(Type::Prefix, "/aaa/bbb", "bbb")},
       {"/aaa/bbb"},
       "bbb"},
      {"Prefix /, /aaa, /aaa/bbb: /ccc matches /",
       {path(Type::Prefix, "/", "root"), path(Type::Prefix, "/aaa", "aaa"),
        path(Type::Prefix, "/aaa/bbb", "bbb")},
       {"/ccc"},
       "root"},
      {"Prefix /aaa: /ccc uses the default backend",
       {path(Type::Prefix, "/aaa", "aaa")},
       {"/ccc"},
       "default"},
      {"Mixed /foo Prefix and /foo Exact: /foo prefers Exact",
       {path(Type::Prefix, "/foo", "foo-prefix"), path(Type::Exact, "/foo", "foo-exact")},
       {"/foo"},
       "foo-exact"},
  };
  for (const DocsRow& row : rows) {
    std::optional<IngressBackend> fallback;
    if (std::string_view(row.expected) == "default") {
      fallback = IngressBackend{"default", "80"};
    }
    const std::vector<Ingress> ingresses{
        ingress("docs", "example", "2024-01-01T00:00:00Z", {{"", row.paths}}, fallback)};
    for (const char* request : row.requests) {
      SCOPED_TRACE(std::string(row.name) + " — request " + request);
      std::string request_path = request;
      request_path = request_path.substr(0, request_path.find('?'));

      const std::optional<IngressMatch> match =
          match_ingress(ingresses, "example.com", request_path, {});

      EXPECT_EQ(match ? match->backend.service : "none", row.expected);
    }
  }
}

// ------------------------------------------------------------------------------------------
// Matching: kubernetes-sigs/ingress-controller-conformance features.

struct Scenario {
  const char* name;
  const char* host;
  const char* path;
  const char* expected;  // backend service, or "none" (404)
};

void run_scenarios(const std::vector<Ingress>& ingresses, const std::vector<Scenario>& scenarios) {
  for (const Scenario& s : scenarios) {
    SCOPED_TRACE(std::string(s.name) + " — " + s.host + s.path);

    const std::optional<IngressMatch> match = match_ingress(ingresses, s.host, s.path, {});

    EXPECT_EQ(match ? match->backend.service : "none", s.expected);
  }
}

TEST(IngressMatchConformance, HostRules) {
  const std::vector<Ingress> ingresses{
      ingress("conformance", "host-rules", "2024-01-01T00:00:00Z",
              {{"*.foo.com", {path(Type::Prefix, "/", "wildcard-foo-com")}},
               {"foo.bar.com", {path(Type::Prefix, "/", "foo-bar-com", "http")}}})};

  run_scenarios(ingresses,
                {
                    {"TLS traffic to the matching backend", "foo.bar.com", "/", "foo-bar-com"},
                    {"traffic to the matching backend", "foo.bar.com", "/", "foo-bar-com"},
                    {"hostname does not match", "subdomain.bar.com", "/", "none"},
                    {"wildcard matches on shared suffix", "bar.foo.com", "/", "wildcard-foo-com"},
                    {"wildcard does not match more than one label", "baz.bar.foo.com", "/", "none"},
                    {"wildcard does not match no label", "foo.com", "/", "none"},
                });
}

TEST(IngressMatchConformance, PathRules) {
  const std::vector<Ingress> ingresses{
      ingress("conformance", "path-rules", "2024-01-01T00:00:00Z",
              {{"exact-path-rules", {path(Type::Exact, "/foo", "foo-exact")}},
               {"prefix-path-rules",
                {path(Type::Prefix, "/foo", "foo-prefix"),
                 path(Type::Prefix, "/aaa/bbb", "aaa-slash-bbb-prefix"),
                 path(Type::Prefix, "/aaa", "aaa-prefix")}},
               {"mixed-path-rules",
                {path(Type::Prefix, "/foo", "foo-prefix"), path(Type::Exact, "/foo", "foo-exact")}},
               {"trailing-slash-path-rules",
                {path(Type::Prefix, "/aaa/bbb/", "aaa-slash-bbb-slash-prefix"),
                 path(Type::Exact, "/foo/", "foo-slash-exact")}}})};

  run_scenarios(
      ingresses,
      {
          {"exact /foo matches /foo", "exact-path-rules", "/foo", "foo-exact"},
          {"exact /foo does not match /foo/", "exact-path-rules", "/foo/", "none"},
          {"exact is case sensitive", "exact-path-rules", "/FOO", "none"},
          {"exact /foo does not match /bar", "exact-path-rules", "/bar", "none"},
          {"prefix /foo matches /foo", "prefix-path-rules", "/foo", "foo-prefix"},
          {"prefix /foo matches /foo/", "prefix-path-rules", "/foo/", "foo-prefix"},
          {"prefix is case sensitive", "prefix-path-rules", "/FOO", "none"},
          {"prefix /aaa/bbb matches /aaa/bbb (longest)", "prefix-path-rules", "/aaa/bbb",
           "aaa-slash-bbb-prefix"},
          {"prefix /aaa/bbb matches /aaa/bbb/ccc", "prefix-path-rules", "/aaa/bbb/ccc",
           "aaa-slash-bbb-prefix"},
          {"prefix /aaa matches /aaa/ccc", "prefix-path-rules", "/aaa/ccc", "aaa-prefix"},
          {"prefix /aaa does not match /aaaccc", "prefix-path-rules", "/aaaccc", "none"},
          {"mixed: exact preferred", "mixed-path-rules", "/foo", "foo-exact"},
          {"mixed: prefix for subpaths", "mixed-path-rules", "/foo/bar", "foo-prefix"},
          {"prefix /aaa/bbb/ matches /aaa/bbb", "trailing-slash-path-rules", "/aaa/bbb",
           "aaa-slash-bbb-slash-prefix"},
          {"prefix /aaa/bbb/ matches /aaa/bbb/", "trailing-slash-path-rules", "/aaa/bbb/",
           "aaa-slash-bbb-slash-prefix"},
          {"exact /foo/ does not match /foo", "trailing-slash-path-rules", "/foo", "none"},
          {"exact /foo/ matches /foo/", "trailing-slash-path-rules", "/foo/", "foo-slash-exact"},
      });
}

TEST(IngressMatchConformance, DefaultBackendOnly) {
  const std::vector<Ingress> ingresses{ingress("conformance", "default-backend",
                                               "2024-01-01T00:00:00Z", {},
                                               IngressBackend{"echo-service", "8080"})};

  // The feature's Examples table: method | host | path (the method plays no part).
  run_scenarios(ingresses,
                {
                    {"GET my-host", "my-host", "/", "echo-service"},
                    {"GET my-host sub-path", "my-host", "/sub-path", "echo-service"},
                    {"POST some-host", "some-host", "/", "echo-service"},
                    {"PUT no host resource", "", "/resource", "echo-service"},
                    {"DELETE some-host resource", "some-host", "/resource", "echo-service"},
                    {"PATCH my-host resource", "my-host", "/resource", "echo-service"},
                });
}

TEST(IngressMatchConformance, InvalidClassGetsNoTraffic) {
  const Ingress foreign = parsed(R"({
    "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
    "metadata": {"name": "test-ingress-class", "namespace": "conformance"},
    "spec": {"ingressClassName": "some-invalid-class-name",
             "rules": [{"host": "ingress-class", "http": {"paths": [{"path": "/",
               "pathType": "Prefix", "backend": {"service": {"name": "ingress-class-prefix",
               "port": {"number": 8080}}}}]}}]}
  })",
                                 true);
  std::vector<Ingress> ours;
  if (ingress_is_ours(foreign, {})) {
    ours.push_back(foreign);
  }

  EXPECT_EQ(route(ours, "ingress-class", "/"), "none");
}

// ------------------------------------------------------------------------------------------
// Matching: host handling, precedence, default backends, ImplementationSpecific.

TEST(IngressMatchHost, Normalisation) {
  const std::vector<Ingress> ingresses{
      ingress("web", "site", "2024-01-01T00:00:00Z",
              {{"foo.bar.com", {path(Type::Prefix, "/", "precise")}},
               {"", {path(Type::Prefix, "/", "any")}}})};
  const Scenario cases[] = {
      {"exact", "foo.bar.com", "/", "precise"},
      {"port stripped", "foo.bar.com:8080", "/", "precise"},
      {"upper case", "FOO.Bar.COM", "/", "precise"},
      {"trailing dot", "foo.bar.com.", "/", "precise"},
      {"trailing dot and port", "foo.bar.com.:443", "/", "precise"},
      {"only one trailing dot", "foo.bar.com..", "/", "any"},
      {"IPv6 literal with port", "[::1]:4140", "/", "any"},
      {"IPv6 literal", "[fd00::1]", "/", "any"},
      {"IPv4 with port", "10.0.0.1:80", "/", "any"},
      {"no host", "", "/", "any"},
      {"other host", "bar.com", "/", "any"},
  };
  for (const Scenario& c : cases) {
    SCOPED_TRACE(c.name);

    EXPECT_EQ(route(ingresses, c.host, c.path), std::string("web/") + c.expected + ":8080");
  }
}

TEST(IngressMatchHost, PreciseBeatsWildcardBeatsNoHost) {
  const std::vector<Ingress> ingresses{
      ingress("a", "catch-all", "2024-01-01T00:00:00Z", {{"", {path(Type::Prefix, "/", "any")}}}),
      ingress("b", "wild", "2024-01-02T00:00:00Z",
              {{"*.foo.com", {path(Type::Prefix, "/", "wild")}}}),
      ingress("c", "precise", "2024-01-03T00:00:00Z",
              {{"api.foo.com", {path(Type::Prefix, "/v1", "precise")}}}),
  };

  EXPECT_EQ(route(ingresses, "api.foo.com", "/v1/x"), "c/precise:8080");
  // The precise rule is chosen even when its paths do not match: no fallback to wildcard.
  EXPECT_EQ(route(ingresses, "api.foo.com", "/v2"), "none");
  EXPECT_EQ(route(ingresses, "web.foo.com", "/v2"), "b/wild:8080");
  EXPECT_EQ(route(ingresses, "WEB.FOO.COM:80", "/"), "b/wild:8080");
  EXPECT_EQ(route(ingresses, "foo.com", "/"), "a/any:8080");
  EXPECT_EQ(route(ingresses, ".foo.com", "/"), "a/any:8080");
}

TEST(IngressMatchHost, RulesOfSeveralIngressesForOneHostAreMerged) {
  const std::vector<Ingress> ingresses{
      ingress("team-a", "a", "2024-01-01T00:00:00Z",
              {{"shop.example.com", {path(Type::Prefix, "/cart", "cart")}}}),
      ingress("team-b", "b", "2024-01-02T00:00:00Z",
              {{"shop.example.com", {path(Type::Prefix, "/cart/checkout", "checkout")}}}),
  };

  EXPECT_EQ(route(ingresses, "shop.example.com", "/cart/items"), "team-a/cart:8080");
  EXPECT_EQ(route(ingresses, "shop.example.com", "/cart/checkout/pay"), "team-b/checkout:8080");
}

TEST(IngressMatchPrecedence, TiesGoToOldestIngressThenNameThenOrder) {
  const std::vector<Ingress> ingresses{
      ingress("ns", "newer", "2024-03-01T00:00:00Z", {{"", {path(Type::Prefix, "/app", "newer")}}}),
      ingress("ns", "unknown-age", "", {{"", {path(Type::Prefix, "/app", "unknown")}}}),
      ingress("ns", "older", "2024-01-01T00:00:00Z",
              {{"", {path(Type::Prefix, "/app", "older-1"), path(Type::Prefix, "/app", "older-2")}},
               {"", {path(Type::Prefix, "/app", "older-rule-2")}}}),
  };
  const std::vector<Ingress> same_age{
      ingress("zz", "x", "2024-01-01T00:00:00Z", {{"", {path(Type::Prefix, "/", "zz")}}}),
      ingress("aa", "y", "2024-01-01T00:00:00Z", {{"", {path(Type::Prefix, "/", "aa-y")}}}),
      ingress("aa", "b", "2024-01-01T00:00:00Z", {{"", {path(Type::Prefix, "/", "aa-b")}}}),
  };
  const std::vector<Ingress> no_ages{
      ingress("ns", "b", "", {{"", {path(Type::Prefix, "/", "b")}}}),
      ingress("ns", "a", "", {{"", {path(Type::Prefix, "/", "a")}}}),
  };

  EXPECT_EQ(route(ingresses, "h", "/app"), "ns/older-1:8080");
  EXPECT_EQ(route(same_age, "h", "/"), "aa/aa-b:8080");
  EXPECT_EQ(route(no_ages, "h", "/"), "ns/a:8080");
}

TEST(IngressMatchPrecedence, LongestPathTextThenExact) {
  const std::vector<Ingress> ingresses{
      ingress("ns", "i", "2024-01-01T00:00:00Z",
              {{"",
                {path(Type::Prefix, "/foo", "foo"), path(Type::Prefix, "/foo/", "foo-slash"),
                 path(Type::ImplementationSpecific, "/foo", "foo-impl"),
                 path(Type::Exact, "/foo", "foo-exact")}}})};

  EXPECT_EQ(route(ingresses, "h", "/foo"), "ns/foo-slash:8080");  // `/foo/` is longer
  EXPECT_EQ(route(ingresses, "h", "/foo/x"), "ns/foo-slash:8080");
}

TEST(IngressMatchPrecedence, ExactBeatsImplementationSpecificOfSameLength) {
  const std::vector<Ingress> ingresses{
      ingress("ns", "i", "2024-01-01T00:00:00Z",
              {{"",
                {path(Type::ImplementationSpecific, "/foo", "impl"),
                 path(Type::Exact, "/foo", "exact")}}})};

  EXPECT_EQ(route(ingresses, "h", "/foo"), "ns/exact:8080");
  EXPECT_EQ(route(ingresses, "h", "/foo/bar"), "ns/impl:8080");
}

TEST(IngressMatchDefaultBackend, OwnerOfHostRulesFirst) {
  const std::vector<Ingress> ingresses{
      ingress("global", "oldest", "2023-01-01T00:00:00Z",
              {{"other.com", {path(Type::Prefix, "/", "other")}}}, IngressBackend{"catch", "80"}),
      ingress("shop", "shop", "2024-01-01T00:00:00Z",
              {{"shop.com", {path(Type::Exact, "/cart", "cart")}}},
              IngressBackend{"shop-404", "80"}),
      ingress("blog", "blog", "2024-02-01T00:00:00Z",
              {{"blog.com", {path(Type::Exact, "/", "blog")}}}),
  };
  IngressOptions ignore;
  ignore.ignore_default_backends = true;

  EXPECT_EQ(route(ingresses, "shop.com", "/cart"), "shop/cart:8080");
  EXPECT_EQ(route(ingresses, "shop.com", "/other"), "shop/shop-404:80");
  // blog.com's owner has none: the oldest Ingress with a default backend.
  EXPECT_EQ(route(ingresses, "blog.com", "/x"), "global/catch:80");
  EXPECT_EQ(route(ingresses, "unknown.com", "/x"), "global/catch:80");
  EXPECT_EQ(route(ingresses, "shop.com", "/cart", ignore), "shop/cart:8080");
  EXPECT_EQ(route(ingresses, "shop.com", "/other", ignore), "none");
  EXPECT_EQ(route(ingresses, "blog.com", "/x", ignore), "none");
  EXPECT_EQ(route(ingresses, "unknown.com", "/x", ignore), "none");
}

TEST(IngressMatchDefaultBackend, OldestOfSeveralOwners) {
  const std::vector<Ingress> ingresses{
      ingress("b", "newer", "2024-02-01T00:00:00Z", {{"", {path(Type::Exact, "/b", "b")}}},
              IngressBackend{"b-default", "80"}),
      ingress("a", "older", "2024-01-01T00:00:00Z", {{"", {path(Type::Exact, "/a", "a")}}},
              IngressBackend{"a-default", "80"}),
  };

  EXPECT_EQ(route(ingresses, "h", "/c"), "a/a-default:80");
}

TEST(IngressMatchDefaultBackend, LinkerdFallbackList) {
  // Linkerd 1 IngressCacheTest `ingressResourceListWithOneIngressWithFallback`.
  const std::vector<Ingress> ingresses{parsed(R"({
    "metadata": {"name": "the-ingress", "namespace": "default",
                 "creationTimestamp": "2017-08-14T22:17:55Z"},
    "spec": {"backend": {"serviceName": "fallback", "servicePort": 2022},
             "rules": [{"http": {"paths": [
               {"path": "/some-path", "backend": {"serviceName": "echo", "servicePort": 1010}},
               {"path": "/other-path", "backend": {"serviceName": "echo", "servicePort": 2021}}]}}]}
  })",
                                              false)};
  IngressOptions ignore;
  ignore.ignore_default_backends = true;

  EXPECT_EQ(route(ingresses, "linkerd.io", "/some-path"), "default/echo:1010");
  EXPECT_EQ(route(ingresses, "linkerd.io", "/other-path"), "default/echo:2021");
  EXPECT_EQ(route(ingresses, "linkerd.io", "/nope"), "default/fallback:2022");
  // Linkerd: "ignoreDefaultBackends ingress caches ignore default backends".
  EXPECT_EQ(route(ingresses, "linkerd.io", "/some-path", ignore), "default/echo:1010");
  EXPECT_EQ(route(ingresses, "linkerd.io", "/nope", ignore), "none");
}

TEST(IngressMatchImplementationSpecific, RegexOrPrefix) {
  const std::vector<Ingress> ingresses{
      ingress("ns", "i", "2024-01-01T00:00:00Z",
              {{"",
                {path(Type::ImplementationSpecific, "/api/v[0-9]+/.*", "api"),
                 path(Type::ImplementationSpecific, "/static", "static"),
                 path(Type::ImplementationSpecific, "/index.html", "index"),
                 path(Type::ImplementationSpecific, "/(broken", "broken"),
                 path(Type::ImplementationSpecific, "/Users|/users", "users")}}})};
  const Scenario cases[] = {
      {"regex full match", "h", "/api/v2/orders", "api"},
      {"regex must match the whole path", "h", "/api/v2", "none"},
      {"regex no match", "h", "/api/vx/orders", "none"},
      {"regex is case sensitive", "h", "/API/v2/orders", "none"},
      {"no metacharacter: prefix", "h", "/static/app.js", "static"},
      {"no metacharacter: prefix exact", "h", "/static", "static"},
      {"no metacharacter: element-wise", "h", "/staticfiles", "none"},
      {"dot makes a regex", "h", "/index.html", "index"},
      {"dot matches any character", "h", "/indexXhtml", "index"},
      {"regex is not a prefix", "h", "/index.html/x", "none"},
      {"invalid regex never matches", "h", "/(broken", "none"},
      {"alternation", "h", "/users", "users"},
  };
  for (const Scenario& c : cases) {
    SCOPED_TRACE(c.name);

    const std::optional<IngressMatch> match = match_ingress(ingresses, c.host, c.path, {});

    EXPECT_EQ(match ? match->backend.service : "none", c.expected);
  }
}

TEST(IngressMatchImplementationSpecific, LinkerdRootMatchesOnlyRoot) {
  // Linkerd 1: path `/` is a regex matching only `/`; here `/` has no metacharacter, so it is a
  // Prefix matching everything (ImplementationSpecific is ours to define; v1 semantics win).
  // A Linkerd-style "root only" rule is written as a regex.
  const std::vector<Ingress> ingresses{
      ingress("ns", "i", "2024-01-01T00:00:00Z",
              {{"", {path(Type::ImplementationSpecific, "^/$", "root-only")}}})};

  EXPECT_EQ(route(ingresses, "h", "/"), "ns/root-only:8080");
  EXPECT_EQ(route(ingresses, "h", "/x"), "none");
}

TEST(IngressMatchImplementationSpecific, LongPathsSkipRegexButNotPrefix) {
  const std::vector<Ingress> ingresses{
      ingress("ns", "i", "2024-01-01T00:00:00Z",
              {{"",
                {path(Type::ImplementationSpecific, "/files/.*", "regex"),
                 path(Type::Prefix, "/", "root")}}})};
  const std::string short_path = "/files/" + std::string(1000, 'a');
  const std::string long_path = "/files/" + std::string(100000, 'a');

  EXPECT_EQ(route(ingresses, "h", short_path), "ns/regex:8080");
  EXPECT_EQ(route(ingresses, "h", long_path), "ns/root:8080");
}

TEST(IngressMatchImplementationSpecific, EmptyPathMatchesEverything) {
  const std::vector<Ingress> ingresses{ingress(
      "ns", "i", "2024-01-01T00:00:00Z",
      {{"", {path(Type::ImplementationSpecific, "", "all"), path(Type::Prefix, "/a", "a")}}})};

  EXPECT_EQ(route(ingresses, "h", "/anything/at/all"), "ns/all:8080");
  EXPECT_EQ(route(ingresses, "h", "/a/b"), "ns/a:8080");  // longer path text wins
}

TEST(IngressMatch, NoIngressesIsNothing) { EXPECT_EQ(route({}, "h", "/"), "none"); }

}  // namespace
}  // namespace meshd::k8s
