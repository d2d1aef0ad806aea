// The Kubernetes DaemonSet topology end to end on one machine (issue 5): two "nodes", each a
// meshd with `outgoing` and `incoming` routers on its own loopback /24 (node A 127.0.1.0/24,
// node B 127.0.2.0/24), apps as python backends on pod addresses of those /24s, and the fake
// kube-apiserver (tests/k8s/fake_apiserver.py) serving the l5d and app Services and their
// EndpointSlices. Requests go app → A.outgoing → (io.l5d.k8s.daemonset) → B.incoming →
// (io.l5d.k8s.localnode) → world, as in the linkerd-examples DaemonSet.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <future>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include "harness.h"

namespace meshd::itest {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

/// The fake kube-apiserver, driven through its `/_fake` control plane with curl.
class FakeApi {
 public:
  explicit FakeApi(const fs::path& dir, const std::vector<std::string>& extra = {},
                   const std::string& name = "fake-apiserver")
      : process_(
            [&] {
              std::vector<std::string> argv{"python3",
                                            (source_dir() / "tests/k8s/fake_apiserver.py").string(),
                                            "--listen",
                                            "127.0.0.1:0",
                                            "--bookmark-interval",
                                            "1"};
              argv.insert(argv.end(), extra.begin(), extra.end());
              return argv;
            }(),
            dir, name) {
    if (auto port = process_.wait_for("READY ", false, std::chrono::seconds(15))) {
      port_ = static_cast<std::uint16_t>(std::stoi(*port));
    }
  }
  std::uint16_t port() const { return port_; }

  /// Upserts `objects` (ADDED/MODIFIED events).
  void put(const json::array& objects) {
    control({"-X", "PUT", "--data-binary", json::serialize(json::object{{"objects", objects}}),
             url("/_fake/objects")});
  }
  /// Deletes the object at `/_fake/objects/<where>` (a DELETED event).
  void remove(const std::string& where) {
    control({"-X", "DELETE", url("/_fake/objects/" + where)});
  }
  /// Deletes an EndpointSlice (a DELETED event).
  void delete_slice(const std::string& name) {
    control(
        {"-X", "DELETE", url("/_fake/objects/discovery.k8s.io~v1/endpointslices/default/" + name)});
  }
  /// Starts or ends an outage: watches dropped, API connections refused.
  void outage(bool on) {
    control({"-X", "POST", "--data-binary", on ? R"({"on": true})" : R"({"on": false})",
             url("/_fake/outage")});
  }
  std::string stderr_text() const { return process_.stderr_text(); }

