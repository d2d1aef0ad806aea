#include "meshd/naming/interpreter.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <vector>

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
  const Interpreter interpreter({}, global_);

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
  EXPECT_EQ(bind({}, "/a=>/b;/b=>/$/inet/127.0.0.1/1", "/a", {2}),
            "failed: Max recursion level: 2 reached in Namer lookup");
  EXPECT_EQ(bind({}, "/a=>/b;/b=>/$/inet/127.0.0.1/1", "/a", {3}), "/$/inet/127.0.0.1/1");
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

}  // namespace
}  // namespace meshd::naming
