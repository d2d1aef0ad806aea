#include "meshd/naming/global_namer.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <string>
#include <vector>

#include "meshd/naming/generation.h"
#include "unit/naming/naming_test_util.h"

namespace meshd::naming {
namespace {

using dtab::Addr;
using testing::path;
using testing::show;
using Lookup = dtab::Activity<dtab::NameTree<dtab::Name>>;

class GlobalNamerTest : public ::testing::Test {
 protected:
  Lookup lookup(std::string_view full) const {
    const dtab::Path p = path(full);
    EXPECT_TRUE(p.starts_with(namer_.prefix()));
    return namer_.lookup(p.drop(1));
  }

  const dtab::BoundName& bound(const Lookup& l) const {
    EXPECT_TRUE(l.is_ok()) << l.failure;
    EXPECT_EQ(l.value.kind(), dtab::NameTree<dtab::Name>::Kind::Leaf);
    return *l.value.value().as_bound();
  }

  boost::asio::io_context io_;
  InetResolverSharedPtr resolver_ = InetResolver::create(io_);
  GlobalNamer namer_{resolver_};
};

TEST_F(GlobalNamerTest, BindsInetIpLiteralsAtOnce) {
  const Lookup l = lookup("/$/inet/127.0.0.1/8080/x/y");

  const dtab::BoundName& b = bound(l);
  EXPECT_EQ(b.id, path("/$/inet/127.0.0.1/8080"));
  EXPECT_EQ(b.residual, path("/x/y"));
  ASSERT_EQ(b.addr->kind, Addr::Kind::Bound);
  ASSERT_EQ(b.addr->addresses.size(), 1u);
  EXPECT_EQ(b.addr->addresses[0].host, "127.0.0.1");
  EXPECT_EQ(b.addr->addresses[0].port, 8080);
  EXPECT_EQ(namer_.prefix(), path("/$"));
}

TEST_F(GlobalNamerTest, ParsesTheInetPathForms) {
  struct Case {
    std::string path;
    std::string id;
    std::string residual;
    std::string host;  // empty: a hostname, Pending until the control thread resolves it
    int port;
  };
  const std::vector<Case> cases = {
      {"/$/inet/::1/80", "/$/inet/::1/80", "/", "::1", 80},
      {"/$/inet/1234/5678", "/$/inet/1234/5678", "/", "", 5678},
      {"/$/inet/8080", "/$/inet/8080", "/", "127.0.0.1", 8080},
      {"/$/inet/8080/web/x", "/$/inet/8080", "/web/x", "127.0.0.1", 8080},
      {"/$/inet/10.1.2.3/\\x2b80", "/$/inet/10.1.2.3/\\x2b\\x38\\x30", "/", "10.1.2.3", 80},
      {"/$/fixedinet/10.1.2.3/81/r", "/$/fixedinet/10.1.2.3/81", "/r", "10.1.2.3", 81},
      {"/$/io.buoyant.rinet/443/10.0.0.9/r", "/$/io.buoyant.rinet/443/10.0.0.9", "/r", "10.0.0.9",
       443},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);

    const Lookup l = lookup(c.path);

    const dtab::BoundName& b = bound(l);
    EXPECT_EQ(b.id.show(), c.id);
    EXPECT_EQ(b.residual.show(), c.residual);
    if (c.host.empty()) {
      EXPECT_EQ(b.addr->kind, Addr::Kind::Pending);
      continue;
    }
    ASSERT_EQ(b.addr->kind, Addr::Kind::Bound);
    ASSERT_EQ(b.addr->addresses.size(), 1u);
    EXPECT_EQ(b.addr->addresses[0].host, c.host);
    EXPECT_EQ(b.addr->addresses[0].port, c.port);
  }
}

TEST_F(GlobalNamerTest, PortOutOfRangeFailsTheAddr) {
  const Lookup l = lookup("/$/inet/127.0.0.1/70000");

  EXPECT_EQ(bound(l).addr->kind, Addr::Kind::Failed);
  EXPECT_EQ(bound(l).addr->failure, "port out of range:70000");
}

TEST_F(GlobalNamerTest, SystemPathsAndUnknownNamers) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/$/fail", "!"},
      {"/$/fail/x", "!"},
      {"/$/nil/x", "$"},
      {"/$", "~"},
      {"/$/io.buoyant.rinet/80", "~"},
      {"/$/io.buoyant.porthostPfx/ph/web:8080/r", "/ph/8080/web/r"},
      {"/$/io.buoyant.http.domainToPathPfx/svc/a.b.c", "/svc/c/b/a"},
      {"/$/inet", "failed: Unknown namer: inet for path: /$/inet"},
      {"/$/inet/host/notaport", "failed: Unknown namer: inet for path: /$/inet/host/notaport"},
      {"/$/com.example.Nope/a",
       "failed: Unknown namer: com.example.Nope for path: /$/com.example.Nope/a"},
      {"/$/failure", "failed: Unknown namer: failure for path: /$/failure"},
  };
  for (const auto& [p, result] : cases) {
    SCOPED_TRACE(p);

    EXPECT_EQ(show(lookup(p)), result);
  }
}