 private:
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  void control(std::vector<std::string> args) {
    auto r = curl(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_NE(r.out.find(" 200 "), std::string::npos) << r.out;
  }

  mutable Process process_;
  std::uint16_t port_ = 0;
};

/// An EndpointSlice of `service` holding one ready pod.
json::object slice(const std::string& name, const std::string& service, const std::string& ip,
                   std::uint16_t port, const std::string& port_name, const std::string& node) {
  return json::object{
      {"apiVersion", "discovery.k8s.io/v1"},
      {"kind", "EndpointSlice"},
      {"metadata",
       {{"name", name},
        {"namespace", "default"},
        {"labels",
         {{"kubernetes.io/service-name", service},
          {"endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io"}}}}},
      {"addressType", "IPv4"},
      {"endpoints", json::array{json::object{{"addresses", json::array{json::string(ip)}},
                                             {"conditions", {{"ready", true}}},
                                             {"nodeName", node}}}},
      {"ports",
       json::array{json::object{{"name", port_name}, {"port", port}, {"protocol", "TCP"}}}}};
}

/// A headless Service with named ports (`target_port`, when set, for every port).
json::object service(const std::string& name, const std::map<std::string, int>& ports,
                     const std::string& target_port = "") {
  json::array list;
  for (const auto& [port_name, number] : ports) {
    json::object port{{"name", port_name}, {"port", number}, {"protocol", "TCP"}};
    if (!target_port.empty()) {
      port["targetPort"] = target_port;
    }
    list.push_back(std::move(port));
  }
  return json::object{{"apiVersion", "v1"},
                      {"kind", "Service"},
                      {"metadata", {{"name", name}, {"namespace", "default"}}},
                      {"spec", {{"clusterIP", "None"}, {"ports", list}}}};
}

/// The linkerd-examples DaemonSet config for a node whose l5d pod is `ip`.
std::string node_config(const std::string& ip, std::uint16_t api_port) {
  const std::string api = std::to_string(api_port);
  const std::string dtab =
      "  dtab: |\n"
      "    /srv => /#/io.l5d.k8s/default/http;\n"
      "    /host => /srv;\n"
      "    /svc => /host;\n"
      "    /host/world => /srv/world-v1;\n";
  // The admin servers share 127.0.0.1 (the harness reads listeners and metrics there).
  return "admin: {ip: 127.0.0.1, port: 0}\n"
         "namers:\n"
         "- kind: io.l5d.k8s\n"
         "  host: 127.0.0.1\n"
         "  port: " +
         api +
         "\n"
         "routers:\n"
         "- protocol: http\n"
         "  label: outgoing\n" +
         dtab +
         "  interpreter:\n"
         "    kind: default\n"
         "    transformers:\n"
         "    - kind: io.l5d.k8s.daemonset\n"
         "      namespace: default\n"
         "      port: incoming\n"
         "      service: l5d\n"
         "      k8sHost: 127.0.0.1\n"
         "      k8sPort: " +
         api +
         "\n"
         "  servers: [{ip: " +
         ip +
         ", port: 0}]\n"
         "- protocol: http\n"
         "  label: incoming\n" +
         dtab +
         "  interpreter:\n"
         "    kind: default\n"
         "    transformers:\n"
         "    - kind: io.l5d.k8s.localnode\n"
         "  servers: [{ip: " +
         ip + ", port: 0}]\n";
}

class DaemonSetTopology : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(api_.port(), 0) << api_.stderr_text();
    if (!have_tool("wrk")) {
      GTEST_FAIL() << "wrk is missing: make test installs it (scripts/bootstrap.sh)";
    }
  }

  /// GET http://<host>/echo through node A's outgoing router as an app with
  /// http_proxy=$(NODE_NAME):4140 does.
  ToolResult get_via_a(const Meshd& a, const std::string& host) {
    return curl({"-x", "http://127.0.1.1:" + std::to_string(a.port("outgoing")),
                 "http://" + host + "/echo"});
  }

  /// Polls through node A until a response comes from `backend`; the time it took, or nullopt
  /// after 10 s.
  std::optional<milliseconds> time_until_backend(const Meshd& a, const std::string& backend,
                                                 Clock::time_point since) {
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < deadline) {
      auto r = get_via_a(a, "world");
      if (header_value(r.out, "x-backend") == backend) {
        return std::chrono::duration_cast<milliseconds>(Clock::now() - since);
      }
    }
    return std::nullopt;
  }

  TempDir dir_;
  FakeApi api_{dir_.path()};
};

