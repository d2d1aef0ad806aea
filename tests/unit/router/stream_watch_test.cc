// StreamWatch (include/meshd/router/stream_watch.h): Linkerd's stream stats of one scope for
// an exchange: a request without a body counted at once, one with a body at its end, and the
// exchange when both streams ended.

#include "meshd/router/stream_watch.h"

#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>

#include <memory>
#include <string>

#include "meshd/core/asio.h"
#include "meshd/telemetry/registry.h"

namespace meshd::router {
namespace {

class StreamWatchTest : public ::testing::Test {
 protected:
  telemetry::Registry registry_;
  std::shared_ptr<H2StreamStats> stats_ =
      std::make_shared<H2StreamStats>(telemetry::Scope(registry_, {"rt", "r", "server"}));

  static http::Request request(std::string body) {
    http::Request req;
    req.method = "POST";
    req.target = "/";
    req.body = std::make_unique<http::BufferBody>(std::move(body));
    return req;
  }
  static http::Response response(std::string body) {
    http::Response rsp;
    rsp.body = std::make_unique<http::BufferBody>(std::move(body));
    return rsp;
  }
  /// Reads `body` to its end on a fresh io_context.
  static std::string drain(http::Body& body) {
    asio::io_context io;
    std::string out;
    asio::co_spawn(io, http::read_all(body, out, 1 << 20), asio::detached);
    io.run();
    return out;
  }
};

TEST_F(StreamWatchTest, ARequestWithoutABodyIsCountedAtOnceAndNotWrapped) {
  auto req = request("");
  auto start = StreamWatch::Clock::now();

  auto watch = StreamWatch::start(stats_, req, start);

  EXPECT_TRUE(watch);
  EXPECT_EQ(req.body->as_observed(), nullptr) << "no body wrapped to report an end that came";
  EXPECT_EQ(stats_->request.success->value(), 1u);
  EXPECT_EQ(stats_->request.data_bytes->live().count, 1u);
  EXPECT_EQ(stats_->total.success->value(), 0u) << "the response stream is still to come";

  auto rsp = response("hello");
  watch.response(rsp, StreamWatch::Clock::now());
  EXPECT_EQ(drain(*rsp.body), "hello");
  rsp.body.reset();

  EXPECT_EQ(stats_->response.success->value(), 1u);
  EXPECT_EQ(stats_->total.success->value(), 1u);
  EXPECT_EQ(stats_->total.failures->value(), 0u);
  EXPECT_EQ(stats_->request.success->value(), 1u) << "counted once";
}

TEST_F(StreamWatchTest, TheResponseStreamIsTimedFromTheHeadTimeTheCallerGives) {
  auto req = request("");
  auto start = StreamWatch::Clock::now() - std::chrono::seconds(5);
  auto watch = StreamWatch::start(stats_, req, start);

  auto rsp = response("hello");
  watch.response(rsp, start + std::chrono::seconds(2));  // the head came 3 s ago
  EXPECT_EQ(drain(*rsp.body), "hello");
  rsp.body.reset();

  auto took = stats_->response.duration->live();
  ASSERT_EQ(took.count, 1u);
  EXPECT_GE(took.min, 3000u) << "from the head time given, not from a clock read of its own";
  EXPECT_LT(took.min, 60000u);
  EXPECT_GE(stats_->total.duration->live().min, 5000u) << "the exchange from its start";
}

TEST_F(StreamWatchTest, ARequestWithABodyIsCountedWhenItsBodyEnds) {
  auto req = request("payload");

  auto watch = StreamWatch::start(stats_, req, StreamWatch::Clock::now());

  ASSERT_NE(req.body->as_observed(), nullptr);
  EXPECT_EQ(stats_->request.success->value(), 0u);
  EXPECT_EQ(drain(*req.body), "payload");
  EXPECT_EQ(stats_->request.success->value(), 1u);
  EXPECT_EQ(stats_->request.data_bytes->live().sum, 7u);

  watch.no_response();
  EXPECT_EQ(stats_->total.failures->value(), 1u) << "an exchange without a response failed";
}

TEST_F(StreamWatchTest, EachScopeOfABodilessRequestCountsItOnce) {
  auto req = request("");
  auto other = std::make_shared<H2StreamStats>(telemetry::Scope(registry_, {"rt", "r", "svc"}));

  auto server = StreamWatch::start(stats_, req, StreamWatch::Clock::now());
  auto service = StreamWatch::start(other, req, StreamWatch::Clock::now());
  server.no_response();
  service.no_response();

  EXPECT_EQ(stats_->request.success->value(), 1u);
  EXPECT_EQ(other->request.success->value(), 1u);
  EXPECT_EQ(stats_->total.failures->value(), 1u);
  EXPECT_EQ(other->total.failures->value(), 1u);
  EXPECT_EQ(drain(*req.body), "") << "the request still reads as empty";
}

}  // namespace
}  // namespace meshd::router
