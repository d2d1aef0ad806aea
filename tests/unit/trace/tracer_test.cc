#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <sstream>

#include "meshd/core/log.h"
#include "meshd/trace/trace.h"

namespace meshd::trace {
namespace {

using boost::asio::ip::make_address;
using boost::asio::ip::tcp;

/// A sink with a fixed sampling decision and keep policy that remembers what it got.
class FakeSink final : public Sink {
 public:
  FakeSink(std::optional<bool> decision, bool keeps) : decision_(decision), keeps_(keeps) {}

  std::optional<bool> sample(const TraceId&) const override { return decision_; }
  bool keeps(const TraceId&) const override { return keeps_; }
  void record(Span span) override { spans.push_back(std::move(span)); }
  void start(asio::any_io_executor) override { ++starts; }
  void stop() override { ++stops; }

  std::vector<Span> spans;
  int starts = 0;
  int stops = 0;

 private:
  std::optional<bool> decision_;
  bool keeps_;
};

Span span_with(std::optional<bool> sampled, bool debug = false) {
  Span span;
  span.id.trace_id = 5;
  span.id.span_id = 6;
  span.id.sampled = sampled;
  span.id.debug = debug;
  return span;
}

TEST(Tracer, WithoutSinksIsDisabledAndUndecided) {
  Tracer none;
  Tracer nulls({nullptr});

  EXPECT_FALSE(none.enabled());
  EXPECT_FALSE(nulls.enabled());
  EXPECT_EQ(none.sample(TraceId{}), std::nullopt);
}

TEST(Tracer, SamplesLikeFinaglesBroadcastTracer) {
  auto yes = std::make_shared<FakeSink>(true, true);
  auto no = std::make_shared<FakeSink>(false, true);
  auto abstain = std::make_shared<FakeSink>(std::nullopt, true);

  EXPECT_EQ(Tracer({no, yes}).sample(TraceId{}), true);
  EXPECT_EQ(Tracer({abstain, yes}).sample(TraceId{}), true);
  EXPECT_EQ(Tracer({no, no}).sample(TraceId{}), false);
  EXPECT_EQ(Tracer({no, abstain}).sample(TraceId{}), std::nullopt);
  EXPECT_EQ(Tracer({abstain}).sample(TraceId{}), std::nullopt);
}

TEST(Tracer, RoutesSpansByDecisionAndEachSinksChoice) {
  auto keeper = std::make_shared<FakeSink>(std::nullopt, true);
  auto refuser = std::make_shared<FakeSink>(std::nullopt, false);
  Tracer tracer({keeper, nullptr, refuser});

  tracer.record(span_with(true));
  tracer.record(span_with(std::nullopt));
  tracer.record(span_with(false));
  tracer.record(span_with(false, true));  // debug overrides a no

  EXPECT_TRUE(tracer.enabled());
  EXPECT_EQ(keeper->spans.size(), 3u);
  EXPECT_TRUE(refuser->spans.empty());
}

TEST(Tracer, StartsAndStopsEverySink) {
  auto a = std::make_shared<FakeSink>(true, true);
  auto b = std::make_shared<FakeSink>(true, true);
  Tracer tracer({a, b});
  asio::io_context io;

  tracer.start(io.get_executor());
  tracer.stop();

  EXPECT_EQ(a->starts + b->starts, 2);
  EXPECT_EQ(a->stops + b->stops, 2);
}

TEST(Sinks, ZipkinSinksDecideAndKeepByTheirRate) {
  auto never = make_zipkin_scribe_sink("127.0.0.1", 9410, 0.0);
  auto always = make_zipkin_http_sink("127.0.0.1:9411", "zipkin", true, 1.0);
  ASSERT_TRUE(never && always);
  TraceId undecided = new_root();
  TraceId sampled = undecided;
  sampled.sampled = true;
  TraceId debug = undecided;
  debug.debug = true;

  EXPECT_EQ(never->sample(undecided), false);
  EXPECT_EQ(always->sample(undecided), true);
  EXPECT_FALSE(never->keeps(undecided));
  EXPECT_TRUE(never->keeps(sampled));
  EXPECT_TRUE(never->keeps(debug));
  EXPECT_TRUE(always->keeps(undecided));
}

TEST(Sinks, FactoriesRejectBadAddresses) {
  EXPECT_EQ(make_zipkin_scribe_sink("localhost", 0, 1.0), nullptr);
  EXPECT_EQ(make_zipkin_scribe_sink("localhost", 70000, 1.0), nullptr);
  for (const char* bad :
       {"", ":9411", "host:", "host:x", "host:0", "host:65536", "[::1", "[::1]x", "[]:9411"}) {
    EXPECT_EQ(make_zipkin_http_sink(bad, "zipkin", false, 1.0), nullptr) << bad;
  }
  for (const char* good : {"zipkin", "zipkin:9411", "127.0.0.1:1", "[::1]:9411", "[::1]", "::1"}) {
    EXPECT_NE(make_zipkin_http_sink(good, "zipkin", false, 1.0), nullptr) << good;
  }
}

Span server_span_at(std::int64_t timestamp_us, int status) {
  HttpExchange ex;
  ex.router = "outgoing";
  ex.local = tcp::endpoint(make_address("127.0.0.1"), 4140);
  ex.remote = tcp::endpoint(make_address("10.0.0.7"), 5000);
  ex.method = "GET";
  ex.uri = "/hello";
  ex.host = "hello";
  ex.status = status;
  ex.service = "/svc/hello";
  ex.client = "/#/io.l5d.fs/hello";
  ex.success = status < 500 ? 1.0 : 0.0;
  ex.start = std::chrono::system_clock::time_point(std::chrono::microseconds(timestamp_us));
  ex.end = ex.start + std::chrono::microseconds(2500);
  TraceId id = new_root();
  return server_span(id, ex);
}

TEST(RecentRequests, KeepsTheNewestServerSpansUpToItsCapacity) {
  RecentRequests recent(1.0, 3);
  for (int i = 1; i <= 5; ++i) {
    recent.record(server_span_at(i * 1000, 200 + i));
  }
  Span client = server_span_at(9000, 200);
  client.kind = Span::Kind::client;
  recent.record(client);

  auto json = boost::json::parse(recent.to_json());

  ASSERT_EQ(json.as_array().size(), 3u);
  EXPECT_EQ(json.as_array()[0].at("status"), 205);
  EXPECT_EQ(json.as_array()[1].at("status"), 204);
  EXPECT_EQ(json.as_array()[2].at("status"), 203);
}

TEST(RecentRequests, DescribesEachRequest) {
  RecentRequests recent(1.0, 10);
  Span span = server_span_at(1'700'000'000'123'000, 503);
  recent.record(span);

  auto json = boost::json::parse(recent.to_json());

  const auto& entry = json.as_array().at(0).as_object();
  EXPECT_EQ(entry.at("timestamp"), 1'700'000'000'123);
  EXPECT_EQ(entry.at("traceId").as_string(), request_id(span.id));
  EXPECT_EQ(entry.at("spanId").as_string().size(), 16u);
  EXPECT_EQ(entry.at("router"), "outgoing");
  EXPECT_EQ(entry.at("method"), "GET");
  EXPECT_EQ(entry.at("uri"), "/hello");
  EXPECT_EQ(entry.at("host"), "hello");
  EXPECT_EQ(entry.at("service"), "/svc/hello");
  EXPECT_EQ(entry.at("client"), "/#/io.l5d.fs/hello");
  EXPECT_EQ(entry.at("status"), 503);
  EXPECT_EQ(entry.at("durationMs"), 2.5);
  EXPECT_EQ(entry.at("success"), false);
  EXPECT_EQ(entry.at("remote"), "10.0.0.7:5000");
  bool saw_router = false;
  for (const auto& a : entry.at("annotations").as_array()) {
    saw_router = saw_router || (a.at("key") == "router.label" && a.at("value") == "outgoing");
  }
  EXPECT_TRUE(saw_router);
}

TEST(RecentRequests, SamplesByItsOwnRateOnly) {
  RecentRequests never(0.0, 10);
  RecentRequests always(1.0, 10);
  TraceId sampled = new_root();
  sampled.sampled = true;

  EXPECT_EQ(always.sample(sampled), std::nullopt);
  EXPECT_FALSE(never.keeps(sampled));
  EXPECT_TRUE(always.keeps(new_root()));
  EXPECT_EQ(RecentRequests(1.0, 0).to_json(), "[]");
}

/// Captures the `trace` logger's output for one test, at the most verbose level.
class TraceLogCapture {
 public:
  TraceLogCapture() : logger_(log::get("trace")), level_(logger_->level()) {
    sink_ = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    sink_->set_pattern("%l %v");
    logger_->sinks().push_back(sink_);
    logger_->set_level(spdlog::level::trace);
  }
  ~TraceLogCapture() {
    auto& sinks = logger_->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
    logger_->set_level(level_);
  }
  std::string text() {
    logger_->flush();
    return out_.str();
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> logger_;
  spdlog::level::level_enum level_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

TEST(TraceLogSink, LogsOneLinePerSpanAtTheConfiguredLevel) {
  TraceLogCapture capture;
  auto sink = make_trace_log_sink(1.0, "WARNING");
  ASSERT_NE(sink, nullptr);
  Span span = server_span_at(1000, 200);

  sink->record(span);

  std::string text = capture.text();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  EXPECT_EQ(text.rfind("warning span trace_id=" + request_id(span.id), 0), 0u) << text;
  for (const char* part : {" kind=server", " name=\"outgoing /svc/hello\"",
                           " service=\"127.0.0.1/4140\"", " remote=10.0.0.7:5000",
                           " duration_us=2500", "sr@0", "ss@2500", "router.label=\"outgoing\""}) {
    EXPECT_NE(text.find(part), std::string::npos) << part << " in " << text;
  }
}

TEST(TraceLogSink, MapsLinkerdLevelsAndRejectsOthers) {
  TraceLogCapture capture;
  for (const char* level : {"ALL", "trace", "Debug", "INFO", "ERROR", "CRITICAL", "FATAL"}) {
    auto sink = make_trace_log_sink(1.0, level);
    ASSERT_NE(sink, nullptr) << level;
    sink->record(server_span_at(1000, 200));
  }
  make_trace_log_sink(1.0, "OFF")->record(server_span_at(1000, 200));

  std::string text = capture.text();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 7) << text;
  for (const char* prefix :
       {"trace span", "debug span", "info span", "error span", "critical span"}) {
    EXPECT_NE(text.find(prefix), std::string::npos) << prefix;
  }
  EXPECT_EQ(make_trace_log_sink(1.0, "VERBOSE"), nullptr);
  EXPECT_EQ(make_trace_log_sink(1.0, "WARN"), nullptr);
}

TEST(TraceLogSink, KeepsDecidedTracesAndSamplesTheRest) {
  auto never = make_trace_log_sink(0.0, "INFO");
  TraceId id = new_root();

  EXPECT_EQ(never->sample(id), std::nullopt);
  EXPECT_FALSE(never->keeps(id));
  id.sampled = true;
  EXPECT_TRUE(never->keeps(id));
}

}  // namespace
}  // namespace meshd::trace
