// RouterWorker (src/router/router_worker.cc): the per-worker binding cache and the union pick,
// driven without network through a scripted BindFn.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "router_test_util.h"

namespace meshd::router {
namespace {

using test::BoundTree;
using test::request;
using Tree = dtab::NameTree<dtab::BoundName>;

/// A leaf whose address failed with `message`, so the response body says which leaf was picked.
Tree failed_leaf(std::string_view id, std::string message) {
  return test::bound_leaf(id, dtab::Addr::failed(std::move(message)));
}

/// Routes `req` through `worker` and stores the outcome in `*out`; both must outlive the call.
asio::awaitable<void> route_into(RouterWorker* worker, http::Request req,
                                 std::optional<Result<http::Response>>* out) {
  auto rsp = co_await worker->route(req);
  out->emplace(std::move(rsp));
}

Tree weighted_union(double a, double b) {
  return Tree::union_({{a, failed_leaf("/#/a", "picked a")}, {b, failed_leaf("/#/b", "picked b")}});
}

class RouterWorkerTest : public test::RouterFixture {
 protected:
  /// Sends `n` requests through a `weighted_union` and counts those that picked `/#/a`.
  int picks_of_a(int n) {
    int a = 0;
    for (int i = 0; i < n; ++i) {
      auto rsp = call(request("GET", "/", {{"Host", "hello"}}));
      a += test::body_of(io_, rsp) == "picked a" ? 1 : 0;
    }
    return a;
  }
};

TEST_F(RouterWorkerTest, RouteAnswersWithoutTheServerStack) {
  build();

  auto req = request("GET", "/", {{"Host", "hello"}});
  auto rsp = test::run(io_, worker_->route(req));

  ASSERT_TRUE(rsp.has_value());
  EXPECT_EQ(rsp->status, 502);
  ASSERT_EQ(naming_->calls.size(), 1u);
  EXPECT_EQ(naming_->calls[0].path, "/svc/hello");
  EXPECT_EQ(naming_->calls[0].dtab, "");
}

TEST_F(RouterWorkerTest, RouteBindsWithTheRequestsLocalDtab) {
  options_.base_dtab = *dtab::Dtab::read("/svc=>/#/io.l5d.fs");
  build();
  auto req = request("GET", "/", {{"Host", "hello"}});
  req.ctx.local_dtab = *dtab::Dtab::read("/svc/hello=>/#/io.l5d.fs/world");

  test::run(io_, worker_->route(req));

  ASSERT_EQ(naming_->calls.size(), 1u);
  EXPECT_EQ(naming_->calls[0].dtab, "/svc=>/#/io.l5d.fs;/svc/hello=>/#/io.l5d.fs/world");
}

TEST_F(RouterWorkerTest, BindingIsCachedPerNameAndLocalDtab) {
  struct Step {
    std::string host;
    std::string l5d_dtab;
    std::size_t calls_after;
  };
  const std::vector<Step> steps = {
      {"a", "", 1},         {"a", "", 1},  // cached
      {"b", "", 2},                        // another name
      {"a", "/x=>/y", 3},                  // another local dtab
      {"a", "/x=>/y", 3},                  // cached too
      {"a", "/x => /y", 3},                // the same dtab written differently
      {"a", "", 3},
  };
  build();
  for (const auto& s : steps) {
    SCOPED_TRACE(s.host + " " + s.l5d_dtab);
    std::vector<std::pair<std::string, std::string>> headers{{"Host", s.host}};
    if (!s.l5d_dtab.empty()) {
      headers.emplace_back("l5d-dtab", s.l5d_dtab);
    }

    call(request("GET", "/", headers));

    EXPECT_EQ(naming_->calls.size(), s.calls_after);
  }
}

TEST_F(RouterWorkerTest, NamingGenerationInvalidatesTheCache) {
  build();

  call(request("GET", "/", {{"Host", "a"}}));
  call(request("GET", "/", {{"Host", "a"}}));
  naming_->generation++;
  naming_->answer = BoundTree::failed("now failing");
  auto rsp = call(request("GET", "/", {{"Host", "a"}}));
  auto again = call(request("GET", "/", {{"Host", "a"}}));

  EXPECT_EQ(naming_->calls.size(), 2u);
  EXPECT_EQ(test::body_of(io_, rsp), "now failing");
  EXPECT_EQ(test::body_of(io_, again), "now failing");
}

TEST_F(RouterWorkerTest, PendingBindingIsRetriedWhenTheGenerationMoves) {
  naming_->answer = BoundTree::pending();
  options_.binding_timeout = std::chrono::milliseconds(2000);
  build();
  std::optional<Result<http::Response>> out;
  test::spawn(io_, route_into(worker_.get(), request("GET", "/", {{"Host", "a"}}), &out));
  test::run_until(io_, [&] { return naming_->calls.size() == 1; });

  naming_->answer = BoundTree::failed("resolved to a failure");
  naming_->generation++;
  test::run_until(io_, [&] { return out.has_value(); });

  ASSERT_TRUE(out && *out);
  EXPECT_EQ((*out)->status, 502);
  EXPECT_EQ(test::body_of(io_, **out), "resolved to a failure");
  EXPECT_EQ(naming_->calls.size(), 2u);
}

TEST_F(RouterWorkerTest, UnionPicksABranchByWeight) {
  struct Case {
    std::string name;
    Tree tree;
    std::string body;
  };
  const std::vector<Case> cases = {
      {"all weight on the first", weighted_union(1.0, 0.0), "picked a"},
      {"all weight on the second", weighted_union(0.0, 1.0), "picked b"},
      {"single member", Tree::union_({{1.0, failed_leaf("/#/a", "picked a")}}), "picked a"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    naming_->answer = BoundTree::ok(c.tree);
    build();
    for (int i = 0; i < 20; ++i) {
      auto rsp = call(request("GET", "/", {{"Host", "hello"}}));

      EXPECT_EQ(test::body_of(io_, rsp), c.body);
    }
  }
}

TEST_F(RouterWorkerTest, UnionSpreadsRequestsInProportionToWeights) {
  naming_->answer = BoundTree::ok(weighted_union(3.0, 1.0));
  build();

  int a = picks_of_a(400);

  // Expected 300 of 400; the bound is over 9 standard deviations (sd ≈ 8.7), so this never flakes.
  EXPECT_GT(a, 220);
  EXPECT_LT(a, 380);
}

TEST_F(RouterWorkerTest, UnionWithZeroWeightsPicksUniformly) {
  naming_->answer = BoundTree::ok(weighted_union(0.0, 0.0));
  build();

  int a = picks_of_a(400);

  EXPECT_GT(a, 100);
  EXPECT_LT(a, 300);
}

TEST_F(RouterWorkerTest, ServiceStatsAreScopedByTheLogicalNameWithoutItsSlash) {
  options_.identifiers =
      make_identifiers(test::router_config("  identifier: {kind: io.l5d.path, segments: 2}\n"));
  build();

  call(request("GET", "/users/v1/x", {}));
  call(request("GET", "/users/v1/y", {}));

  EXPECT_EQ(counter({"service", "svc/users/v1", "requests"}), 2u);
  EXPECT_EQ(counter({"service", "svc/users/v1", "failures"}), 2u);
}

TEST_F(RouterWorkerTest, BindingCacheHoldsAtMostPathsEntries) {
  options_.cache.paths = 2;
  build();

  for (const char* host : {"a", "b", "c", "b", "a"}) {
    call(request("GET", "/", {{"Host", host}}));
  }

  // a was the least recently used when c arrived: bound again; b stayed cached.
  EXPECT_EQ(naming_->calls.size(), 4u);
  EXPECT_EQ(worker_->cache_sizes().bindings, 2u);
  EXPECT_EQ(worker_->cache_sizes().services, 2u);
}

TEST_F(RouterWorkerTest, IdleEntriesExpireOnTickAndTheirMetricsArePruned) {
  options_.cache.idle_ttl = std::chrono::seconds(600);
  // A client exists only after a leaf is bound: point it at a port nothing listens on.
  asio::ip::tcp::acceptor closed(io_, {asio::ip::make_address("127.0.0.1"), 0});
  auto port = closed.local_endpoint().port();
  closed.close();
  naming_->answer = BoundTree::ok(test::inet_leaf(port));
  build();
  auto start = std::chrono::steady_clock::now();
  call(request("GET", "/", {{"Host", "a"}}));
  const std::string client = "$/inet/127.0.0.1/" + std::to_string(port);
  // Five tries (requeues) until failure accrual marked the closed endpoint dead.
  ASSERT_EQ(counter({"client", client, "requests"}), 5u);
  ASSERT_EQ(worker_->cache_sizes().clients, 1u);

  worker_->tick(start + std::chrono::seconds(300));  // not idle long enough
  EXPECT_EQ(worker_->cache_sizes().clients, 1u);
  worker_->tick(start + std::chrono::seconds(700));

  EXPECT_EQ(worker_->cache_sizes().bindings, 0u);
  EXPECT_EQ(worker_->cache_sizes().services, 0u);
  EXPECT_EQ(worker_->cache_sizes().clients, 0u);
  // Pruned: removing the scopes again finds nothing.
  EXPECT_FALSE(registry_.remove({"rt", "r", "client", client}));
  EXPECT_FALSE(registry_.remove({"rt", "r", "service", "svc/a"}));
  // The name works again afterwards, with fresh stats (and fresh accrual state).
  call(request("GET", "/", {{"Host", "a"}}));
  EXPECT_EQ(counter({"client", client, "requests"}), 5u);
}

TEST(SharedStatsCacheTest, MetricsStayWhileAnyWorkerHoldsTheEntry) {
  telemetry::Registry registry;
  SharedStatsCache cache(registry.scope({"rt", "r", "client"}));
  auto a = cache.acquire("/#/io.l5d.fs/a");
  auto b = cache.acquire("/#/io.l5d.fs/a");
  ASSERT_EQ(a, b);
  a->stats.requests->incr();
  a->set_addr(std::make_shared<const dtab::Addr>(dtab::Addr::bound({{"10.0.0.1", 80, {}, 1}})));

  a.reset();
  ASSERT_EQ(cache.live().size(), 1u);
  EXPECT_EQ(cache.live()[0]->addr()->addresses[0].host, "10.0.0.1");
  EXPECT_EQ(registry.counter({"rt", "r", "client", "#/io.l5d.fs/a", "requests"})->value(), 1u);
  b.reset();

  EXPECT_TRUE(cache.live().empty());
  EXPECT_FALSE(registry.remove({"rt", "r", "client", "#/io.l5d.fs/a"}));
}

}  // namespace
}  // namespace meshd::router
