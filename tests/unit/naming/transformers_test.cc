#include "meshd/naming/transformers.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "unit/naming/naming_test_util.h"

namespace meshd::naming {
namespace {

using dtab::Addr;
using dtab::BoundName;
using testing::path;
using testing::show;
using Tree = dtab::NameTree<BoundName>;
using Bound = dtab::Activity<Tree>;

dtab::AddrConstSharedPtr addr_of(const std::vector<std::string>& host_ports) {
  std::vector<dtab::Address> addresses;
  for (const auto& hp : host_ports) {
    const auto colon = hp.rfind(':');
    addresses.push_back({hp.substr(0, colon),
                         static_cast<std::uint16_t>(std::stoi(hp.substr(colon + 1))),
                         {{"nodeName", "n1"}},
                         1.0});
  }
  return std::make_shared<const Addr>(Addr::bound(std::move(addresses)));
}

BoundName bound(std::string_view id, dtab::AddrConstSharedPtr addr, std::string_view residual = "/",
                double weight = 1.0) {
  return {path(id), path(residual), std::move(addr), weight};
}

Tree leaf(std::string_view id, const std::vector<std::string>& host_ports) {
  return Tree::leaf(bound(id, addr_of(host_ports)));
}

// The Addr of a leaf result as `host:port,...`, or its state.
std::string addrs(const Bound& b) {
  if (!b.is_ok() || b.value.kind() != Tree::Kind::Leaf) {
    return show(b);
  }
  return testing::show_addr(*b.value.value().addr);
}

TEST(PortTransformer, PrefixesTheIdAndReplacesEveryPort) {
  const auto t = make_port_transformer(path("/%/io.l5d.port/4141"), 4141);
  const BoundName in = bound("/#/io.l5d.fs/hello", addr_of({"10.0.0.1:80", "::1:81"}), "/a/b", 0.5);

  const Bound out = t->transform(Tree::leaf(in));

  ASSERT_TRUE(out.is_ok());
  const BoundName& b = out.value.value();
  EXPECT_EQ(b.id, path("/%/io.l5d.port/4141/#/io.l5d.fs/hello"));
  EXPECT_EQ(b.residual, path("/a/b"));
  EXPECT_EQ(b.weight, 0.5);
  EXPECT_EQ(addrs(out), "10.0.0.1:4141,::1:4141");
  EXPECT_EQ(b.addr->addresses[0].meta, in.addr->addresses[0].meta);
  EXPECT_EQ(t->name(), "PortTransformer");
  EXPECT_EQ(t->prefix(), path("/%/io.l5d.port/4141"));
}

TEST(PortTransformer, LeavesNonIpAddressesAndUnboundAddrsAlone) {
  const auto t = make_port_transformer(path("/%/p"), 9);
  const auto pending = std::make_shared<const Addr>();
  const auto failed = std::make_shared<const Addr>(Addr::failed("boom"));

  EXPECT_EQ(addrs(t->transform(leaf("/#/a", {"some-host:80", "10.0.0.1:80"}))),
            "some-host:80,10.0.0.1:9");
  const Bound p = t->transform(Tree::leaf(bound("/#/a", pending)));
  EXPECT_EQ(addrs(p), "pending");
  EXPECT_EQ(p.value.value().id, path("/%/p/#/a"));
  EXPECT_EQ(addrs(t->transform(Tree::leaf(bound("/#/a", failed)))), "failed: boom");
  EXPECT_EQ(show(t->transform(Tree::leaf(bound("/#/a", nullptr)))), "/%/p/#/a");
}

TEST(Transformer, KeepsTreeShapeWeightsAndSimplifies) {
  const auto t = make_port_transformer(path("/%/p"), 9);
  const Tree tree = Tree::union_({{2.0, leaf("/#/a", {"10.0.0.1:1"})},
                                  {3.0, Tree::alt({Tree::neg(), leaf("/#/b", {"10.0.0.2:1"})})},
                                  {1.0, Tree::empty()}});

  EXPECT_EQ(show(t->transform(tree)), "2.00*/%/p/#/a & 3.00*/%/p/#/b & $");
  EXPECT_EQ(show(t->transform(Tree::neg())), "~");
  EXPECT_EQ(show(t->transform(Tree::fail())), "!");
  EXPECT_EQ(show(t->transform(Tree::empty())), "$");
}

TEST(LocalhostTransformer, KeepsOnlyLocalAddresses) {
  const auto t = make_localhost_transformer(path("/%/io.l5d.localhost"), {"10.0.0.1", "fe80::1"});

  EXPECT_EQ(addrs(t->transform(leaf("/#/a", {"10.0.0.1:80", "10.0.0.2:80", "fe80::1:81"}))),
            "10.0.0.1:80,fe80::1:81");
  EXPECT_EQ(addrs(t->transform(leaf("/#/a", {"::ffff:10.0.0.1:80"}))), "::ffff:10.0.0.1:80");
  EXPECT_EQ(addrs(t->transform(leaf("/#/a", {"some-host:80", "10.0.0.3:80"}))), "some-host:80");
  EXPECT_EQ(addrs(t->transform(leaf("/#/a", {"10.0.0.2:80"}))), "neg");
  EXPECT_EQ(addrs(t->transform(leaf("/#/a", {}))), "neg");
  EXPECT_EQ(show(t->transform(leaf("/#/a", {}))), "/%/io.l5d.localhost/#/a");
  EXPECT_EQ(t->name(), "LocalhostTransformer");
}

TEST(LocalhostTransformer, ReadsTheUpInterfaces) {
  const std::vector<std::string> ips = local_interface_ips();
  const auto t = make_localhost_transformer(path("/%/io.l5d.localhost"));

  ASSERT_NE(std::find(ips.begin(), ips.end(), "127.0.0.1"), ips.end());
  EXPECT_EQ(addrs(t->transform(leaf("/#/a", {"127.0.0.1:80", "192.0.2.1:80"}))), "127.0.0.1:80");
}

TEST(SpecificHostTransformer, KeepsAddressesOfAnIpLiteral) {
  const auto t =
      make_specific_host_transformer(path("/%/io.l5d.specificHost"), "10.0.0.2", nullptr);

  EXPECT_EQ(addrs(t->transform(leaf("/#/a", {"10.0.0.1:80", "10.0.0.2:80", "10.0.0.2:81"}))),
            "10.0.0.2:80,10.0.0.2:81");
  EXPECT_EQ(addrs(t->transform(leaf("/#/a", {"10.0.0.1:80"}))), "neg");
  EXPECT_EQ(t->name(), "SpecificHostTransformer");
}

TEST(SpecificHostTransformer, IsPendingUntilTheHostnameResolves) {
  boost::asio::io_context io;
  const auto resolver = InetResolver::create(io);
  const auto t = make_specific_host_transformer(path("/%/h"), "localhost", resolver);
  const Tree in = leaf("/#/a", {"127.0.0.1:80", "192.0.2.1:80"});

  const std::string first = addrs(t->transform(in));
  const bool resolved =
      testing::run_until(io, [&] { return addrs(t->transform(in)) != "pending"; });

  EXPECT_EQ(first, "pending");
  ASSERT_TRUE(resolved);
  EXPECT_EQ(addrs(t->transform(in)), "127.0.0.1:80");
  resolver->stop();
}

class ReplaceTransformerTest : public ::testing::Test {
 protected:
  PathBinder binder() {
    return [this](const dtab::Path& p) {
      bound_paths_.push_back(p.show());
      return answer_;
    };
  }

