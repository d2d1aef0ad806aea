#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>

#include <thread>
#include <vector>

#include "fake_zipkin_process.h"
#include "meshd/telemetry/registry.h"
#include "meshd/trace/trace.h"
#include "testing/run.h"
#include "trace/batching_sink_internal.h"
#include "trace/format_internal.h"

// The Zipkin sinks against the fake collector (tests/trace/fake_zipkin.py), which decodes and
// validates everything it receives.

namespace meshd::trace {
namespace {

using boost::asio::ip::make_address;
using boost::asio::ip::tcp;
using std::chrono::milliseconds;

telemetry::Registry::Options registry_options() {
  telemetry::Registry::Options o;
  o.workers = 1;
  return o;
}

/// Short times, so that a test waits milliseconds, not seconds; generous request timeouts, so
/// that a slow Python start-up on a loaded machine is not a failure.
detail::SenderOptions fast_options() {
  detail::SenderOptions o;
  o.flush_interval = milliseconds(20);
  o.request_timeout = milliseconds(3000);
  o.backoff =
      BackoffOptions{BackoffOptions::Kind::EqualJittered, milliseconds(5), milliseconds(20)};
  return o;
}

Span make_span(Span::Kind kind, int status = 200) {
  HttpExchange ex;
  ex.router = "outgoing";
  ex.server = "0.0.0.0/4140";
  ex.local = tcp::endpoint(make_address("127.0.0.1"), kind == Span::Kind::server ? 4140 : 40000);
  ex.remote = tcp::endpoint(make_address("10.0.0.7"), 8080);
  ex.method = "GET";
  ex.uri = "/hello?x=1";
  ex.host = "hello";
  ex.request_version = "HTTP/1.1";
  ex.status = status;
  ex.response_version = "HTTP/1.1";
  ex.response_content_length = 12;
  ex.service = "/svc/hello";
  ex.client = "/#/io.l5d.fs/hello";
  ex.success = 1.0;
  ex.start = std::chrono::system_clock::now();
  ex.end = ex.start + std::chrono::microseconds(1234);
  TraceId id = new_root();
  id.sampled = true;
  TraceId client_id = child_of(id);
  return kind == Span::Kind::server ? server_span(id, ex) : client_span(client_id, ex);
}

class ZipkinSinkTest : public ::testing::Test {
 protected:
  std::uint64_t metric(std::string_view scope, std::string_view name) {
    return registry_.counter({"telemetry", std::string(scope), std::string(name)})->value();
  }

  /// Runs the io_context until the sink's `spans_sent` (or another counter) reaches `n`.
  bool run_until_count(std::string_view scope, std::string_view name, std::uint64_t n,
                       milliseconds limit = milliseconds(8000)) {
    meshd::testing::run_until(
        io_, [&] { return metric(scope, name) >= n; }, limit);
    return metric(scope, name) >= n;
  }

  /// Stops `sink` and runs until its sender has finished (it then holds no reference).
  void shut_down(std::shared_ptr<Sink>& sink) {
    sink->stop();
    meshd::testing::run_until(io_, [&] { return sink.use_count() == 1; });
    EXPECT_EQ(sink.use_count(), 1);
  }