TEST_F(DaemonSetTopology, OutgoingToIncomingToPodFollowsTheClusterAndSurvivesAnApiOutage) {
  // Node B runs world-1; node A runs hello. Each node's meshd is the l5d pod on .1 of its /24.
  Backend world1(dir_.path(), "world-1", "127.0.2.10");
  Backend hello(dir_.path(), "hello", "127.0.1.10");
  ASSERT_NE(world1.port(), 0);
  ASSERT_NE(hello.port(), 0);
  Meshd a(dir_.path(), node_config("127.0.1.1", api_.port()),
          {{"POD_IP", "127.0.1.1"}, {"NODE_NAME", "node-a"}}, "meshd-a");
  Meshd b(dir_.path(), node_config("127.0.2.1", api_.port()),
          {{"POD_IP", "127.0.2.1"}, {"NODE_NAME", "node-b"}}, "meshd-b");
  ASSERT_TRUE(a.started());
  ASSERT_TRUE(b.started());

  // The l5d DaemonSet's Service (named ports, as the daemonset transformer needs) with one
  // slice per node: the two meshd listen on OS-chosen ports.
  api_.put(json::array{
      service("l5d", {{"outgoing", 4140}, {"incoming", 4141}, {"admin", 9990}}),
      slice("l5d-node-a", "l5d", "127.0.1.1", a.port("incoming"), "incoming", "node-a"),
      slice("l5d-node-b", "l5d", "127.0.2.1", b.port("incoming"), "incoming", "node-b"),
      service("world-v1", {{"http", 7778}}),
      slice("world-v1-1", "world-v1", "127.0.2.10", world1.port(), "http", "node-b"),
      service("hello", {{"http", 7777}}),
      slice("hello-1", "hello", "127.0.1.10", hello.port(), "http", "node-a"),
  });

  // 1. A.outgoing → B.incoming → world-1: two meshd hops (two Via entries seen by the app).
  auto r = get_via_a(a, "world");
  ASSERT_EQ(header_value(r.out, "x-backend"), "world-1") << r.out << r.err;
  EXPECT_NE(r.out.find(R"(["Via", "1.1 linkerd, 1.1 linkerd"])"), std::string::npos) << r.out;
  EXPECT_GE(
      b.metric("rt/incoming/server/127.0.2.1/" + std::to_string(b.port("incoming")) + "/requests"),
      1);
  // hello lives on node A: A.outgoing → A.incoming → hello.
  r = get_via_a(a, "hello");
  EXPECT_EQ(header_value(r.out, "x-backend"), "hello") << r.out;
  EXPECT_EQ(
      b.metric("rt/incoming/server/127.0.2.1/" + std::to_string(b.port("incoming")) + "/requests"),
      1);
  // The namer's state is on the admin server.
  auto state =
      curl({"http://127.0.0.1:" + std::to_string(a.admin_port()) + "/namer_state/io.l5d.k8s.json"});
  EXPECT_NE(state.out.find("\"default/http/world-v1\""), std::string::npos) << state.out;
  EXPECT_NE(state.out.find("\"nodeName\":\"node-b\""), std::string::npos) << state.out;

  // 2. Scaling under load: wrk keeps sending to world through A; no request may fail.
  const std::string target = "http://127.0.1.1:" + std::to_string(a.port("outgoing")) + "/echo";
  auto load = std::async(std::launch::async, [&] {
    return run_tool({"wrk", "-t1", "-c4", "-d6s", "-H", "Host: world", target},
                    std::chrono::seconds(30));
  });
  // Scale up on node A: A's outgoing now also sends to its own incoming router.
  Backend world2(dir_.path(), "world-2", "127.0.1.11");
  ASSERT_NE(world2.port(), 0);
  auto since = Clock::now();
  api_.put(
      json::array{slice("world-v1-2", "world-v1", "127.0.1.11", world2.port(), "http", "node-a")});
  auto moved = time_until_backend(a, "world-2", since);
  ASSERT_TRUE(moved) << "world-2 never received traffic";
  EXPECT_LE(moved->count(), 1000) << "traffic reached the new pod after " << moved->count()
                                  << " ms";
  // Scale down: world-1 leaves the endpoints first (as the endpoints controller does when a
  // pod starts terminating), then the process stops once traffic has moved.
  since = Clock::now();
  api_.delete_slice("world-v1-1");
  // After the deletion every response must come from world-2 within 1 s.
  std::optional<milliseconds> drained;
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  int consecutive = 0;
  while (Clock::now() < deadline && consecutive < 10) {
    auto rr = get_via_a(a, "world");
    if (header_value(rr.out, "x-backend") == "world-2") {
      if (consecutive++ == 0) {
        drained = std::chrono::duration_cast<milliseconds>(Clock::now() - since);
      }
    } else {
      consecutive = 0;
      drained.reset();
    }
  }
  ASSERT_EQ(consecutive, 10) << "traffic still reaches world-1";
  const auto drained_ms = drained.value_or(milliseconds::max()).count();
  EXPECT_LE(drained_ms, 1000) << "traffic left the old pod after " << drained_ms << " ms";
  std::cout << "[ figures  ] new pod reached after " << moved->count()
            << " ms; old pod drained after " << drained_ms << " ms\n";
  auto run = load.get();
  std::cout << "[ figures  ] wrk during scaling:\n" << run.out << "\n";
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("requests in"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("Non-2xx"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("Socket errors"), std::string::npos) << run.out;

  // 3. API server outage: routing keeps using the last known endpoints.
  api_.outage(true);
  for (int i = 0; i < 20; ++i) {
    auto rr = get_via_a(a, "world");
    ASSERT_EQ(header_value(rr.out, "x-backend"), "world-2") << rr.out << rr.err;
  }
  auto during = get_via_a(a, "hello");
  EXPECT_EQ(header_value(during.out, "x-backend"), "hello") << during.out;
  // A pod added while the API is down is picked up once it is back.
  Backend world3(dir_.path(), "world-3", "127.0.2.11");
  ASSERT_NE(world3.port(), 0);
  api_.put(
      json::array{slice("world-v1-3", "world-v1", "127.0.2.11", world3.port(), "http", "node-b")});
  api_.outage(false);
  EXPECT_TRUE(time_until_backend(a, "world-3", Clock::now()))
      << "routing did not follow the API server after the outage";
}

/// An ingress router (Linkerd's ingress controller variant): io.l5d.ingress identifier, dtab
/// `/svc => /#/io.l5d.k8s`, both reading the fake API.
std::string ingress_config(std::uint16_t api_port) {
  const std::string api = std::to_string(api_port);
  return "admin: {ip: 127.0.0.1, port: 0}\n"
         "namers:\n"
         "- {kind: io.l5d.k8s, host: 127.0.0.1, port: " +
         api +
         "}\n"
         "routers:\n"
         "- protocol: http\n"
         "  label: ingress\n"
         "  identifier: {kind: io.l5d.ingress, host: 127.0.0.1, port: " +
         api +
         "}\n"
         "  dtab: /svc => /#/io.l5d.k8s;\n"
         "  servers: [{ip: 127.0.0.1, port: 0}]\n";
}

/// GET `path` with `Host: host` on the ingress router.
ToolResult get_ingress(const Meshd& m, const std::string& host, const std::string& path) {
  return curl(
      {"-H", "Host: " + host, "http://127.0.0.1:" + std::to_string(m.port("ingress")) + path});
}

/// Polls until `host` + `path` is answered by `backend` (or the status is `status` when
/// `backend` is empty); false after 10 s.
bool eventually(const Meshd& m, const std::string& host, const std::string& path,
                const std::string& backend, const std::string& status = "") {
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    auto r = get_ingress(m, host, path);
    if (backend.empty() ? r.out.rfind("HTTP/1.1 " + status, 0) == 0
                        : header_value(r.out, "x-backend") == backend) {
      return true;
    }
  }
  return false;
}

