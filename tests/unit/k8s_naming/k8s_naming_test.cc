// The io.l5d.k8s namer, the daemonset/localnode transformers and the io.l5d.ingress identifier
// over scripted watchers (the watchers themselves run against the fake kube-apiserver in the
// integration tests).

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "meshd/http/message.h"
#include "meshd/k8s_naming/k8s_naming.h"

namespace meshd::k8s_naming {
namespace {

using dtab::Addr;
using dtab::Address;
using dtab::Path;

/// A ServiceWatcher answering from a map; records every key looked up.
class ScriptedWatcher final : public ServiceWatcher {
 public:
  ServiceState lookup(const ServiceKey& key) override {
    looked_up.push_back(key);
    auto it = states.find(key.show());
    return it == states.end() ? ServiceState{} : it->second;
  }
  bool synced() const override { return true; }
  boost::json::value state_json() const override { return {}; }
  void stop() override {}

  void bind(const std::string& key, std::vector<Address> addresses) {
    states[key] = ServiceState{ServiceState::Kind::Bound,
                               std::make_shared<const Addr>(Addr::bound(std::move(addresses))),
                               {}};
  }

  std::map<std::string, ServiceState> states;
  std::vector<ServiceKey> looked_up;
};

Address pod(const std::string& ip, std::uint16_t port, const std::string& node) {
  return Address{ip, port, {{"nodeName", node}}, 1.0};
}

Path path(std::string_view text) { return *Path::read(text); }

class K8sNamerTest : public ::testing::Test {
 protected:
  std::shared_ptr<ScriptedWatcher> watcher_ = std::make_shared<ScriptedWatcher>();
};

TEST_F(K8sNamerTest, BindsNamespacePortServiceWithTheResidualKept) {
  watcher_->bind("default/http/world-v1", {pod("10.0.0.1", 7778, "n1")});
  auto namer = make_k8s_namer(path("/#/io.l5d.k8s"), watcher_, "");

  auto lookup = namer->lookup(path("/default/http/world-v1/extra/path"));

  ASSERT_EQ(lookup.state, dtab::Activity<dtab::NameTree<dtab::Name>>::State::Ok);
  ASSERT_EQ(lookup.value.kind(), dtab::NameTree<dtab::Name>::Kind::Leaf);
  const auto* bound = lookup.value.value().as_bound();
  ASSERT_NE(bound, nullptr);
  EXPECT_EQ(bound->id.show(), "/#/io.l5d.k8s/default/http/world-v1");
  EXPECT_EQ(bound->residual.show(), "/extra/path");
  ASSERT_EQ(bound->addr->addresses.size(), 1u);
  EXPECT_EQ(bound->addr->addresses[0].host, "10.0.0.1");
}

TEST_F(K8sNamerTest, LowerCasesTheNameSegmentsAsLinkerd) {
  watcher_->bind("default/http/world", {});
  auto namer = make_k8s_namer(path("/#/io.l5d.k8s"), watcher_, "");

  auto lookup = namer->lookup(path("/Default/HTTP/World/Rest"));

  ASSERT_EQ(lookup.value.kind(), dtab::NameTree<dtab::Name>::Kind::Leaf);
  EXPECT_EQ(lookup.value.value().as_bound()->id.show(), "/#/io.l5d.k8s/default/http/world");
  EXPECT_EQ(lookup.value.value().as_bound()->residual.show(), "/Rest");
}

TEST_F(K8sNamerTest, PendingUntilTheWatcherKnowsTheName) {
  auto namer = make_k8s_namer(path("/#/io.l5d.k8s"), watcher_, "");

  auto lookup = namer->lookup(path("/default/http/world"));

  EXPECT_EQ(lookup.state, dtab::Activity<dtab::NameTree<dtab::Name>>::State::Pending);
  ASSERT_EQ(watcher_->looked_up.size(), 1u);
  EXPECT_EQ(watcher_->looked_up[0].service, "world");
}

TEST_F(K8sNamerTest, NegWithoutAskingTheApiForShortOrInvalidNames) {
  auto namer = make_k8s_namer(path("/#/io.l5d.k8s"), watcher_, "");

  for (auto name : {"/default/http", "/default", "/default/http/world_v1",
                    "/-bad/http/world", "/default/http/a.b"}) {
    auto lookup = namer->lookup(path(name));
    EXPECT_EQ(lookup.value.kind(), dtab::NameTree<dtab::Name>::Kind::Neg) << name;
  }
  EXPECT_TRUE(watcher_->looked_up.empty());
}

TEST_F(K8sNamerTest, NegAndFailedStatesPassThrough) {
  watcher_->states["default/http/gone"] = ServiceState{ServiceState::Kind::Neg, nullptr, {}};
  watcher_->states["secret/http/x"] =
      ServiceState{ServiceState::Kind::Failed, nullptr, "403 Forbidden"};
  auto namer = make_k8s_namer(path("/#/io.l5d.k8s"), watcher_, "");

  EXPECT_EQ(namer->lookup(path("/default/http/gone")).value.kind(),
            dtab::NameTree<dtab::Name>::Kind::Neg);
  auto failed = namer->lookup(path("/secret/http/x"));
  EXPECT_EQ(failed.state, dtab::Activity<dtab::NameTree<dtab::Name>>::State::Failed);
  EXPECT_EQ(failed.failure, "403 Forbidden");
}

TEST_F(K8sNamerTest, LabelSelectorTakesAFourthSegment) {
  watcher_->bind("default/http/world/v2", {pod("10.0.0.2", 80, "n1")});
  auto namer = make_k8s_namer(path("/#/io.l5d.k8s"), watcher_, "version");

  auto lookup = namer->lookup(path("/default/http/world/v2/rest"));

  ASSERT_EQ(lookup.value.kind(), dtab::NameTree<dtab::Name>::Kind::Leaf);
  EXPECT_EQ(lookup.value.value().as_bound()->id.show(), "/#/io.l5d.k8s/default/http/world/v2");
  EXPECT_EQ(watcher_->looked_up.back().label_key, "version");
  EXPECT_EQ(watcher_->looked_up.back().label_value, "v2");
  EXPECT_EQ(namer->lookup(path("/default/http/world")).value.kind(),
            dtab::NameTree<dtab::Name>::Kind::Neg);
}

TEST_F(K8sNamerTest, NsNamerUsesTheFixedNamespace) {
  watcher_->bind("prod/http/world", {pod("10.0.0.3", 80, "n1")});
  auto namer = make_k8s_namer(path("/#/io.l5d.k8s.ns"), watcher_, "", "prod");

  auto lookup = namer->lookup(path("/http/world/x"));

  ASSERT_EQ(lookup.value.kind(), dtab::NameTree<dtab::Name>::Kind::Leaf);
  EXPECT_EQ(lookup.value.value().as_bound()->id.show(), "/#/io.l5d.k8s.ns/http/world");
  EXPECT_EQ(lookup.value.value().as_bound()->residual.show(), "/x");
}

dtab::BoundName leaf(std::vector<Address> addresses) {
  return dtab::BoundName{path("/#/io.l5d.k8s/default/http/world"), Path(),
                         std::make_shared<const Addr>(Addr::bound(std::move(addresses))), 1.0};
}

TEST_F(K8sNamerTest, DaemonSetTransformerSendsToTheDaemonPodOnTheSameSlash24) {
  auto daemon = ServiceKey{"default", "incoming", "l5d", {}, {}};
  auto transformer = make_daemonset_transformer(
      path("/%/io.l5d.k8s.daemonset/default/incoming/l5d"), watcher_, daemon, false);
  const auto input = leaf({pod("10.1.2.7", 7778, "b"), pod("10.1.2.8", 7778, "b")});

  // Daemon pods not known yet: Pending.
  EXPECT_EQ(transformer->transform_leaf(input).state,
            dtab::Activity<dtab::NameTree<dtab::BoundName>>::State::Pending);

  watcher_->bind("default/incoming/l5d", {pod("10.1.1.1", 4141, "a"), pod("10.1.2.1", 4141, "b")});
  auto out = transformer->transform_leaf(input);
  ASSERT_EQ(out.value.kind(), dtab::NameTree<dtab::BoundName>::Kind::Leaf);
  const auto& bound = out.value.value();
  EXPECT_EQ(bound.id.show(),
            "/%/io.l5d.k8s.daemonset/default/incoming/l5d/#/io.l5d.k8s/default/http/world");
  ASSERT_EQ(bound.addr->kind, Addr::Kind::Bound);
  ASSERT_EQ(bound.addr->addresses.size(), 1u);
  EXPECT_EQ(bound.addr->addresses[0].host, "10.1.2.1");
  EXPECT_EQ(bound.addr->addresses[0].port, 4141);

  // No daemon pod in that /24: Neg.
  auto none = transformer->transform_leaf(leaf({pod("10.9.9.9", 80, "z")}));
  EXPECT_EQ(none.value.value().addr->kind, Addr::Kind::Neg);
}

TEST_F(K8sNamerTest, LocalnodeTransformerKeepsThisNodesPods) {
  auto by_ip = make_localnode_transformer(path("/%/io.l5d.k8s.localnode/10.1.2.1"), "10.1.2.1",
                                          false);
  auto by_node = make_localnode_transformer(path("/%/io.l5d.k8s.localnode/b"), "b", true);
  const auto input = leaf({pod("10.1.1.5", 80, "a"), pod("10.1.2.5", 80, "b")});

  auto ip_out = by_ip->transform_leaf(input).value.value();
  ASSERT_EQ(ip_out.addr->addresses.size(), 1u);
  EXPECT_EQ(ip_out.addr->addresses[0].host, "10.1.2.5");
  auto node_out = by_node->transform_leaf(input).value.value();
  ASSERT_EQ(node_out.addr->addresses.size(), 1u);
  EXPECT_EQ(node_out.addr->addresses[0].host, "10.1.2.5");
  EXPECT_EQ(by_ip->transform_leaf(leaf({pod("10.3.3.3", 80, "c")})).value.value().addr->kind,
            Addr::Kind::Neg);
}

/// An IngressWatcher holding a fixed list.
class ScriptedIngresses final : public IngressWatcher {
 public:
  explicit ScriptedIngresses(std::vector<k8s::Ingress> list)
      : list_(std::make_shared<const std::vector<k8s::Ingress>>(std::move(list))) {}
  std::shared_ptr<const std::vector<k8s::Ingress>> ingresses() const override { return list_; }
  bool synced() const override { return true; }
  const k8s::IngressOptions& options() const override { return options_; }
  void stop() override {}