  asio::io_context io_;
  telemetry::Registry registry_{registry_options()};
};

TEST_F(ZipkinSinkTest, ScribeSpansDecodeAtTheCollector) {
  testing::FakeZipkin fake;
  auto sink =
      detail::make_scribe_sink("127.0.0.1", fake.scribe_port(), 1.0, &registry_, fast_options());
  ASSERT_NE(sink, nullptr);
  sink->start(io_.get_executor());
  Span server = make_span(Span::Kind::server);
  Span client = make_span(Span::Kind::client);

  sink->record(server);
  sink->record(client);

  ASSERT_TRUE(run_until_count("zipkin", "spans_sent", 2));
  auto spans = fake.wait_for_spans(2);
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_TRUE(fake.errors().empty()) << fake.errors();
  const auto& s = spans[0].as_object();
  EXPECT_EQ(s.at("transport"), "scribe");
  EXPECT_EQ(s.at("category"), "zipkin");
  EXPECT_EQ(s.at("traceId").as_string(), request_id(server.id));
  EXPECT_EQ(s.at("parentId"), nullptr);
  EXPECT_EQ(s.at("kind"), "SERVER");
  EXPECT_EQ(s.at("name"), "outgoing /svc/hello");
  EXPECT_EQ(s.at("timestamp"), server.timestamp_us);
  EXPECT_EQ(s.at("duration"), 1234);
  EXPECT_EQ(s.at("localEndpoint"),
            boost::json::parse(R"({"serviceName":"0.0.0.0/4140","ipv4":"127.0.0.1","port":4140})"));
  EXPECT_EQ(s.at("remoteEndpoint"),
            boost::json::parse(R"({"serviceName":"","ipv4":"10.0.0.7","port":8080})"));
  EXPECT_EQ(s.at("tags").at("http.rsp.status"), "200");
  EXPECT_EQ(s.at("tagTypes").at("http.rsp.status"), "I64");
  EXPECT_EQ(s.at("tags").at("l5d.success"), "1.0");
  EXPECT_EQ(s.at("tagTypes").at("l5d.success"), "DOUBLE");
  EXPECT_EQ(s.at("tags").at("router.label"), "outgoing");
  EXPECT_EQ(s.at("annotations").as_array().front().at("value"), "sr");
  const auto& c = spans[1].as_object();
  EXPECT_EQ(c.at("kind"), "CLIENT");
  EXPECT_EQ(c.at("parentId").as_string(), detail::hex16(*client.id.parent_id));
  EXPECT_EQ(c.at("name"), "GET /hello");
  EXPECT_EQ(c.at("localEndpoint").at("serviceName"), "#/io.l5d.fs/hello");
  shut_down(sink);
}

TEST_F(ZipkinSinkTest, ScribeRetriesTryLater) {
  testing::FakeZipkin fake;
  fake.fault("try_later=2");
  auto sink =
      detail::make_scribe_sink("127.0.0.1", fake.scribe_port(), 1.0, &registry_, fast_options());
  sink->start(io_.get_executor());

  sink->record(make_span(Span::Kind::server));

  ASSERT_TRUE(run_until_count("zipkin", "spans_sent", 1));
  EXPECT_EQ(metric("zipkin", "send_failures"), 2u);
  EXPECT_EQ(metric("zipkin", "spans_dropped"), 0u);
  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].at("result"), "TRY_LATER");
  EXPECT_EQ(requests[1].at("result"), "TRY_LATER");
  EXPECT_EQ(requests[2].at("result"), "OK");
  // One connection, so every call has the next seqid.
  EXPECT_EQ(requests[1].at("seqid").as_int64(), requests[0].at("seqid").as_int64() + 1);
  EXPECT_EQ(fake.wait_for_spans(1).size(), 1u);
  shut_down(sink);
}

TEST_F(ZipkinSinkTest, BatchesUpToAHundredSpansAndFlushesTheRestOnStop) {
  testing::FakeZipkin fake;
  auto options = fast_options();
  options.flush_interval = std::chrono::minutes(1);  // only full batches and stop() send
  auto sink = detail::make_scribe_sink("127.0.0.1", fake.scribe_port(), 1.0, &registry_, options);
  sink->start(io_.get_executor());

  for (int i = 0; i < 250; ++i) {
    sink->record(make_span(Span::Kind::client));
  }

  ASSERT_TRUE(run_until_count("zipkin", "spans_sent", 200));
  EXPECT_EQ(metric("zipkin", "spans_sent"), 200u);
  shut_down(sink);
  EXPECT_EQ(metric("zipkin", "spans_sent"), 250u);
  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].at("entries"), 100);
  EXPECT_EQ(requests[1].at("entries"), 100);
  EXPECT_EQ(requests[2].at("entries"), 50);
  EXPECT_EQ(fake.wait_for_spans(250).size(), 250u);
}