TEST(IngressIdentifier, RoutesByKubernetesIngressRulesAndFollowsTheirChanges) {
  TempDir dir;
  FakeApi api(dir.path());
  ASSERT_NE(api.port(), 0) << api.stderr_text();
  Backend world(dir.path(), "world");
  Backend hello(dir.path(), "hello");
  // hello is reached by Service port *number* 80 (targetPort "http" → the slice's port).
  api.put(json::array{
      service("world-v1", {{"http", 7778}}),
      slice("world-v1-1", "world-v1", "127.0.0.1", world.port(), "http", "node-a"),
      service("hello", {{"http", 80}}, "http"),
      slice("hello-1", "hello", "127.0.0.1", hello.port(), "http", "node-a"),
      json::parse(R"({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "edge", "namespace": "default",
                     "annotations": {"kubernetes.io/ingress.class": "linkerd"}},
        "spec": {"defaultBackend": {"service": {"name": "hello", "port": {"number": 80}}},
                 "rules": [{"host": "*.example.com", "http": {"paths": [
                   {"path": "/api", "pathType": "Prefix",
                    "backend": {"service": {"name": "world-v1", "port": {"name": "http"}}}}]}}]}})")
          .as_object(),
      json::parse(R"({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "theirs", "namespace": "default"},
        "spec": {"ingressClassName": "nginx", "rules": [{"host": "world.example.com",
          "http": {"paths": [{"path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": "nope", "port": {"number": 1}}}}]}}]}})")
          .as_object(),
  });
  Meshd m(dir.path(), ingress_config(api.port()));
  ASSERT_TRUE(m.started());

  // Host wildcard + Prefix path → world; the nginx-class Ingress is not ours.
  EXPECT_TRUE(eventually(m, "world.example.com", "/api/users?id=1", "world"));
  // No path matches → the default backend, through the Service's numeric port.
  EXPECT_TRUE(eventually(m, "world.example.com", "/apix", "hello"));
  EXPECT_TRUE(eventually(m, "other.test", "/", "hello"));

  // Without the Ingress nothing matches: Linkerd's 400.
  api.remove("networking.k8s.io~v1/ingresses/default/edge");
  ASSERT_TRUE(eventually(m, "world.example.com", "/api", "", "400"));
  auto r = get_ingress(m, "world.example.com", "/api");
  EXPECT_NE(r.out.find("no ingress rule matches"), std::string::npos) << r.out;
}