 private:
  std::shared_ptr<const std::vector<k8s::Ingress>> list_;
  k8s::IngressOptions options_;
};

TEST(IngressIdentifier, NamesTheBackendServiceUnderDstPrefix) {
  k8s::Ingress ingress;
  ingress.meta.ns = "web";
  ingress.meta.name = "edge";
  ingress.rules.push_back(k8s::IngressRule{
      "world.example.com",
      {k8s::IngressPath{"/api", k8s::IngressPath::Type::Prefix, {"world-v2", "http"}}}});
  auto id = make_ingress_identifier(path("/svc"),
                                    std::make_shared<ScriptedIngresses>(std::vector{ingress}));

  http::Request hit;
  hit.target = "/api/users?x=1";
  hit.headers.add("Host", "World.Example.com:80");
  auto named = id->identify(hit);
  ASSERT_TRUE(named.dst) << named.reason;
  EXPECT_EQ(named.dst->show(), "/svc/web/http/world-v2");

  http::Request miss;
  miss.target = "/other";
  miss.headers.add("Host", "world.example.com");
  auto unnamed = id->identify(miss);
  EXPECT_FALSE(unnamed.dst);
  EXPECT_EQ(unnamed.reason, "no ingress rule matches");

  // h2: the host is the :authority pseudo-header.
  http::Request h2;
  h2.version = http::Version{2, 0};
  h2.target = "/api";
  h2.headers.add(":authority", "world.example.com");
  h2.headers.add(":scheme", "http");
  auto h2_named = id->identify(h2);
  ASSERT_TRUE(h2_named.dst) << h2_named.reason;
  EXPECT_EQ(h2_named.dst->show(), "/svc/web/http/world-v2");
}

}  // namespace
}  // namespace meshd::k8s_naming
