#include "meshd/telemetry/prometheus_export.h"

#include <gtest/gtest.h>

namespace meshd::telemetry {
namespace {

MetricsNode& at(MetricsNode& root, const Name& name) {
  MetricsNode* node = &root;
  for (const auto& e : name) {
    node = &node->children[e];
  }
  return *node;
}

TEST(PrometheusExport, CounterIsAnInteger) {
  MetricsNode root;
  at(root, {"foo", "bar", "bas"}).metric = CounterSample{1};

  EXPECT_EQ(to_prometheus(root), "foo:bar:bas 1\n");
}

TEST(PrometheusExport, GaugeIsAFloat) {
  MetricsNode root;
  at(root, {"foo", "bar", "bas"}).metric = GaugeSample{1};

  EXPECT_EQ(to_prometheus(root), "foo:bar:bas 1.0\n");
}

TEST(PrometheusExport, StatPrintsCountSumAvgAndQuantiles) {
  MetricsNode root;
  HistogramSummary s;
  s.count = 2;
  s.sum = 3;
  s.min = 1;
  s.max = 2;
  s.p50 = 1;
  s.p90 = s.p95 = s.p99 = s.p9990 = s.p9999 = 2;
  s.avg = 1.5;
  at(root, {"foo", "bas"}).metric = s;

  EXPECT_EQ(to_prometheus(root),
            "foo:bas_count 2\n"
            "foo:bas_sum 3\n"
            "foo:bas_avg 1.5\n"
            "foo:bas{quantile=\"0\"} 1\n"
            "foo:bas{quantile=\"0.5\"} 1\n"
            "foo:bas{quantile=\"0.9\"} 2\n"
            "foo:bas{quantile=\"0.95\"} 2\n"
            "foo:bas{quantile=\"0.99\"} 2\n"
            "foo:bas{quantile=\"0.999\"} 2\n"
            "foo:bas{quantile=\"0.9999\"} 2\n"
            "foo:bas{quantile=\"1\"} 2\n");
}

TEST(PrometheusExport, EmptyStatIsOmitted) {
  MetricsNode root;
  at(root, {"s"}).metric = HistogramSummary{};

  EXPECT_EQ(to_prometheus(root), "");
}

TEST(PrometheusExport, ServerStatsAreLabelled) {
  MetricsNode root;
  at(root, {"rt", "incoming", "server", "0.0.0.0/4141", "requests"}).metric = CounterSample{42};

  EXPECT_EQ(to_prometheus(root),
            "rt:server:requests{rt=\"incoming\", server=\"0.0.0.0/4141\"} 42\n");
}

TEST(PrometheusExport, ClientAndPerServiceStatsAreLabelled) {
  MetricsNode root;
  at(root, {"rt", "outgoing", "client", "#/io.l5d.k8s/default/http/hello", "service", "/svc/hello",
            "requests"})
      .metric = CounterSample{1};
  at(root, {"rt", "outgoing", "service", "/svc/hello", "retries", "total"}).metric =
      CounterSample{2};

  EXPECT_EQ(to_prometheus(root),
            "rt:client:service:requests{rt=\"outgoing\", "
            "client=\"#/io.l5d.k8s/default/http/hello\", service=\"/svc/hello\"} 1\n"
            "rt:service:retries:total{rt=\"outgoing\", service=\"/svc/hello\"} 2\n");
}

TEST(PrometheusExport, FailuresAndExceptionsBecomeAnExceptionLabel) {
  MetricsNode root;
  at(root, {"rt", "r", "server", "s", "failures"}).metric = CounterSample{3};
  at(root, {"rt", "r", "server", "s", "failures", "ConnectionFailed"}).metric = CounterSample{2};
  at(root, {"rt", "r", "server", "s", "exn", "Outer", "Inner"}).metric = CounterSample{1};

  EXPECT_EQ(to_prometheus(root),
            "rt:server:exceptions{rt=\"r\", server=\"s\", exception=\"Outer:Inner\"} 1\n"
            "rt:server:failures{rt=\"r\", server=\"s\"} 3\n"
            "rt:server:failures{rt=\"r\", server=\"s\", exception=\"ConnectionFailed\"} 2\n");
}

TEST(PrometheusExport, NamesAndLabelValuesAreEscaped) {
  MetricsNode root;
  at(root, {"namer", "#/io.l5d.k8s", "client", "requests"}).metric = CounterSample{1};
  at(root, {"rt", "a\"b\\c\nd", "requests"}).metric = CounterSample{2};

  EXPECT_EQ(to_prometheus(root),
            "namer:__io_l5d_k8s:client:requests 1\n"
            "rt:requests{rt=\"a\\\"b\\\\c\\nd\"} 2\n");
}

TEST(PrometheusExport, PrefixIsPrepended) {
  MetricsNode root;
  at(root, {"jvm", "uptime"}).metric = GaugeSample{12.5};

  EXPECT_EQ(to_prometheus(root, "l5d_"), "l5d_jvm:uptime 12.5\n");
}

}  // namespace
}  // namespace meshd::telemetry