  Bound answer_ = Bound::ok(leaf("/$/inet/127.0.0.1/9", {"127.0.0.1:9"}));
  std::vector<std::string> bound_paths_;
};

TEST_F(ReplaceTransformerTest, ReplacesEveryLeafKeepingNegFailAndEmpty) {
  const auto t = make_replace_transformer(path("/%/io.l5d.replace"), path("/other"), binder());
  const Tree tree = Tree::union_({{1.0, leaf("/#/a", {})}, {1.0, leaf("/#/b", {})}});

  EXPECT_EQ(show(t->transform(tree)),
            "/%/io.l5d.replace/$/inet/127.0.0.1/9 & /%/io.l5d.replace/$/inet/127.0.0.1/9");
  EXPECT_EQ(bound_paths_, (std::vector<std::string>{"/other", "/other"}));
  EXPECT_EQ(addrs(t->transform(leaf("/#/a", {"10.0.0.1:1"}))), "127.0.0.1:9");
  EXPECT_EQ(show(t->transform(Tree::neg())), "~");
  EXPECT_EQ(show(t->transform(Tree::fail())), "!");
  EXPECT_EQ(show(t->transform(Tree::empty())), "$");
  EXPECT_EQ(t->name(), "ReplaceTransformer");
}

TEST_F(ReplaceTransformerTest, PendingOrFailedReplacementIsTheResult) {
  const auto t = make_replace_transformer(path("/%/r"), path("/other"), binder());

  answer_ = Bound::pending();
  EXPECT_EQ(show(t->transform(leaf("/#/a", {}))), "pending");
  answer_ = Bound::failed("no namer");
  EXPECT_EQ(show(t->transform(leaf("/#/a", {}))), "failed: no namer");
  EXPECT_EQ(show(t->transform(Tree::neg())), "~");
}

TEST_F(ReplaceTransformerTest, ConstIgnoresTheInputEvenNeg) {
  const auto t = make_const_transformer(path("/%/io.l5d.const"), path("/other"), binder());

  EXPECT_EQ(show(t->transform(Tree::neg())), "/%/io.l5d.const/$/inet/127.0.0.1/9");
  EXPECT_EQ(show(t->transform(leaf("/#/a", {}))), "/%/io.l5d.const/$/inet/127.0.0.1/9");
  EXPECT_EQ(show(t->transform_leaf(bound("/#/a", nullptr))), "/%/io.l5d.const/$/inet/127.0.0.1/9");
  EXPECT_EQ(t->name(), "ConstTransformer");
}

TEST(ReplaceTransformer, SelfRecursionFailsInsteadOfOverflowing) {
  TransformerConstSharedPtr t;
  const PathBinder recurse = [&t](const dtab::Path&) {
    return t->transform(Tree::leaf(bound("/#/a", nullptr)));
  };
  t = make_replace_transformer(path("/%/r"), path("/loop"), recurse);

  const Bound out = t->transform(Tree::leaf(bound("/#/a", nullptr)));

  EXPECT_EQ(show(out), "failed: ReplaceTransformer: binding /loop recursed too deeply");
}

TEST(ApplyTransformers, AppliesInOrderAndPassesPendingThrough) {
  const std::vector<TransformerConstSharedPtr> ts = {
      make_port_transformer(path("/%/io.l5d.port/4141"), 4141),
      make_localhost_transformer(path("/%/io.l5d.localhost"), {"10.0.0.1"})};

  const Bound out = apply_transformers(ts, Bound::ok(leaf("/#/a", {"10.0.0.1:80", "10.0.0.2:80"})));

  EXPECT_EQ(show(out), "/%/io.l5d.localhost/%/io.l5d.port/4141/#/a");
  EXPECT_EQ(addrs(out), "10.0.0.1:4141");
  EXPECT_EQ(show(apply_transformers(ts, Bound::pending())), "pending");
  EXPECT_EQ(show(apply_transformers(ts, Bound::failed("x"))), "failed: x");
  EXPECT_EQ(show(apply_transformers({}, Bound::ok(Tree::neg()))), "~");
}

}  // namespace
}  // namespace meshd::naming
