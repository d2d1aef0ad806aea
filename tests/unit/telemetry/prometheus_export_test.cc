#include "meshd/telemetry/prometheus_export.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <limits>
#include <vector>

namespace meshd::telemetry {
namespace {

using Metric = decltype(MetricsNode::metric);

MetricsNode& at(MetricsNode& root, const Name& name) {
  MetricsNode* node = &root;
  for (const auto& e : name) {
    node = &node->children[e];
  }
  return *node;
}

HistogramSummary summary(std::uint64_t count, std::uint64_t sum, std::uint64_t min,
                         std::uint64_t p50, std::uint64_t high, double avg) {
  HistogramSummary s;
  s.count = count;
  s.sum = sum;
  s.min = min;
  s.p50 = p50;
  s.p90 = s.p95 = s.p99 = s.p9990 = s.p9999 = s.max = high;
  s.avg = avg;
  return s;
}

struct Case {
  std::string name;
  std::vector<std::pair<Name, Metric>> metrics;
  std::string prefix;
  std::string want;
};

// Cases from Linkerd 1.7.5's PrometheusTelemeterTest, in meshd's child order (byte order; the
// Scala tree iterates a hash map), plus the corners of its label extraction.
std::vector<Case> cases() {
  return {
      {"counter",
       {{{"foo", "bar", "bas"}, CounterSample{1}}},
       "linkerd_",
       "linkerd_foo:bar:bas 1\n"},
      {"gauge", {{{"foo", "bar", "bas"}, GaugeSample{1}}}, "linkerd_", "linkerd_foo:bar:bas 1.0\n"},
      {"stat",
       {{{"foo", "bar", "bas"}, summary(2, 3, 1, 1, 2, 1.5)}},
       "linkerd_",
       "linkerd_foo:bar:bas_count 2\n"
       "linkerd_foo:bar:bas_sum 3\n"
       "linkerd_foo:bar:bas_avg 1.5\n"
       "linkerd_foo:bar:bas{quantile=\"0\"} 1\n"
       "linkerd_foo:bar:bas{quantile=\"0.5\"} 1\n"
       "linkerd_foo:bar:bas{quantile=\"0.9\"} 2\n"
       "linkerd_foo:bar:bas{quantile=\"0.95\"} 2\n"
       "linkerd_foo:bar:bas{quantile=\"0.99\"} 2\n"
       "linkerd_foo:bar:bas{quantile=\"0.999\"} 2\n"
       "linkerd_foo:bar:bas{quantile=\"0.9999\"} 2\n"
       "linkerd_foo:bar:bas{quantile=\"1\"} 2\n"},
      {"empty and unsnapshotted stats are omitted",
       {{{"foo", "empty"}, HistogramSummary{}}, {{"foo", "pending"}, std::monostate{}}},
       "",
       ""},
      {"labelled stat",
       {{{"rt", "out", "client", "#/io.l5d.fs/a", "request_latency_ms"},
         summary(1, 7, 7, 7, 7, 7)}},
       "",
       "rt:client:request_latency_ms_count{rt=\"out\", client=\"#/io.l5d.fs/a\"} 1\n"
       "rt:client:request_latency_ms_sum{rt=\"out\", client=\"#/io.l5d.fs/a\"} 7\n"
       "rt:client:request_latency_ms_avg{rt=\"out\", client=\"#/io.l5d.fs/a\"} 7.0\n"
       "rt:client:request_latency_ms{rt=\"out\", client=\"#/io.l5d.fs/a\", quantile=\"0\"} 7\n"
       "rt:client:request_latency_ms{rt=\"out\", client=\"#/io.l5d.fs/a\", quantile=\"0.5\"} 7\n"
       "rt:client:request_latency_ms{rt=\"out\", client=\"#/io.l5d.fs/a\", quantile=\"0.9\"} 7\n"
       "rt:client:request_latency_ms{rt=\"out\", client=\"#/io.l5d.fs/a\", quantile=\"0.95\"} 7\n"
       "rt:client:request_latency_ms{rt=\"out\", client=\"#/io.l5d.fs/a\", quantile=\"0.99\"} 7\n"
       "rt:client:request_latency_ms{rt=\"out\", client=\"#/io.l5d.fs/a\", quantile=\"0.999\"} 7\n"
       "rt:client:request_latency_ms{rt=\"out\", client=\"#/io.l5d.fs/a\", quantile=\"0.9999\"} "
       "7\n"
       "rt:client:request_latency_ms{rt=\"out\", client=\"#/io.l5d.fs/a\", quantile=\"1\"} 7\n"},
      {"path stats are labelled",
       {{{"rt", "incoming", "service", "/svc/foo", "requests"}, CounterSample{1}}},
       "linkerd_",
       "linkerd_rt:service:requests{rt=\"incoming\", service=\"/svc/foo\"} 1\n"},
      {"bound stats are labelled",
       {{{"rt", "incoming", "client", "/#/bar", "requests"}, CounterSample{1}}},
       "linkerd_",
       "linkerd_rt:client:requests{rt=\"incoming\", client=\"/#/bar\"} 1\n"},
      {"bound stats with path scope are labelled",
       {{{"rt", "incoming", "client", "/#/bar", "service", "/svc/foo", "requests"},
         CounterSample{1}}},
       "linkerd_",
       "linkerd_rt:client:service:requests{rt=\"incoming\", client=\"/#/bar\", "
       "service=\"/svc/foo\"} 1\n"},
      {"server stats are labelled",
       {{{"rt", "incoming", "server", "127.0.0.1/4141", "requests"}, CounterSample{1}}},
       "linkerd_",
       "linkerd_rt:server:requests{rt=\"incoming\", server=\"127.0.0.1/4141\"} 1\n"},
      {"a router's own metric has only the rt label",
       {{{"rt", "incoming"}, GaugeSample{1}},
        {{"rt", "incoming", "bindcache", "path", "misses"}, CounterSample{4}}},
       "",
       "rt{rt=\"incoming\"} 1.0\n"
       "rt:bindcache:path:misses{rt=\"incoming\"} 4\n"},
      {"exception stats are labelled for service",
       {{{"rt", "incoming", "service", "/#/foo", "failures", "bar"}, CounterSample{2}},
        {{"rt", "incoming", "service", "/#/foo", "failures", "bar:baz"}, CounterSample{1}},
        {{"rt", "incoming", "service", "/#/foo", "failures", "bar", "qux"}, CounterSample{1}},
        {{"rt", "incoming", "service", "/#/foo", "exn", "thud"}, CounterSample{1}}},
       "linkerd_",
       "linkerd_rt:service:exceptions{rt=\"incoming\", service=\"/#/foo\", exception=\"thud\"} 1\n"
       "linkerd_rt:service:failures{rt=\"incoming\", service=\"/#/foo\", exception=\"bar\"} 2\n"
       "linkerd_rt:service:failures{rt=\"incoming\", service=\"/#/foo\", exception=\"bar:qux\"} "
       "1\n"
       "linkerd_rt:service:failures{rt=\"incoming\", service=\"/#/foo\", exception=\"bar:baz\"} "
       "1\n"},
      {"exception stats are labelled for client and server",
       {{{"rt", "in", "client", "/#/foo", "failures", "bar"}, CounterSample{2}},
        {{"rt", "in", "server", "127.0.0.1/4141", "failures"}, CounterSample{3}},
        {{"rt", "in", "server", "127.0.0.1/4141", "exn", "qux"}, CounterSample{1}}},
       "",
       "rt:client:failures{rt=\"in\", client=\"/#/foo\", exception=\"bar\"} 2\n"
       "rt:server:exceptions{rt=\"in\", server=\"127.0.0.1/4141\", exception=\"qux\"} 1\n"
       "rt:server:failures{rt=\"in\", server=\"127.0.0.1/4141\"} 3\n"},
      {"nested exn elements stay in the name, as in Linkerd",
       {{{"rt", "r", "server", "s", "exn", "Outer", "Inner"}, CounterSample{1}}},
       "",
       "rt:server:exceptions:Inner{rt=\"r\", server=\"s\", exception=\"Outer\"} 1\n"},
      {"failures below a client's service scope stay in the name",
       {{{"rt", "o", "client", "c", "service", "svc/a", "failures", "Timeout"}, CounterSample{1}}},
       "",
       "rt:client:service:failures:Timeout{rt=\"o\", client=\"c\", service=\"svc/a\"} 1\n"},
      {"exception stats do not match for all stack values",
       {{{"rt", "foo", "non_stack_match", "bar", "additional_path", "qux"}, CounterSample{1}},
        {{"rt", "foo", "non_stack_match", "bar", "exception", "quux"}, CounterSample{1}},
        {{"rt", "foo", "bindcache", "failures", "x"}, CounterSample{1}}},
       "",
       "rt:bindcache:failures:x{rt=\"foo\"} 1\n"
       "rt:non_stack_match:bar:additional_path:qux{rt=\"foo\"} 1\n"
       "rt:non_stack_match:bar:exception:quux{rt=\"foo\"} 1\n"},
      {"labels and renames do not leak into siblings",
       {{{"a"}, CounterSample{1}},
        {{"rt", "r1", "server", "s", "exn", "A"}, CounterSample{2}},
        {{"rt", "r1", "server", "s", "exn", "B"}, CounterSample{3}},
        {{"rt", "r1", "server", "s", "failures", "F", "G"}, CounterSample{4}},
        {{"rt", "r1", "server", "s", "failures", "H"}, CounterSample{5}},
        {{"rt", "r1", "server", "s", "requests"}, CounterSample{6}},
        {{"rt", "r2", "client", "c", "requests"}, CounterSample{7}},
        {{"z"}, CounterSample{8}}},
       "",
       "a 1\n"
       "rt:server:exceptions{rt=\"r1\", server=\"s\", exception=\"A\"} 2\n"
       "rt:server:exceptions{rt=\"r1\", server=\"s\", exception=\"B\"} 3\n"
       "rt:server:failures{rt=\"r1\", server=\"s\", exception=\"F:G\"} 4\n"
       "rt:server:failures{rt=\"r1\", server=\"s\", exception=\"H\"} 5\n"
       "rt:server:requests{rt=\"r1\", server=\"s\"} 6\n"
       "rt:client:requests{rt=\"r2\", client=\"c\"} 7\n"
       "z 8\n"},
      {"a node's metric comes before its children, children in byte order",
       {{{"rt", "r", "server", "s", "status", "2XX"}, CounterSample{1}},
        {{"rt", "r", "server", "s", "status", "200"}, CounterSample{1}},
        {{"rt", "r", "server", "s", "requests"}, CounterSample{2}},
        {{"rt", "r", "server", "s"}, GaugeSample{0.5}}},
       "",
       "rt:server{rt=\"r\", server=\"s\"} 0.5\n"
       "rt:server:requests{rt=\"r\", server=\"s\"} 2\n"
       "rt:server:status:200{rt=\"r\", server=\"s\"} 1\n"
       "rt:server:status:2XX{rt=\"r\", server=\"s\"} 1\n"},
      {"names are sanitized, the prefix too",
       {{{"namer", "#/io.l5d.k8s", "client", "requests"}, CounterSample{1}},
        {{"jvm", "mem.current-used"}, GaugeSample{12.5}}},
       "l5d-",
       "l5d_jvm:mem_current_used 12.5\n"
       "l5d_namer:__io_l5d_k8s:client:requests 1\n"},
      // Linkerd's escaping replaces `"` and newline by `\\`, losing them; meshd escapes them as
      // the exposition format says.
      {"label values are escaped",
       {{{"rt", "a\"b\\c\nd", "service", "\\x5bun\"esc", "requests"}, CounterSample{1}}},
       "linkerd_",
       "linkerd_rt:service:requests{rt=\"a\\\"b\\\\c\\nd\", service=\"\\\\x5bun\\\"esc\"} 1\n"},
  };
}

TEST(PrometheusExport, RendersAsLinkerd) {
  for (const auto& c : cases()) {
    MetricsNode root;
    for (const auto& [name, metric] : c.metrics) {
      at(root, name).metric = metric;
    }

    EXPECT_EQ(to_prometheus(root, c.prefix), c.want) << c.name;
  }
}

TEST(PrometheusExport, GaugesPrintAsJavaPrintsADouble) {
  const std::vector<std::pair<double, std::string>> cases = {
      {0.0, "0.0"},
      {-0.0, "-0.0"},
      {1.0, "1.0"},
      {-3.0, "-3.0"},
      {100.0, "100.0"},
      {0.1, "0.1"},
      {2.5, "2.5"},
      {0.001, "0.001"},
      {0.0001, "1.0E-4"},
      {0.00012345, "1.2345E-4"},
      {1234567.5, "1234567.5"},
      {9999999.0, "9999999.0"},
      {1e7, "1.0E7"},
      {12345678.0, "1.2345678E7"},
      {1e21, "1.0E21"},
      {1.0 / 3, "0.3333333333333333"},
      {std::numeric_limits<double>::quiet_NaN(), "NaN"},
      {std::numeric_limits<double>::infinity(), "+Inf"},
      {-std::numeric_limits<double>::infinity(), "-Inf"},
  };
  for (const auto& [value, want] : cases) {
    MetricsNode root;
    at(root, {"g"}).metric = GaugeSample{value};

    EXPECT_EQ(to_prometheus(root), "g " + want + "\n") << value;
  }
}

TEST(PrometheusExport, AppendsToTheCallersBuffer) {
  MetricsNode root;
  at(root, {"c"}).metric = CounterSample{1};
  std::string out = "# before\n";

  append_prometheus(out, root);

  EXPECT_EQ(out, "# before\nc 1\n");
}

// 10 000 metrics as a busy router has them: 100 clients with 100 metrics each, one in ten a
// histogram (11 lines) and one in ten a gauge. Prints the render time (no timed assertion).
TEST(PrometheusExport, RendersALargeRegistryInOnePass) {
  MetricsNode root;
  for (int c = 0; c < 100; ++c) {
    MetricsNode& client =
        at(root, {"rt", "outgoing", "client", "#/io.l5d.fs/svc" + std::to_string(c)});
    for (int m = 0; m < 100; ++m) {
      MetricsNode& node = client.children["metric_" + std::to_string(m)];
      if (m % 10 == 0) {
        node.metric = summary(10, 55, 1, 5, 10, 5.5);
      } else if (m % 10 == 1) {
        node.metric = GaugeSample{m * 0.5};
      } else {
        node.metric = CounterSample{static_cast<std::uint64_t>(m)};
      }
    }
  }

  std::vector<double> ms;
  std::string text;
  for (int run = 0; run < 5; ++run) {
    const auto start = std::chrono::steady_clock::now();
    text = to_prometheus(root);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }

  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 100 * (10 * 11 + 90));
  std::sort(ms.begin(), ms.end());
  std::cout << "[ measure  ] to_prometheus, 10000 metrics (20000 lines, " << text.size() / 1024
            << " KiB): min " << ms.front() << " ms, median " << ms[2] << " ms\n";
  ::testing::Test::RecordProperty("render_ms_median", std::to_string(ms[2]));
}

}  // namespace
}  // namespace meshd::telemetry
