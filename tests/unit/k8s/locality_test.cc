#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "meshd/k8s/objects.h"

namespace meshd::k8s {
namespace {

dtab::Address at(std::string host, std::uint16_t port, std::string node = "") {
  dtab::Address a{std::move(host), port, {}, 1.0};
  if (!node.empty()) {
    a.meta.emplace_back("nodeName", std::move(node));
  }
  return a;
}

std::vector<std::string> show(const std::vector<dtab::Address>& addresses) {
  std::vector<std::string> out;
  for (const dtab::Address& a : addresses) {
    std::string text = a.host + ":" + std::to_string(a.port);
    if (!node_name_of(a).empty()) {
      text += "@" + std::string(node_name_of(a));
    }
    out.push_back(text);
  }
  return out;
}

using Shown = std::vector<std::string>;

TEST(LocalitySlash24, Table) {
  struct Case {
    const char* a;
    const char* b;
    bool expected;
  };
  const Case cases[] = {
      {"10.196.5.84", "10.196.5.1", true},
      {"10.196.5.84", "10.196.5.84", true},
      {"10.196.5.255", "10.196.5.0", true},
      {"10.196.5.84", "10.196.6.84", false},
      {"10.196.5.84", "10.197.5.84", false},
      {"11.196.5.84", "10.196.5.84", false},
      {"fd00::1", "fd00::2", false},           // IPv4 only
      {"::ffff:10.0.0.1", "10.0.0.2", false},  // v4-mapped is IPv6 text
      {"10.0.0.1", "", false},
      {"10.0.0", "10.0.0.1", false},
      {"10.0.0.1 ", "10.0.0.2", false},
      {"node-a", "node-a", false},
      {"010.000.000.001", "10.0.0.2", false},  // inet_pton rejects leading zeros
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.a) + " vs " + c.b);

    EXPECT_EQ(same_slash24(c.a, c.b), c.expected);
    EXPECT_EQ(same_slash24(c.b, c.a), c.expected);
  }
}

TEST(LocalityNodeName, FromMeta) {
  dtab::Address a = at("10.0.0.1", 80);
  a.meta.emplace_back("zone", "z1");
  a.meta.emplace_back("nodeName", "node-1");

  EXPECT_EQ(node_name_of(a), "node-1");
  EXPECT_EQ(node_name_of(at("10.0.0.1", 80)), "");
}

TEST(LocalityDaemonset, EachDestinationBecomesTheDaemonPodsOnItsSlash24) {
  const std::vector<dtab::Address> daemons{at("10.196.5.3", 4141, "node-5"),
                                           at("10.196.6.3", 4141, "node-6"),
                                           at("10.196.7.3", 4141, "node-7")};
  const std::vector<dtab::Address> destinations{at("10.196.5.84", 7778, "node-5"),
                                                at("10.196.5.85", 7778, "node-5"),
                                                at("10.196.6.90", 7778, "node-6")};

  const auto result = daemonset_map(destinations, daemons, false);

  // Deduplicated: two destinations on node 5 map to the one daemon there.
  EXPECT_EQ(show(result), (Shown{"10.196.5.3:4141@node-5", "10.196.6.3:4141@node-6"}));
}

TEST(LocalityDaemonset, ReplacementKeepsDaemonPodMetadataAndPort) {
  dtab::Address daemon = at("10.0.1.2", 4141, "node-1");
  daemon.meta.emplace_back("zone", "z1");
  daemon.weight = 2.0;

  const auto result = daemonset_map({at("10.0.1.50", 8080, "elsewhere")}, {daemon}, false);

  ASSERT_EQ(result.size(), 1u);
  EXPECT_EQ(result[0], daemon);
}

TEST(LocalityDaemonset, SeveralDaemonPodsOnOneSubnetAreAllKept) {
  const auto result =
      daemonset_map({at("10.0.1.50", 8080)},
                    {at("10.0.1.9", 4141), at("10.0.1.2", 4141), at("10.0.2.2", 4141)}, false);

  EXPECT_EQ(show(result), (Shown{"10.0.1.2:4141", "10.0.1.9:4141"}));
}

TEST(LocalityDaemonset, NoDaemonOnTheSubnetGivesEmpty) {
  EXPECT_TRUE(daemonset_map({at("10.0.9.50", 8080)}, {at("10.0.1.2", 4141)}, false).empty());
  EXPECT_TRUE(daemonset_map({at("10.0.9.50", 8080)}, {}, false).empty());
  EXPECT_TRUE(daemonset_map({}, {at("10.0.1.2", 4141)}, false).empty());
}

TEST(LocalityDaemonset, NonIpv4DestinationsAreKept) {
  const auto result = daemonset_map({at("fd00::5", 8080), at("10.0.1.50", 8080)},
                                    {at("10.0.1.2", 4141), at("fd00::9", 4141)}, false);

  EXPECT_EQ(show(result), (Shown{"10.0.1.2:4141", "fd00::5:8080"}));
}

TEST(LocalityDaemonset, HostNetworkMatchesNodeName) {
  // With hostNetwork the daemon pods have node IPs, unrelated to the pod /24s.
  const std::vector<dtab::Address> daemons{at("192.168.0.10", 4141, "node-a"),
                                           at("192.168.0.11", 4141, "node-b")};
  const std::vector<dtab::Address> destinations{
      at("10.244.1.5", 8080, "node-b"), at("fd00::7", 8080, "node-a"),
      at("10.244.2.5", 8080)};  // no nodeName: matches nothing

  const auto result = daemonset_map(destinations, daemons, true);

  EXPECT_EQ(show(result), (Shown{"192.168.0.10:4141@node-a", "192.168.0.11:4141@node-b"}));
}

TEST(LocalityDaemonset, HostNetworkWithoutNodeNamesGivesEmpty) {
  EXPECT_TRUE(daemonset_map({at("10.0.1.5", 80)}, {at("10.0.1.6", 4141)}, true).empty());
}

TEST(LocalityLocalnode, KeepsTheLocalSlash24) {
  const std::vector<dtab::Address> addresses{at("10.196.5.84", 7778, "n5"),
                                             at("10.196.6.84", 7778, "n6"),
                                             at("10.196.5.86", 7778, "n5"), at("fd00::1", 7778)};

  EXPECT_EQ(show(localnode_filter(addresses, "10.196.5.20", false)),
            (Shown{"10.196.5.84:7778@n5", "10.196.5.86:7778@n5"}));
  EXPECT_TRUE(localnode_filter(addresses, "10.196.9.20", false).empty());
  EXPECT_TRUE(localnode_filter(addresses, "", false).empty());
}

TEST(LocalityLocalnode, HostNetworkKeepsTheLocalNode) {
  const std::vector<dtab::Address> addresses{at("10.196.5.84", 7778, "node-5"),
                                             at("10.196.6.84", 7778, "node-6"),
                                             at("10.196.5.85", 7778)};

  EXPECT_EQ(show(localnode_filter(addresses, "node-6", true)), (Shown{"10.196.6.84:7778@node-6"}));
  EXPECT_TRUE(localnode_filter(addresses, "node-9", true).empty());
  EXPECT_TRUE(localnode_filter(addresses, "", true).empty());
}

}  // namespace
}  // namespace meshd::k8s
