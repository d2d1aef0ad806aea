#include "meshd/naming/interpreter.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "meshd/naming/transformers.h"
#include "unit/naming/naming_test_util.h"

namespace meshd::naming {
namespace {

using testing::FakeNamer;
using testing::path;
using testing::show;
using Lookup = dtab::Activity<dtab::NameTree<dtab::Name>>;

class InterpreterTest : public ::testing::Test {
 protected:
  std::string bind(const std::vector<NamerSharedPtr>& namers, std::string_view dtab,
                   std::string_view p, InterpreterOptions options = {}) {
    const Interpreter interpreter(namers, global_, options);
    return show(interpreter.bind(dtab::Dtab::read(dtab).value(), path(p)));
  }

  boost::asio::io_context io_;
  GlobalNamer global_{InetResolver::create(io_)};
};

TEST_F(InterpreterTest, BindsThroughDtabAndInetLiteral) {
  const std::string result = bind({}, "/svc=>/$/inet/127.0.0.1/8080", "/svc/web");

  EXPECT_EQ(result, "/$/inet/127.0.0.1/8080");
}

TEST_F(InterpreterTest, KeepsResidualAndAddressOfTheBoundName) {
  const Interpreter interpreter(std::vector<NamerSharedPtr>{}, global_);

  const auto r =
      interpreter.bind(dtab::Dtab::read("/svc=>/$/inet/10.0.0.1/80").value(), path("/svc/a/b"));

  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r.value.value().residual, path("/a/b"));
  EXPECT_EQ(r.value.value().addr->addresses.at(0).host, "10.0.0.1");
}

TEST_F(InterpreterTest, FallsBackThroughEarlierDentries) {
  auto fs = std::make_shared<FakeNamer>("/#/io.l5d.fs");
  fs->bind("/web");

  EXPECT_EQ(bind({fs}, "/svc=>/#/io.l5d.fs;/svc/web=>/#/io.l5d.fs/missing", "/svc/web"),
            "/#/io.l5d.fs/web");
  EXPECT_EQ(bind({fs}, "/svc=>/#/io.l5d.fs;/svc/web=>!", "/svc/web"), "!");
  EXPECT_EQ(bind({fs}, "/svc=>/#/io.l5d.fs", "/svc/nope"), "~");
}

TEST_F(InterpreterTest, TriesNamersLastConfiguredFirstFallingThroughNeg) {
  auto first = std::make_shared<FakeNamer>("/#/disco");
  auto second = std::make_shared<FakeNamer>("/#/disco");
  first->bind("/a");
  first->bind("/b");
  second->bind("/b");

  EXPECT_EQ(bind({first, second}, "", "/#/disco/b"), "/#/disco/b");
  EXPECT_EQ(second->lookups(), 1);
  EXPECT_EQ(first->lookups(), 0);
  EXPECT_EQ(bind({first, second}, "", "/#/disco/a"), "/#/disco/a");
  EXPECT_EQ(second->lookups(), 2);
  EXPECT_EQ(first->lookups(), 1);
}

TEST_F(InterpreterTest, PendingAndFailedNamersStopTheSearch) {
  auto first = std::make_shared<FakeNamer>("/#/disco");
  auto second = std::make_shared<FakeNamer>("/#/disco");
  first->bind("/a");
  second->answer("/a", Lookup::pending());
  first->bind("/b");
  second->answer("/b", Lookup::failed("watch failed"));

  EXPECT_EQ(bind({first, second}, "", "/#/disco/a"), "pending");
  EXPECT_EQ(bind({first, second}, "", "/#/disco/b"), "failed: watch failed");
}

TEST_F(InterpreterTest, NamersOnlySeePathsTheDtabLeavesNeg) {
  auto fs = std::make_shared<FakeNamer>("/#/io.l5d.fs");
  fs->bind("/web");

  EXPECT_EQ(bind({fs}, "/#/io.l5d.fs/web=>~", "/#/io.l5d.fs/web"), "/#/io.l5d.fs/web");
  EXPECT_EQ(bind({fs}, "/#/io.l5d.fs/web=>~;/#/io.l5d.fs=>~", "/#/io.l5d.fs/web"), "~");
  EXPECT_EQ(bind({fs}, "/#/io.l5d.fs/web=>/$/inet/127.0.0.1/1", "/#/io.l5d.fs/web"),
            "/$/inet/127.0.0.1/1");
  EXPECT_EQ(fs->lookups(), 1);
}

TEST_F(InterpreterTest, RewritingNamersAreDelegatedFurther) {
  const std::string dtab =
      "/ph=>/$/io.buoyant.rinet;/svc=>/ph/80;/svc=>/$/io.buoyant.porthostPfx/ph";

  EXPECT_EQ(bind({}, dtab, "/svc/10.0.0.1:8080"), "/$/io.buoyant.rinet/8080/10.0.0.1");
  EXPECT_EQ(bind({}, dtab, "/svc/10.0.0.1"), "/$/io.buoyant.rinet/80/10.0.0.1");
}

TEST_F(InterpreterTest, UnknownSystemNamerFailsTheBind) {
  EXPECT_EQ(bind({}, "/svc=>/$/nope", "/svc/x"), "failed: Unknown namer: nope for path: /$/nope/x");
  EXPECT_EQ(bind({}, "/svc=>/$/nil", "/svc/x"), "$");
  EXPECT_EQ(bind({}, "/svc=>/$/inet/127.0.0.1/1 | /$/fail", "/svc"), "/$/inet/127.0.0.1/1");
  EXPECT_EQ(bind({}, "/svc=>/$/fail | /$/inet/127.0.0.1/1", "/svc"), "!");
}

TEST_F(InterpreterTest, HonoursMaxDepth) {
  EXPECT_EQ(bind({}, "/a=>/b;/b=>/a", "/a"),
            "failed: Max recursion level: 100 reached in Namer lookup");
  EXPECT_EQ(bind({}, "/a=>/b;/b=>/$/inet/127.0.0.1/1", "/a", {.max_depth = 2}),
            "failed: Max recursion level: 2 reached in Namer lookup");
  EXPECT_EQ(bind({}, "/a=>/b;/b=>/$/inet/127.0.0.1/1", "/a", {.max_depth = 3}),
            "/$/inet/127.0.0.1/1");
}

TEST_F(InterpreterTest, LookupNamersWithoutDtab) {
  auto fs = std::make_shared<FakeNamer>("/#/io.l5d.fs");
  fs->bind("/web");
  const Interpreter interpreter({fs}, global_);

  EXPECT_EQ(show(interpreter.lookup_namers(path("/#/io.l5d.fs/web"))), "/#/io.l5d.fs/web");
  EXPECT_EQ(show(interpreter.lookup_namers(path("/svc/web"))), "~");
  EXPECT_EQ(show(interpreter.lookup_namers(path("/$/fail"))), "!");
  EXPECT_EQ(show(interpreter.lookup(dtab::Dtab::read("/svc=>/a;/svc=>/b").value(), path("/svc/x"))),
            "/b/x | /a/x");
}

// A bound leaf `prefix ++ name` with residual `residual` and one address 10.0.0.1:80.
Lookup bound_leaf(std::string_view id, std::string_view residual = "/") {
  auto addr = std::make_shared<const dtab::Addr>(dtab::Addr::bound({{"10.0.0.1", 80, {}, 1.0}}));
  return Lookup::ok(dtab::NameTree<dtab::Name>::leaf(
      dtab::BoundName{path(id), path(residual), std::move(addr), 1.0}));
}

TEST_F(InterpreterTest, NamerTransformersApplyToThatNamersBoundNames) {
  auto fs = std::make_shared<FakeNamer>("/#/io.l5d.fs");
  auto other = std::make_shared<FakeNamer>("/#/other");
  fs->answer("/web/a/b", bound_leaf("/#/io.l5d.fs/web", "/a/b"));
  other->answer("/api", bound_leaf("/#/other/api"));
  InterpreterOptions options;
  options.namer_transformers = {{make_port_transformer(path("/%/io.l5d.port/4141"), 4141)}};
  const Interpreter interpreter({fs, other}, global_, options);
  const auto dtab = dtab::Dtab::read("/svc=>/#/io.l5d.fs;/svc/api=>/#/other/api").value();

  const auto web = interpreter.bind(dtab, path("/svc/web/a/b"));
  const auto api = interpreter.bind(dtab, path("/svc/api"));

  EXPECT_EQ(show(web), "/%/io.l5d.port/4141/#/io.l5d.fs/web");
  EXPECT_EQ(web.value.value().residual, path("/a/b"));
  EXPECT_EQ(web.value.value().addr->addresses.at(0).port, 4141);
  EXPECT_EQ(show(api), "/#/other/api");
  EXPECT_EQ(show(interpreter.lookup_namers(path("/#/io.l5d.fs/web/a/b"))),
            "/%/io.l5d.port/4141/#/io.l5d.fs/web");
  EXPECT_TRUE(interpreter.transformers().empty());
}

TEST_F(InterpreterTest, InterpreterTransformersApplyAfterNamerTransformers) {
  auto fs = std::make_shared<FakeNamer>("/#/io.l5d.fs");
  fs->answer("/web", bound_leaf("/#/io.l5d.fs/web"));
  InterpreterOptions options;
  options.namer_transformers = {{make_port_transformer(path("/%/namer"), 1)}};
  options.transformers = {make_port_transformer(path("/%/interp"), 2)};
  const Interpreter interpreter({fs}, global_, options);

  const auto r = interpreter.bind(dtab::Dtab::read("/svc=>/#/io.l5d.fs").value(), path("/svc/web"));
  const auto inet = interpreter.bind(dtab::Dtab(), path("/$/inet/10.0.0.9/80"));

  EXPECT_EQ(show(r), "/%/interp/%/namer/#/io.l5d.fs/web");
  EXPECT_EQ(r.value.value().addr->addresses.at(0).port, 2);
  EXPECT_EQ(show(inet), "/%/interp/$/inet/10.0.0.9/80");
  ASSERT_EQ(interpreter.transformers().size(), 1u);
  EXPECT_EQ(interpreter.transformers()[0]->prefix(), path("/%/interp"));
  EXPECT_EQ(show(interpreter.lookup_namers(path("/#/io.l5d.fs/web"))), "/%/namer/#/io.l5d.fs/web");
}

TEST_F(InterpreterTest, NamerTransformersLeaveNamePathsForDelegation) {
  auto rw = std::make_shared<FakeNamer>("/#/rw");
  rw->answer("/x", Lookup::ok(dtab::NameTree<dtab::Name>::alt(
                       {dtab::NameTree<dtab::Name>::leaf(dtab::Name(path("/fs/web"))),
                        bound_leaf("/#/rw/x").value})));
  InterpreterOptions options;
  options.namer_transformers = {{make_port_transformer(path("/%/p"), 1)}};
  const Interpreter interpreter({rw}, global_, options);

  EXPECT_EQ(show(interpreter.lookup_namers(path("/#/rw/x"))), "/fs/web | /%/p/#/rw/x");
  EXPECT_EQ(
      show(interpreter.bind(dtab::Dtab::read("/fs=>/$/inet/10.0.0.1/80").value(), path("/#/rw/x"))),
      "/$/inet/10.0.0.1/80");
}

TEST_F(InterpreterTest, NamerResultTransformedToNegFallsThroughToEarlierNamer) {
  auto first = std::make_shared<FakeNamer>("/#/disco");
  auto second = std::make_shared<FakeNamer>("/#/disco");
  first->answer("/a", bound_leaf("/#/disco/a"));
  second->answer("/a", bound_leaf("/#/disco/a"));
  const PathBinder neg = [](const dtab::Path&) {
    return dtab::Activity<dtab::NameTree<dtab::BoundName>>::ok(
        dtab::NameTree<dtab::BoundName>::neg());
  };
  InterpreterOptions options;
  options.namer_transformers = {{}, {make_const_transformer(path("/%/c"), path("/x"), neg)}};
  const Interpreter interpreter({first, second}, global_, options);

  EXPECT_EQ(show(interpreter.bind(dtab::Dtab(), path("/#/disco/a"))), "/#/disco/a");
  EXPECT_EQ(second->lookups(), 1);
  EXPECT_EQ(first->lookups(), 1);
}

TEST_F(InterpreterTest, DefaultInterpreterHasNoOwnDtab) {
  const Interpreter interpreter(std::vector<NamerSharedPtr>{}, global_);

  EXPECT_TRUE(interpreter.own_dtab().empty());
  EXPECT_EQ(interpreter.own_dtab_failure(), "");
}

}  // namespace
}  // namespace meshd::naming