TEST(IngressIdentifier, FallsBackToExtensionsV1beta1OnOldClusters) {
  TempDir dir;
  FakeApi api(dir.path(), {"--absent-group", "networking.k8s.io"});
  ASSERT_NE(api.port(), 0) << api.stderr_text();
  Backend world(dir.path(), "world");
  api.put(json::array{
      service("world-v1", {{"http", 7778}}),
      slice("world-v1-1", "world-v1", "127.0.0.1", world.port(), "http", "node-a"),
      json::parse(R"({"apiVersion": "extensions/v1beta1", "kind": "Ingress",
        "metadata": {"name": "old", "namespace": "default"},
        "spec": {"rules": [{"host": "world.v2", "http": {"paths": [
          {"backend": {"serviceName": "world-v1", "servicePort": "http"}}]}}]}})")
          .as_object(),
  });
  Meshd m(dir.path(), ingress_config(api.port()));
  ASSERT_TRUE(m.started());

  EXPECT_TRUE(eventually(m, "world.v2", "/anything", "world"));
  EXPECT_TRUE(eventually(m, "world.v3", "/", "", "400"));
}

TEST(K8sNamer, ReadsEndpointsOnOldClustersAndFallsBackWhenTheServiceIsGone) {
  TempDir dir;
  FakeApi api(dir.path(), {"--absent-group", "discovery.k8s.io"});
  ASSERT_NE(api.port(), 0) << api.stderr_text();
  Backend world(dir.path(), "world");
  Backend fallback(dir.path(), "fallback");
  // A core/v1 Endpoints object: one ready address, one not ready (never routed to).
  api.put(json::array{json::parse(R"({"apiVersion": "v1", "kind": "Endpoints",
      "metadata": {"name": "world", "namespace": "default"},
      "subsets": [{"addresses": [{"ip": "127.0.0.1", "nodeName": "node-a"}],
                   "notReadyAddresses": [{"ip": "127.0.0.9", "nodeName": "node-a"}],
                   "ports": [{"name": "http", "port": )" +
                                  std::to_string(world.port()) + R"(, "protocol": "TCP"}]}]})")
                          .as_object()});
  // Missing names are Neg, so the Alt falls through to the second branch.
  Meshd m(dir.path(),
          "admin: {ip: 127.0.0.1, port: 0}\n"
          "namers:\n- {kind: io.l5d.k8s, host: 127.0.0.1, port: " +
              std::to_string(api.port()) +
              "}\n"
              "routers:\n- protocol: http\n  label: outgoing\n"
              "  dtab: /svc => /#/io.l5d.k8s/default/http | /$/inet/127.0.0.1/" +
              std::to_string(fallback.port()) +
              ";\n"
              "  servers: [{ip: 127.0.0.1, port: 0}]\n");
  ASSERT_TRUE(m.started());
  const std::string url = "http://127.0.0.1:" + std::to_string(m.port("outgoing")) + "/echo";

  for (int i = 0; i < 5; ++i) {
    auto r = curl({"-H", "Host: world", url});
    ASSERT_EQ(header_value(r.out, "x-backend"), "world") << r.out;
  }
  auto r = curl({"-H", "Host: nothere", url});
  EXPECT_EQ(header_value(r.out, "x-backend"), "fallback") << r.out;

  api.remove("v1/endpoints/default/world");
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  std::string backend;
  while (Clock::now() < deadline && backend != "fallback") {
    backend = header_value(curl({"-H", "Host: world", url}).out, "x-backend");
  }
  EXPECT_EQ(backend, "fallback");
}

TEST(K8sNamer, LabelSelectorAndTheNamespaceFromTheEnvironment) {
  TempDir dir;
  FakeApi api(dir.path());
  ASSERT_NE(api.port(), 0) << api.stderr_text();
  Backend v1(dir.path(), "world-v1");
  Backend v2(dir.path(), "world-v2");
  // The endpoints controller copies the Service's labels onto its slices.
  auto labelled = [](json::object s, const std::string& version) {
    s["metadata"].as_object()["labels"].as_object()["version"] = version;
    return s;
  };
  api.put(json::array{
      labelled(slice("world-a", "world", "127.0.0.1", v1.port(), "http", "node-a"), "v1"),
      labelled(slice("world-b", "world", "127.0.0.1", v2.port(), "http", "node-a"), "v2"),
  });
  const std::string k8s = "host: 127.0.0.1, port: " + std::to_string(api.port());
  Meshd m(dir.path(),
          "admin: {ip: 127.0.0.1, port: 0}\n"
          "namers:\n"
          "- {kind: io.l5d.k8s, " +
              k8s +
              ", labelSelector: version}\n"
              "- {kind: io.l5d.k8s.ns, " +
              k8s +
              "}\n"
              "routers:\n"
              "- protocol: http\n  label: versioned\n"
              "  dtab: /svc => /#/io.l5d.k8s/default/http/world/v2;\n"
              "  servers: [{ip: 127.0.0.1, port: 0}]\n"
              "- protocol: http\n  label: namespaced\n"
              "  dtab: /svc => /#/io.l5d.k8s.ns/http;\n"
              "  servers: [{ip: 127.0.0.1, port: 0}]\n",
          {{"POD_NAMESPACE", "default"}});
  ASSERT_TRUE(m.started());

  for (int i = 0; i < 6; ++i) {
    auto r = curl(
        {"-H", "Host: world", "http://127.0.0.1:" + std::to_string(m.port("versioned")) + "/echo"});
    EXPECT_EQ(header_value(r.out, "x-backend"), "world-v2") << r.out;
  }
  std::set<std::string> seen;
  for (int i = 0; i < 20 && seen.size() < 2; ++i) {
    auto r = curl({"-H", "Host: world",
                   "http://127.0.0.1:" + std::to_string(m.port("namespaced")) + "/echo"});
    seen.insert(header_value(r.out, "x-backend"));
  }
  EXPECT_EQ(seen, (std::set<std::string>{"world-v1", "world-v2"}));
}

}  // namespace
}  // namespace meshd::itest