TEST_F(GlobalNamerTest, ResolvesHostnamesOnTheControlThread) {
  const std::uint64_t before = generation();

  const Lookup first = lookup("/$/inet/localhost/9990");
  const bool resolved = testing::run_until(io_, [&] {
    return bound(lookup("/$/inet/localhost/9990")).addr->kind != Addr::Kind::Pending;
  });

  EXPECT_EQ(bound(first).addr->kind, Addr::Kind::Pending);
  EXPECT_EQ(bound(first).id, path("/$/inet/localhost/9990"));
  ASSERT_TRUE(resolved);
  const auto addr = bound(lookup("/$/inet/localhost/9990")).addr;
  ASSERT_EQ(addr->kind, Addr::Kind::Bound);
  ASSERT_FALSE(addr->addresses.empty());
  for (const auto& a : addr->addresses) {
    EXPECT_TRUE(a.host == "127.0.0.1" || a.host == "::1") << a.host;
    EXPECT_EQ(a.port, 9990);
  }
  EXPECT_NE(generation(), before);
}

TEST(InetResolver, AnswersIpLiteralsWithoutTheControlThread) {
  boost::asio::io_context io;
  const auto resolver = InetResolver::create(io);

  const auto v4 = resolver->lookup("10.0.0.1");
  const auto v6 = resolver->lookup("0:0::1");

  EXPECT_EQ(v4->state, InetResolver::HostAddrs::State::Ok);
  EXPECT_EQ(v4->ips, std::vector<std::string>{"10.0.0.1"});
  EXPECT_EQ(v6->ips, std::vector<std::string>{"::1"});
  EXPECT_EQ(io.poll(), 0u);
  EXPECT_TRUE(InetResolver::is_ip_literal("::1"));
  EXPECT_FALSE(InetResolver::is_ip_literal("127.1"));
  EXPECT_FALSE(InetResolver::is_ip_literal("localhost"));
}

TEST(InetResolver, ReportsUnknownHostsAsNeg) {
  boost::asio::io_context io;
  const auto resolver = InetResolver::create(io);
  resolver->lookup("no-such-host.invalid");

  const bool done = testing::run_until(io, [&] {
    return resolver->lookup("no-such-host.invalid")->state !=
           InetResolver::HostAddrs::State::Pending;
  });

  ASSERT_TRUE(done);
  const auto state = resolver->lookup("no-such-host.invalid")->state;
  EXPECT_TRUE(state == InetResolver::HostAddrs::State::Neg ||
              state == InetResolver::HostAddrs::State::Failed);
}

}  // namespace
}  // namespace meshd::naming