TEST_F(ZipkinSinkTest, TakesSpansFromManyThreadsWhileSending) {
  testing::FakeZipkin fake;
  auto sink =
      detail::make_scribe_sink("127.0.0.1", fake.scribe_port(), 1.0, &registry_, fast_options());
  sink->start(io_.get_executor());
  constexpr int kThreads = 4;
  constexpr int kSpansEach = 150;
  const Span span = make_span(Span::Kind::client);

  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < kSpansEach; ++i) {
        sink->record(span);
      }
    });
  }
  bool all_sent = run_until_count("zipkin", "spans_sent", kThreads * kSpansEach);
  for (auto& w : workers) {
    w.join();
  }

  ASSERT_TRUE(all_sent);
  EXPECT_EQ(metric("zipkin", "spans_sent"), std::uint64_t{kThreads * kSpansEach});
  EXPECT_EQ(metric("zipkin", "spans_dropped"), 0u);
  EXPECT_EQ(fake.wait_for_spans(kThreads * kSpansEach).size(), std::size_t{kThreads * kSpansEach});
  shut_down(sink);
}

TEST_F(ZipkinSinkTest, DropsAndCountsBeyondTheQueueBoundAndAfterStop) {
  auto options = fast_options();
  options.max_queued = 10;
  auto sink = detail::make_scribe_sink("127.0.0.1", 9, 1.0, &registry_, options);

  for (int i = 0; i < 15; ++i) {
    sink->record(make_span(Span::Kind::client));
  }
  sink->stop();
  sink->record(make_span(Span::Kind::client));

  EXPECT_EQ(metric("zipkin", "spans_dropped"), 6u);
  EXPECT_EQ(registry_.gauge({"telemetry", "zipkin", "queued"})->value(), 10.0);
}

TEST_F(ZipkinSinkTest, GivesUpOnABatchAfterItsAttemptsWhenTheCollectorIsDown) {
  // A port nobody listens on: bound, then closed.
  std::uint16_t port = 0;
  {
    tcp::acceptor acceptor(io_, tcp::endpoint(make_address("127.0.0.1"), 0));
    port = acceptor.local_endpoint().port();
  }
  auto options = fast_options();
  options.max_attempts = 3;
  auto sink = detail::make_scribe_sink("127.0.0.1", port, 1.0, &registry_, options);
  sink->start(io_.get_executor());

  sink->record(make_span(Span::Kind::server));
  sink->record(make_span(Span::Kind::server));

  ASSERT_TRUE(run_until_count("zipkin", "spans_dropped", 2));
  EXPECT_EQ(metric("zipkin", "send_failures"), 3u);
  EXPECT_EQ(metric("zipkin", "spans_sent"), 0u);
  shut_down(sink);
}

TEST_F(ZipkinSinkTest, HttpPostsGzippedJsonV2) {
  testing::FakeZipkin fake;
  auto sink = detail::make_http_sink("127.0.0.1:" + std::to_string(fake.http_port()),
                                     "zipkin-collector", true, 1.0, &registry_, fast_options());
  ASSERT_NE(sink, nullptr);
  sink->start(io_.get_executor());
  Span server = make_span(Span::Kind::server);
  server.id.trace_id_high = 0xabc;

  sink->record(server);
  sink->record(make_span(Span::Kind::client));

  ASSERT_TRUE(run_until_count("zipkin.http", "spans_sent", 2));
  auto spans = fake.wait_for_spans(2);
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_TRUE(fake.errors().empty()) << fake.errors();
  const auto& s = spans[0].as_object();
  EXPECT_EQ(s.at("transport"), "http");
  EXPECT_EQ(s.at("traceId").as_string(), "0000000000000abc" + request_id(server.id));
  EXPECT_EQ(s.at("kind"), "SERVER");
  EXPECT_EQ(s.at("name"), "outgoing /svc/hello");
  EXPECT_EQ(s.at("duration"), 1234);
  EXPECT_EQ(s.at("localEndpoint"),
            boost::json::parse(R"({"serviceName":"0.0.0.0/4140","ipv4":"127.0.0.1","port":4140})"));
  EXPECT_EQ(s.at("remoteEndpoint"), boost::json::parse(R"({"ipv4":"10.0.0.7","port":8080})"));
  EXPECT_EQ(s.at("tags").at("http.uri"), "/hello?x=1");
  EXPECT_EQ(s.at("tags").at("l5d.success"), "1.0");
  EXPECT_EQ(s.at("annotations").as_array().size(), 1u);  // namer.success; sr/ss are the kind
  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].at("host"), "zipkin-collector");
  EXPECT_EQ(requests[0].at("contentType"), "application/json");
  EXPECT_EQ(requests[0].at("contentEncoding"), "gzip");
  EXPECT_EQ(requests[0].at("status"), 202);
  shut_down(sink);
}

