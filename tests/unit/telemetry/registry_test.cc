#include "meshd/telemetry/registry.h"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <exception>

#include "meshd/telemetry/json_export.h"

namespace meshd::telemetry {
namespace {

Registry::Options options(bool live = false) {
  Registry::Options o;
  o.workers = 2;
  o.live_histograms = live;
  return o;
}

TEST(Registry, ReturnsTheSameMetricForTheSameName) {
  Registry registry(options());

  auto a = registry.counter({"rt", "outgoing", "requests"});
  auto b = registry.counter({"rt", "outgoing", "requests"});

  EXPECT_EQ(a, b);
  EXPECT_EQ(registry.slots(), 3u);
}

TEST(Registry, ElementsContainingSlashAreDistinctFromSplitElements) {
  Registry registry(options());

  auto whole = registry.counter({"server", "127.0.0.1/4140", "requests"});
  auto split = registry.counter({"server", "127.0.0.1", "4140", "requests"});

  EXPECT_NE(whole, split);
}

TEST(Registry, KindConflictReturnsADetachedMetric) {
  Registry registry(options());
  registry.counter({"a"})->incr(3);

  auto stray = registry.histogram({"a"});
  stray->record(7);

  EXPECT_NE(stray, nullptr);
  EXPECT_EQ(to_json_flat(registry.sample()), R"({"a":3})");
}

TEST(Registry, CountersAndGaugesAreServedLive) {
  Registry registry(options());
  auto counter = registry.counter({"foo", "bar", "bas"});

  counter->incr();
  auto first = to_json_flat(registry.sample());
  counter->incr();

  EXPECT_EQ(first, R"({"foo/bar/bas":1})");
  EXPECT_EQ(to_json_flat(registry.sample()), R"({"foo/bar/bas":2})");
}

TEST(Registry, CallbackGaugeIsExportedWhileItsHandleLives) {
  Registry registry(options());
  double v = 1.0;
  auto gauge = registry.gauge({"foo", "bar", "bas"}, [&] { return v; });

  auto first = to_json_flat(registry.sample());
  v = 2.0;
  auto second = to_json_flat(registry.sample());
  gauge.reset();
  auto after_release = registry.sample();

  EXPECT_EQ(first, R"({"foo/bar/bas":1.0})");
  EXPECT_EQ(second, R"({"foo/bar/bas":2.0})");
  EXPECT_EQ(to_json_flat(after_release), "{}");
  EXPECT_TRUE(after_release.children.at("foo").children.at("bar").children.empty());
}

TEST(Registry, ReRegisteringACallbackGaugeReplacesIt) {
  Registry registry(options());

  auto old_gauge = registry.gauge({"g"}, [] { return 1.0; });
  auto new_gauge = registry.gauge({"g"}, [] { return 2.0; });

  EXPECT_EQ(to_json_flat(registry.sample()), R"({"g":2.0})");
}

TEST(Registry, HistogramsServeTheLastSnapshot) {
  Registry registry(options());
  auto stat = registry.histogram({"foo", "bar", "bas"});

  stat->record(1);
  auto before_snapshot = to_json_flat(registry.sample());
  registry.snapshot_histograms();
  stat->record(2);
  auto after_snapshot = to_json_flat(registry.sample());

  EXPECT_EQ(before_snapshot, "{}");
  EXPECT_EQ(after_snapshot, R"({"foo/bar/bas.count":1,"foo/bar/bas.max":1,"foo/bar/bas.min":1,)"
                            R"("foo/bar/bas.p50":1,"foo/bar/bas.p90":1,"foo/bar/bas.p95":1,)"
                            R"("foo/bar/bas.p99":1,"foo/bar/bas.p9990":1,"foo/bar/bas.p9999":1,)"
                            R"("foo/bar/bas.sum":1,"foo/bar/bas.avg":1.0})");
}

TEST(Registry, LiveHistogramsOptionServesCurrentValues) {
  Registry registry(options(true));
  auto stat = registry.histogram({"s"});

  stat->record(4);

  EXPECT_EQ(to_json_flat(registry.sample()),
            R"({"s.count":1,"s.max":4,"s.min":4,"s.p50":4,"s.p90":4,"s.p95":4,"s.p99":4,)"
            R"("s.p9990":4,"s.p9999":4,"s.sum":4,"s.avg":4.0})");
}

TEST(Registry, RemoveDropsTheSubtreeButKeepsHandlesUsable) {
  Registry registry(options());
  auto kept = registry.counter({"rt", "r", "client", "a", "requests"});
  auto dropped = registry.counter({"rt", "r", "client", "b", "requests"});
  auto dropped_stat = registry.histogram({"rt", "r", "client", "b", "latency"});

  bool removed = registry.remove({"rt", "r", "client", "b"});
  dropped->incr();
  dropped_stat->record(1);
  registry.snapshot_histograms();
  auto recreated = registry.counter({"rt", "r", "client", "b", "requests"});

  EXPECT_TRUE(removed);
  EXPECT_FALSE(registry.remove({"rt", "r", "client", "zzz"}));
  EXPECT_NE(recreated, dropped);
  EXPECT_EQ(to_json_flat(registry.sample()),
            R"({"rt/r/client/a/requests":0,"rt/r/client/b/requests":0})");
}

TEST(Registry, ScopeCreatesMetricsUnderItsPrefix) {
  Registry registry(options());
  auto server = registry.scope({"rt", "incoming"}).scope("server").scope("0.0.0.0/4141");

  server.counter("requests")->incr(2);
  server.gauge("connections")->incr();
  server.scope("status").counter("200")->incr();

  EXPECT_EQ(to_json_flat(registry.sample()),
            R"({"rt/incoming/server/0.0.0.0/4141/connections":1.0,)"
            R"("rt/incoming/server/0.0.0.0/4141/requests":2,)"
            R"("rt/incoming/server/0.0.0.0/4141/status/200":1})");
  EXPECT_TRUE(server.remove());
  EXPECT_EQ(to_json_flat(registry.sample()), "{}");
}

TEST(Registry, SnapshotLoopSnapshotsPeriodicallyUntilCancelled) {
  Registry registry(options());
  auto stat = registry.histogram({"s"});
  stat->record(9);
  boost::asio::io_context io;
  boost::asio::cancellation_signal cancel;
  bool finished = false;
  std::exception_ptr error;

  boost::asio::co_spawn(
      io, run_histogram_snapshots(registry, std::chrono::milliseconds(1)),
      boost::asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e) {
        finished = true;
        error = e;
      }));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!stat->last_snapshot() && std::chrono::steady_clock::now() < deadline) {
    io.run_one_for(std::chrono::milliseconds(100));
  }
  cancel.emit(boost::asio::cancellation_type::terminal);
  io.run_for(std::chrono::seconds(5));

  ASSERT_TRUE(stat->last_snapshot().has_value());
  EXPECT_EQ(stat->last_snapshot()->max, 9u);
  EXPECT_TRUE(finished);
  EXPECT_EQ(error, nullptr);
}

}  // namespace
}  // namespace meshd::telemetry
