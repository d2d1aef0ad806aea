#include "meshd/naming/rewrite_namer.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>

#include "meshd/naming/interpreter.h"
#include "unit/naming/naming_test_util.h"

namespace meshd::naming {
namespace {

using testing::FakeNamer;
using testing::path;
using testing::show;

std::shared_ptr<RewriteNamer> port_ns_svc_to_k8s() {
  return std::make_shared<RewriteNamer>(
      path("/#/portNsSvcToK8s"), PathMatcher("/{port}/{ns}/{svc}"), "/k8s/{ns}/{port}/{svc}");
}

TEST(RewriteNamer, RewritesAMatchingPathDroppingExtraLabels) {
  const auto namer = port_ns_svc_to_k8s();

  const auto result = namer->lookup(path("/http/default/web/extra/labels"));

  ASSERT_TRUE(result.is_ok());
  ASSERT_EQ(result.value.kind(), dtab::NameTree<dtab::Name>::Kind::Leaf);
  ASSERT_NE(result.value.value().as_path(), nullptr);
  EXPECT_EQ(*result.value.value().as_path(), path("/k8s/default/http/web"));
  EXPECT_EQ(namer->prefix(), path("/#/portNsSvcToK8s"));
}

TEST(RewriteNamer, NonMatchingPathIsNeg) {
  const auto namer = port_ns_svc_to_k8s();

  EXPECT_EQ(show(namer->lookup(path("/http/default"))), "~");
  EXPECT_EQ(show(namer->lookup(path("/"))), "~");
}

TEST(RewriteNamer, InvalidRewrittenPathFails) {
  const RewriteNamer unknown_var(path("/#/rw"), PathMatcher("/{x}"), "/a/{y}");
  const RewriteNamer bad_char(path("/#/rw"), PathMatcher("/{x}"), "/a/{x}");

  const auto unknown = unknown_var.lookup(path("/b"));
  const auto bad = bad_char.lookup(dtab::Path::of({"a b"}));

  EXPECT_EQ(unknown.state, decltype(unknown)::State::Failed);
  EXPECT_NE(unknown.failure.find("/a/[{]y}"), std::string::npos) << unknown.failure;
  EXPECT_EQ(bad.state, decltype(bad)::State::Failed);
  EXPECT_EQ(show(bad_char.lookup(path("/ok"))), "/a/ok");
}

TEST(RewriteNamer, IsNotEnumerable) { EXPECT_TRUE(port_ns_svc_to_k8s()->enumerate().empty()); }

TEST(RewriteNamer, RewrittenNameIsDelegatedAgainThroughTheDtab) {
  boost::asio::io_context io;
  GlobalNamer global(InetResolver::create(io));
  auto fs = std::make_shared<FakeNamer>("/#/io.l5d.fs");
  fs->bind("/default/http/web");
  const Interpreter interpreter({fs, port_ns_svc_to_k8s()}, global);
  const auto dtab =
      dtab::Dtab::read("/k8s=>/#/io.l5d.fs;/svc=>/#/portNsSvcToK8s/http/default").value();

  const auto bound = interpreter.bind(dtab, path("/svc/web/v1/users"));
  const auto missing = interpreter.bind(dtab, path("/svc"));

  EXPECT_EQ(show(bound), "/#/io.l5d.fs/default/http/web");
  ASSERT_TRUE(bound.is_ok());
  EXPECT_TRUE(bound.value.value().residual.empty());  // `/v1/users` was dropped by the rewrite
  EXPECT_EQ(show(missing), "~");
}

}  // namespace
}  // namespace meshd::naming