TEST_F(ZipkinSinkTest, HttpSendsPlainJsonOnAKeptAliveConnectionAndRetries5xx) {
  testing::FakeZipkin fake;
  fake.fault("http_status=503&http_count=1");
  auto sink = detail::make_http_sink("127.0.0.1:" + std::to_string(fake.http_port()), "zipkin",
                                     false, 1.0, &registry_, fast_options());
  sink->start(io_.get_executor());

  sink->record(make_span(Span::Kind::client));
  ASSERT_TRUE(run_until_count("zipkin.http", "spans_sent", 1));
  sink->record(make_span(Span::Kind::client));
  ASSERT_TRUE(run_until_count("zipkin.http", "spans_sent", 2));

  EXPECT_EQ(metric("zipkin.http", "send_failures"), 1u);
  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].at("status"), 503);
  EXPECT_EQ(requests[1].at("status"), 202);
  EXPECT_EQ(requests[2].at("status"), 202);
  EXPECT_EQ(requests[2].at("contentEncoding"), nullptr);
  EXPECT_EQ(requests[0].at("connection"), requests[2].at("connection"));
  EXPECT_EQ(fake.wait_for_spans(2).size(), 2u);
  shut_down(sink);
}

TEST_F(ZipkinSinkTest, ReconnectsWithoutAFailureWhenTheCollectorClosedTheConnection) {
  testing::FakeZipkin fake;
  fake.fault("close_after=2");
  auto scribe =
      detail::make_scribe_sink("127.0.0.1", fake.scribe_port(), 1.0, &registry_, fast_options());
  auto http = detail::make_http_sink("127.0.0.1:" + std::to_string(fake.http_port()), "zipkin",
                                     true, 1.0, &registry_, fast_options());
  scribe->start(io_.get_executor());
  http->start(io_.get_executor());

  for (int i = 1; i <= 2; ++i) {
    scribe->record(make_span(Span::Kind::client));
    ASSERT_TRUE(run_until_count("zipkin", "spans_sent", i));
    http->record(make_span(Span::Kind::client));
    ASSERT_TRUE(run_until_count("zipkin.http", "spans_sent", i));
  }

  EXPECT_EQ(metric("zipkin", "send_failures"), 0u);
  EXPECT_EQ(metric("zipkin.http", "send_failures"), 0u);
  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_NE(requests[0].at("connection"), requests[2].at("connection"));  // scribe
  EXPECT_NE(requests[1].at("connection"), requests[3].at("connection"));  // http
  shut_down(scribe);
  shut_down(http);
}

TEST_F(ZipkinSinkTest, HttpDropsABatchTheCollectorRejects) {
  testing::FakeZipkin fake;
  fake.fault("http_status=400&http_count=1");
  auto sink = detail::make_http_sink("127.0.0.1:" + std::to_string(fake.http_port()), "zipkin",
                                     true, 1.0, &registry_, fast_options());
  sink->start(io_.get_executor());

  sink->record(make_span(Span::Kind::client));

  ASSERT_TRUE(run_until_count("zipkin.http", "spans_dropped", 1));
  EXPECT_EQ(metric("zipkin.http", "send_failures"), 1u);
  EXPECT_EQ(fake.requests().size(), 1u);
  shut_down(sink);
}

}  // namespace
}  // namespace meshd::trace
