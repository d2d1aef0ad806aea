#include "meshd/telemetry/json_export.h"

#include <gtest/gtest.h>

#include <limits>

namespace meshd::telemetry {
namespace {

// Builds a node by hand: the exporters only see MetricsNode trees.
MetricsNode& at(MetricsNode& root, const Name& name) {
  MetricsNode* node = &root;
  for (const auto& e : name) {
    node = &node->children[e];
  }
  return *node;
}

HistogramSummary summary_of_1_and_3() {
  HistogramSummary s;
  s.count = 2;
  s.sum = 4;
  s.min = 1;
  s.max = 3;
  s.p50 = 1;
  s.p90 = s.p95 = s.p99 = s.p9990 = s.p9999 = 3;
  s.avg = 2.0;
  return s;
}

MetricsNode sample_tree() {
  MetricsNode root;
  at(root, {"rt", "out", "server", "127.0.0.1/4140", "requests"}).metric = CounterSample{3};
  at(root, {"rt", "out", "server", "127.0.0.1/4140", "connections"}).metric = GaugeSample{1};
  at(root, {"rt", "out", "server", "127.0.0.1/4140", "request_latency_ms"}).metric =
      summary_of_1_and_3();
  return root;
}

TEST(JsonExport, FlatJoinsElementsWithSlash) {
  auto json = to_json_flat(sample_tree());

  EXPECT_EQ(json, R"({"rt/out/server/127.0.0.1/4140/connections":1.0,)"
                  R"("rt/out/server/127.0.0.1/4140/request_latency_ms.count":2,)"
                  R"("rt/out/server/127.0.0.1/4140/request_latency_ms.max":3,)"
                  R"("rt/out/server/127.0.0.1/4140/request_latency_ms.min":1,)"
                  R"("rt/out/server/127.0.0.1/4140/request_latency_ms.p50":1,)"
                  R"("rt/out/server/127.0.0.1/4140/request_latency_ms.p90":3,)"
                  R"("rt/out/server/127.0.0.1/4140/request_latency_ms.p95":3,)"
                  R"("rt/out/server/127.0.0.1/4140/request_latency_ms.p99":3,)"
                  R"("rt/out/server/127.0.0.1/4140/request_latency_ms.p9990":3,)"
                  R"("rt/out/server/127.0.0.1/4140/request_latency_ms.p9999":3,)"
                  R"("rt/out/server/127.0.0.1/4140/request_latency_ms.sum":4,)"
                  R"("rt/out/server/127.0.0.1/4140/request_latency_ms.avg":2.0,)"
                  R"("rt/out/server/127.0.0.1/4140/requests":3})");
}

TEST(JsonExport, FlatEmptyStatHasOnlyItsCount) {
  MetricsNode root;
  at(root, {"s"}).metric = HistogramSummary{};

  EXPECT_EQ(to_json_flat(root), R"({"s.count":0})");
}

TEST(JsonExport, FlatEmptyRegistryIsAnEmptyObject) {
  EXPECT_EQ(to_json_flat(MetricsNode{}), "{}");
  EXPECT_EQ(to_json_flat(MetricsNode{}, true), "{ }");
}

TEST(JsonExport, FlatPrettyIsIndentedAndSortedByName) {
  MetricsNode root;
  at(root, {"b"}).metric = CounterSample{1};
  at(root, {"a-b"}).metric = GaugeSample{0.5};
  at(root, {"a", "x"}).metric = CounterSample{2};

  EXPECT_EQ(to_json_flat(root, true),
            "{\n"
            "  \"a-b\" : 0.5,\n"
            "  \"a/x\" : 2,\n"
            "  \"b\" : 1\n"
            "}");
}

TEST(JsonExport, GaugesAreFloatsAndNonFiniteIsNull) {
  MetricsNode root;
  at(root, {"big"}).metric = GaugeSample{1e20};
  at(root, {"nan"}).metric = GaugeSample{std::numeric_limits<double>::quiet_NaN()};
  at(root, {"neg"}).metric = GaugeSample{-3};

  EXPECT_EQ(to_json_flat(root), R"({"big":1e+20,"nan":null,"neg":-3.0})");
}

TEST(JsonExport, KeysAreEscaped) {
  MetricsNode root;
  at(root, {"a\"b\\c\n"}).metric = CounterSample{1};

  EXPECT_EQ(to_json_flat(root), R"({"a\"b\\c\n":1})");
}

TEST(JsonExport, TreeNestsElementsAndNamesOwnMetrics) {
  MetricsNode root;
  at(root, {"rt", "failures"}).metric = CounterSample{2};
  at(root, {"rt", "failures", "Timeout"}).metric = CounterSample{1};
  at(root, {"rt", "load"}).metric = GaugeSample{1.5};
  HistogramSummary one;
  one.count = 1;
  one.sum = one.min = one.max = one.p50 = one.p90 = one.p95 = one.p99 = one.p9990 = one.p9999 = 5;
  one.avg = 5;
  at(root, {"rt", "latency"}).metric = one;

  EXPECT_EQ(to_json_tree(root),
            R"({"rt":{"failures":{"counter":2,"Timeout":{"counter":1}},)"
            R"("latency":{"stat.count":1,"stat.max":5,"stat.min":5,"stat.p50":5,"stat.p90":5,)"
            R"("stat.p95":5,"stat.p99":5,"stat.p9990":5,"stat.p9999":5,"stat.sum":5,)"
            R"("stat.avg":5.0},"load":{"gauge":1.5}}})");
}

TEST(JsonExport, TreePrettyIsIndented) {
  MetricsNode root;
  at(root, {"a", "b"}).metric = CounterSample{1};

  EXPECT_EQ(to_json_tree(root, true),
            "{\n"
            "  \"a\" : {\n"
            "    \"b\" : {\n"
            "      \"counter\" : 1\n"
            "    }\n"
            "  }\n"
            "}");
}

TEST(JsonExport, FindSubtreeMatchesElementsContainingSlash) {
  auto root = sample_tree();

  const auto* server = find_subtree(root, "rt/out/server/127.0.0.1/4140");
  const auto* leaf = find_subtree(root, "/rt/out/server/127.0.0.1/4140/requests");
  const auto* missing = find_subtree(root, "rt/out/server/127.0.0.1");
  const auto* whole = find_subtree(root, "");

  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->children.size(), 3u);
  ASSERT_NE(leaf, nullptr);
  EXPECT_EQ(to_json_flat(*leaf), R"({"":3})");
  EXPECT_EQ(missing, nullptr);
  EXPECT_EQ(whole, &root);
}

TEST(JsonExport, FindSubtreeBacktracksOverAmbiguousSplits) {
  MetricsNode root;
  at(root, {"a/b", "x"}).metric = CounterSample{1};
  at(root, {"a", "b", "y"}).metric = CounterSample{2};

  const auto* y = find_subtree(root, "a/b/y");
  const auto* x = find_subtree(root, "a/b/x");

  ASSERT_NE(y, nullptr);
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(std::get<CounterSample>(y->metric).value, 2u);
  EXPECT_EQ(std::get<CounterSample>(x->metric).value, 1u);
}

TEST(JsonExport, FlatOfASubtreeIsRelativeToIt) {
  auto root = sample_tree();

  const auto* server = find_subtree(root, "rt/out/server");

  ASSERT_NE(server, nullptr);
  EXPECT_TRUE(to_json_flat(*server).starts_with(R"({"127.0.0.1/4140/connections":1.0,)"));
}

}  // namespace
}  // namespace meshd::telemetry
