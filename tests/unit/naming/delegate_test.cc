#include "meshd/naming/delegate.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "unit/naming/naming_test_util.h"

namespace meshd::naming {
namespace {

using dtab::Addr;
using dtab::BoundName;
using testing::FakeNamer;
using testing::path;
using Lookup = dtab::Activity<dtab::NameTree<dtab::Name>>;

std::shared_ptr<const Addr> bound_addr(std::vector<dtab::Address> addresses) {
  return std::make_shared<const Addr>(Addr::bound(std::move(addresses)));
}

Lookup bound_leaf(std::string_view id, std::shared_ptr<const Addr> addr,
                  std::string_view residual = "/") {
  return Lookup::ok(
      dtab::NameTree<dtab::Name>::leaf(BoundName{path(id), path(residual), std::move(addr), 1.0}));
}

/// Prefixes every id with `/%/<label>` and moves every address to `port`, like `io.l5d.port`.
class FakeTransformer final : public Transformer {
 public:
  FakeTransformer(std::string_view label, std::uint16_t port)
      : Transformer(path("/%/" + std::string(label)), "FakeTransformer"), port_(port) {}

  // naming::Transformer
  dtab::Activity<dtab::NameTree<BoundName>> transform_leaf(const BoundName& leaf) const override {
    Addr addr = *leaf.addr;
    for (auto& a : addr.addresses) {
      a.port = port_;
    }
    BoundName out{prefix() + leaf.id, leaf.residual, std::make_shared<const Addr>(addr),
                  leaf.weight};
    return dtab::Activity<dtab::NameTree<BoundName>>::ok(dtab::NameTree<BoundName>::leaf(out));
  }

 private:
  std::uint16_t port_;
};

// The bound part of a leaf at `id` on 127.0.0.1:`port`.
std::string bound_json(std::string_view id, int port, std::string_view residual = "/") {
  return R"({"addr":{"type":"bound","addrs":[{"ip":"127.0.0.1","port":)" + std::to_string(port) +
         R"(,"meta":{}}],"meta":{}},"id":")" + std::string(id) + R"(","path":")" +
         std::string(residual) + R"("})";
}

class DelegateTest : public ::testing::Test {
 protected:
  DelegateTest() {
    fs_->answer("/web", bound_leaf("/#/io.l5d.fs/web", local(8080)));
    fs_->answer("/a", bound_leaf("/#/io.l5d.fs/a", local(8081)));
    fs_->answer("/b", bound_leaf("/#/io.l5d.fs/b", local(8082)));
    fs_->answer("/bad", Lookup::failed("boom"));
    fs_->answer("/slow", Lookup::pending());
    fs_->answer("/unresolved",
                bound_leaf("/#/io.l5d.fs/unresolved", std::make_shared<const Addr>(Addr{})));
  }

  static std::shared_ptr<const Addr> local(std::uint16_t port) {
    return bound_addr({{"127.0.0.1", port, {}, 1.0}});
  }

  Delegation run(std::string_view dtab, std::string_view p,
                 std::vector<TransformerConstSharedPtr> transformers = {}) {
    InterpreterOptions options;
    options.transformers = std::move(transformers);
    const Interpreter interpreter({fs_}, global_, options);
    return delegate(interpreter, dtab::Dtab::read(dtab).value(), path(p));
  }

  std::string json(std::string_view dtab, std::string_view p,
                   std::vector<TransformerConstSharedPtr> transformers = {}) {
    Delegation d = run(dtab, p, std::move(transformers));
    EXPECT_FALSE(d.failure.has_value()) << *d.failure;
    EXPECT_FALSE(d.pending);
    return to_json(d.tree);
  }

  boost::asio::io_context io_;
  GlobalNamer global_{InetResolver::create(io_)};
  std::shared_ptr<FakeNamer> fs_ = std::make_shared<FakeNamer>("/#/io.l5d.fs");
};

struct Case {
  const char* name;
  const char* dtab;
  const char* path;
  std::string expected;
};

TEST_F(DelegateTest, MatchesLinkerdJsonForEveryNodeKind) {
  const std::string d_svc_fs = R"("dentry":{"prefix":"/svc","dst":"/#/io.l5d.fs"})";
  const std::vector<Case> cases = {
      {"namer leaf under a delegate", "/svc=>/#/io.l5d.fs", "/svc/web",
       R"({"type":"delegate","path":"/svc/web","delegate":{"type":"leaf",)"
       R"("path":"/#/io.l5d.fs/web",)" +
           d_svc_fs + R"(,"bound":)" + bound_json("/#/io.l5d.fs/web", 8080) + "}}"},
      {"no dentry and no namer: neg at the root, no dentry", "", "/foo",
       R"({"type":"neg","path":"/foo"})"},
      {"alt within one dentry collapses into the root and keeps neg branches",
       "/svc=>/#/io.l5d.fs/missing | /#/io.l5d.fs/b", "/svc",
       R"({"type":"alt","path":"/svc","alt":[{"type":"neg","path":"/#/io.l5d.fs/missing",)"
       R"("dentry":{"prefix":"/svc","dst":"/#/io.l5d.fs/missing | /#/io.l5d.fs/b"}},)"
       R"({"type":"leaf","path":"/#/io.l5d.fs/b","dentry":{"prefix":"/svc","dst":)"
       R"("/#/io.l5d.fs/missing | /#/io.l5d.fs/b"},"bound":)" +
           bound_json("/#/io.l5d.fs/b", 8082) + "}]}"},
      {"two matching dentries: alt, later dentry first, inet with residual",
       "/svc=>/#/io.l5d.fs;/svc/web=>/$/inet/127.0.0.1/9000", "/svc/web/x",
       R"({"type":"alt","path":"/svc/web/x","alt":[{"type":"leaf",)"
       R"("path":"/$/inet/127.0.0.1/9000/x","dentry":{"prefix":"/svc/web",)"
       R"("dst":"/$/inet/127.0.0.1/9000"},"bound":)" +
           bound_json("/$/inet/127.0.0.1/9000", 9000, "/x") +
           R"(},{"type":"neg","path":"/#/io.l5d.fs/web/x",)" + d_svc_fs + "}]}"},
      {"union keeps weights as Java doubles", "/svc=>0.7*/#/io.l5d.fs/a & 3*/#/io.l5d.fs/b", "/svc",
       R"({"type":"union","path":"/svc","union":[{"weight":0.7,"tree":{"type":"leaf",)"
       R"("path":"/#/io.l5d.fs/a","dentry":{"prefix":"/svc","dst":)"
       R"("0.70*/#/io.l5d.fs/a & 3.00*/#/io.l5d.fs/b"},"bound":)" +
           bound_json("/#/io.l5d.fs/a", 8081) +
           R"(}},{"weight":3.0,"tree":{"type":"leaf","path":"/#/io.l5d.fs/b","dentry":)"
           R"({"prefix":"/svc","dst":"0.70*/#/io.l5d.fs/a & 3.00*/#/io.l5d.fs/b"},"bound":)" +
           bound_json("/#/io.l5d.fs/b", 8082) + "}}]}"},
      {"explicit ~ has an empty path", "/svc=>~", "/svc/x",
       R"({"type":"delegate","path":"/svc/x","delegate":{"type":"neg","path":"~",)"
       R"("dentry":{"prefix":"/svc","dst":"~"}}})"},
      {"! shows as !", "/svc=>!", "/svc",
       R"({"type":"delegate","path":"/svc","delegate":{"type":"fail","path":"!",)"
       R"("dentry":{"prefix":"/svc","dst":"!"}}})"},
      {"/$/fail keeps its path", "/svc=>/$/fail", "/svc/x",
       R"({"type":"delegate","path":"/svc/x","delegate":{"type":"fail","path":"/$/fail/x",)"
       R"("dentry":{"prefix":"/svc","dst":"/$/fail"}}})"},
      {"$ is empty at the looked-up path", "/svc=>$", "/svc",
       R"({"type":"delegate","path":"/svc","delegate":{"type":"empty","path":"/svc",)"
       R"("dentry":{"prefix":"/svc","dst":"$"}}})"},
      {"/$/nil is empty", "/svc=>/$/nil", "/svc",
       R"({"type":"delegate","path":"/svc","delegate":{"type":"empty","path":"/$/nil",)"
       R"("dentry":{"prefix":"/svc","dst":"/$/nil"}}})"},
      {"a namer failure is an exception node", "/svc=>/#/io.l5d.fs", "/svc/bad",
       R"({"type":"delegate","path":"/svc/bad","delegate":{"type":"exception",)"
       R"("path":"/#/io.l5d.fs/bad",)" +
           d_svc_fs + R"(,"message":"boom"}})"},
      {"depth overflow in a branch is an exception with the alt's path and dentry",
       "/a=>/b;/b=>/a;/c=>/a | /#/io.l5d.fs/web", "/c",
       R"({"type":"alt","path":"/c","alt":[{"type":"exception","path":"/c","dentry":)"
       R"({"prefix":"/c","dst":"/a | /#/io.l5d.fs/web"},"message":"Max recursion level )"
       R"(reached."},{"type":"leaf","path":"/#/io.l5d.fs/web","dentry":{"prefix":"/c",)"
       R"("dst":"/a | /#/io.l5d.fs/web"},"bound":)" +
           bound_json("/#/io.l5d.fs/web", 8080) + "}]}"},
      {"a dentry equivalent to nop is left out; backslashes escaped", R"(/\x2f=>~ | ~)", R"(/\x2f)",
       R"({"type":"alt","path":"/\\x2f","alt":[{"type":"neg","path":"~"},)"
       R"({"type":"neg","path":"~"}]})"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);

    const std::string got = json(c.dtab, c.path);

    EXPECT_EQ(got, c.expected);
  }
}

TEST_F(DelegateTest, DepthOverflowOutsideAnyBranchFailsTheWholeRequest) {
  const Delegation d = run("/a=>/b;/b=>/a", "/a");

  ASSERT_TRUE(d.failure.has_value());
  EXPECT_EQ(*d.failure, "Max recursion level reached.");
}

TEST_F(DelegateTest, DepthLimitAllows99RewritesBeforeTheFinalLookup) {
  auto chain = [](int n) {
    std::string dtab;
    for (int i = 0; i < n; ++i) {
      dtab += "/p" + std::to_string(i) + "=>/p" + std::to_string(i + 1) + ";";
    }
    return dtab;
  };

  const Delegation ok = run(chain(99), "/p0");
  const Delegation too_deep = run(chain(100), "/p0");

  EXPECT_FALSE(ok.failure.has_value());
  EXPECT_NE(to_json(ok.tree).find(
                R"({"type":"neg","path":"/p99","dentry":{"prefix":"/p98","dst":"/p99"}})"),
            std::string::npos);
  ASSERT_TRUE(too_deep.failure.has_value());
  EXPECT_EQ(*too_deep.failure, "Max recursion level reached.");
}

TEST_F(DelegateTest, TransformersWrapLeavesInOrderKeepingTheLeafDentry) {
  auto first = std::make_shared<FakeTransformer>("one", 4141);
  auto second = std::make_shared<FakeTransformer>("two", 4142);

  const std::string got = json("/svc=>/#/io.l5d.fs", "/svc/web", {first, second});

  EXPECT_EQ(got, R"({"type":"delegate","path":"/svc/web","delegate":{"type":"transformation",)"
                 R"("path":"/#/io.l5d.fs/web","name":"FakeTransformer","bound":)" +
                     bound_json("/#/io.l5d.fs/web", 8080) +
                     R"(,"tree":{"type":"transformation","path":"/%/one/#/io.l5d.fs/web",)"
                     R"("name":"FakeTransformer","bound":)" +
                     bound_json("/%/one/#/io.l5d.fs/web", 4141) +
                     R"(,"tree":{"type":"leaf","path":"/%/two/%/one/#/io.l5d.fs/web","dentry":)"
                     R"({"prefix":"/svc","dst":"/#/io.l5d.fs"},"bound":)" +
                     bound_json("/%/two/%/one/#/io.l5d.fs/web", 4142) + "}}}}");
}

TEST_F(DelegateTest, PendingLookupOrAddrIsReported) {
  const Delegation lookup = run("/svc=>/#/io.l5d.fs", "/svc/slow");
  const Delegation addr = run("/svc=>/#/io.l5d.fs", "/svc/unresolved");
  const Delegation settled = run("/svc=>/#/io.l5d.fs", "/svc/web");

  EXPECT_TRUE(lookup.pending);
  EXPECT_TRUE(addr.pending);
  EXPECT_NE(to_json(addr.tree).find(R"("addr":{"type":"pending"})"), std::string::npos);
  EXPECT_FALSE(settled.pending);
}

TEST_F(DelegateTest, AddrStatesAndMetadataInJson) {
  fs_->answer("/neg", bound_leaf("/#/io.l5d.fs/neg",
                                 std::make_shared<const Addr>(Addr{Addr::Kind::Neg, {}, {}})));
  fs_->answer("/failed",
              bound_leaf("/#/io.l5d.fs/failed",
                         std::make_shared<const Addr>(Addr::failed("web:3: bad \"port\""))));
  fs_->answer("/meta", bound_leaf("/#/io.l5d.fs/meta",
                                  bound_addr({{"10.0.0.1", 80, {{"nodeName", "n1"}}, 1.0},
                                              {"10.0.0.2", 81, {}, 2.5}})));

  const std::string neg = json("/svc=>/#/io.l5d.fs", "/svc/neg");
  const std::string failed = json("/svc=>/#/io.l5d.fs", "/svc/failed");
  const std::string meta = json("/svc=>/#/io.l5d.fs", "/svc/meta");

  EXPECT_NE(neg.find(R"("bound":{"addr":{"type":"neg"},"id":"/#/io.l5d.fs/neg","path":"/"})"),
            std::string::npos)
      << neg;
  EXPECT_NE(failed.find(R"("addr":{"type":"failed","cause":"web:3: bad \"port\""})"),
            std::string::npos)
      << failed;
  EXPECT_NE(meta.find(R"("addrs":[{"ip":"10.0.0.1","port":80,"meta":{"nodeName":"n1"}},)"
                      R"({"ip":"10.0.0.2","port":81,"meta":{"endpoint_addr_weight":2.5}}])"),
            std::string::npos)
      << meta;
}

TEST(DelegateTree, SimplifyCollapsesDelegatesOfTheSamePath) {
  const auto d1 = dtab::Dentry::read("/a=>/b").value();
  const auto d2 = dtab::Dentry::read("/c=>/d").value();
  const BoundName bound{path("/x"), path("/"), nullptr, 1.0};
  const auto leaf = DelegateTree::leaf(path("/p"), d2, bound);

  EXPECT_EQ(DelegateTree::delegate(path("/p"), d1, leaf).simplified(),
            DelegateTree::leaf(path("/p"), d1, bound));
  EXPECT_EQ(DelegateTree::delegate(path("/q"), d1, leaf).simplified(),
            DelegateTree::delegate(path("/q"), d1, leaf));
  // Neg, Fail and Empty never collapse.
  const auto neg = DelegateTree::neg(path("/p"), d2);
  EXPECT_EQ(DelegateTree::delegate(path("/p"), d1, neg).simplified(),
            DelegateTree::delegate(path("/p"), d1, neg));
  // Empty Alt/Union are Neg; single members become delegates (and collapse).
  EXPECT_EQ(DelegateTree::alt(path("/p"), d1, {}).simplified(), DelegateTree::neg(path("/p"), d1));
  EXPECT_EQ(DelegateTree::union_(path("/p"), d1, {}).simplified(),
            DelegateTree::neg(path("/p"), d1));
  EXPECT_EQ(DelegateTree::union_(path("/p"), d1, {{2.0, leaf}}).simplified(),
            DelegateTree::leaf(path("/p"), d1, bound));
  // An Alt child that is an Alt of the same path is spliced in; other Alts stay nested.
  const auto other = DelegateTree::leaf(path("/o"), d2, bound);
  const auto inner_same = DelegateTree::alt(path("/p"), d2, {leaf, other});
  const auto inner_other = DelegateTree::alt(path("/z"), d2, {leaf, other});
  EXPECT_EQ(DelegateTree::alt(path("/p"), d1, {inner_same, neg}).simplified(),
            DelegateTree::alt(path("/p"), d1, {leaf, other, neg}));
  EXPECT_EQ(DelegateTree::alt(path("/p"), d1, {inner_other, neg}).simplified(),
            DelegateTree::alt(path("/p"), d1, {inner_other, neg}));
  // A transformation keeps no dentry.
  const auto t = DelegateTree::transformation(path("/p"), "T", bound, leaf);
  EXPECT_EQ(DelegateTree::delegate(path("/p"), d1, t).simplified(), t);
}

TEST(JavaDoubleToString, MatchesJava) {
  const std::vector<std::pair<double, std::string>> cases = {
      {1.0, "1.0"},
      {0.7, "0.7"},
      {3.0, "3.0"},
      {1e-4, "1.0E-4"},
      {0.001, "0.001"},
      {1e7, "1.0E7"},
      {9999999.0, "9999999.0"},
      {12345678.9, "1.23456789E7"},
      {100.0, "100.0"},
      {-2.5, "-2.5"},
      {0.0, "0.0"},
      {0.1 + 0.2, "0.30000000000000004"},
      {1.5e300, "1.5E300"},
      {2.5e-10, "2.5E-10"},
  };
  for (const auto& [value, expected] : cases) {
    EXPECT_EQ(java_double_to_string(value), expected) << value;
  }
}

}  // namespace
}  // namespace meshd::naming
