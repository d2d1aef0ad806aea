#include "meshd/http1/server.h"

#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>

#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "meshd/transport/listener.h"
#include "unit/http1/test_support.h"

namespace meshd::http1 {
namespace {

using test::Flag;
using test::RawClient;

/// A body of unknown length that yields `pieces` and then `trailers`.
class PiecesBody final : public http::Body {
 public:
  PiecesBody(std::vector<std::string> pieces, http::Headers trailers)
      : pieces_(std::move(pieces)), trailers_(std::move(trailers)) {}
  asio::awaitable<Result<std::string_view>> read() override {
    if (next_ == pieces_.size()) {
      co_return std::string_view{};
    }
    co_return std::string_view(pieces_[next_++]);
  }
  std::optional<std::uint64_t> length() const override { return std::nullopt; }
  const http::Headers& trailers() const override { return trailers_; }

 private:
  std::vector<std::string> pieces_;
  std::size_t next_ = 0;
  http::Headers trailers_;
};

/// What the slow route saw; shared between the server thread and the test.
struct SlowState {
  Flag started;
  Flag ended;
  std::atomic<bool> cancelled{false};
};

/// Routes on the target:
///   /stream  a body of unknown length ("hello", " world") with trailer X-Sum: 42
///   /slow    waits 30 s on a timer, recording whether the wait was cancelled
///   other    echoes "METHOD target body" with a Content-Length
class TestService final : public HttpService {
 public:
  explicit TestService(std::shared_ptr<SlowState> slow) : slow_(std::move(slow)) {}

  asio::awaitable<Result<http::Response>> call(http::Request& req) override {
    if (req.target == "/stream") {
      http::Headers trailers;
      trailers.add("X-Sum", "42");
      http::Response rsp;
      rsp.body = std::make_unique<PiecesBody>(std::vector<std::string>{"hello", " world"},
                                              std::move(trailers));
      co_return rsp;
    }
    if (req.target == "/slow") {
      asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::seconds(30));
      slow_->started.set();
      auto [ec] = co_await timer.async_wait(use_nothrow);
      slow_->cancelled = ec == asio::error::operation_aborted;
      slow_->ended.set();
      co_return http::Response::text(200, "slow");
    }
    std::string body;
    auto r = co_await http::read_all(*req.body, body);
    if (!r) {
      co_return r.error();
    }
    co_return http::Response::text(200, req.method + " " + req.target + " " + body);
  }

 private:
  std::shared_ptr<SlowState> slow_;
};

/// Calls `drain->tick(now)` every 20 ms, as a worker does, until the io_context stops.
asio::awaitable<void> tick_forever(transport::DrainGroup* drain) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    timer.expires_after(std::chrono::milliseconds(20));
    auto [ec] = co_await timer.async_wait(use_nothrow);
    if (ec) {
      co_return;
    }
    drain->tick(std::chrono::steady_clock::now());
  }
}

/// A ServerConnection per accepted connection on a loopback port-0 listener, on its own thread,
/// with the worker's periodic tick.
class ServerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto acceptor = transport::open_acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
    ASSERT_TRUE(acceptor);
    port_ = acceptor->local_endpoint().port();
    listener_ = std::make_shared<transport::Listener>(
        std::move(*acceptor), [this](transport::StreamPtr s) {
          std::make_shared<ServerConnection>(std::move(s), service_, options_, drain_)->start();
        });
    listener_->start();
    asio::co_spawn(io_, tick_forever(&drain_), asio::detached);
    thread_ = std::thread([this] { io_.run_for(std::chrono::seconds(20)); });
  }
  void TearDown() override {
    if (!thread_.joinable()) {
      return;
    }
    asio::post(io_, [this] {
      listener_->stop();
      drain_.drain([this] { io_.stop(); });
    });
    thread_.join();
  }

  std::shared_ptr<SlowState> slow_ = std::make_shared<SlowState>();
  std::shared_ptr<HttpService> service_ = std::make_shared<TestService>(slow_);
  ServerOptions options_;
  transport::DrainGroup drain_;
  asio::io_context io_;
  std::shared_ptr<transport::Listener> listener_;
  std::thread thread_;
  std::uint16_t port_ = 0;
};

const std::string kGet = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";

TEST_F(ServerFixture, AnswersOneRequestAndClosesOnConnectionClose) {
  RawClient c(port_);

  c.send("GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");

  ASSERT_TRUE(c.read_to_close());
  EXPECT_EQ(c.received(),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n"
            "Connection: close\r\n\r\nGET /x ");
}

TEST_F(ServerFixture, KeepsTheConnectionAliveForSequentialRequests) {
  RawClient c(port_);

  c.send(kGet);
  ASSERT_TRUE(c.read_until("GET /a "));
  c.send("POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz");
  ASSERT_TRUE(c.read_until("POST /b xyz"));

  EXPECT_EQ(c.occurrences("HTTP/1.1 200 OK\r\n"), 2);
  EXPECT_EQ(c.occurrences("Connection: close"), 0);
}

TEST_F(ServerFixture, AnswersPipelinedRequestsInOrder) {
  RawClient c(port_);

  c.send("GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
         "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nb"
         "GET /3 HTTP/1.1\r\nHost: h\r\n\r\n");

  ASSERT_TRUE(c.read_until("GET /3 "));
  const auto& r = c.received();
  auto p1 = r.find("GET /1 ");
  auto p2 = r.find("POST /2 b");
  auto p3 = r.find("GET /3 ");
  ASSERT_NE(p1, std::string::npos);
  ASSERT_NE(p2, std::string::npos);
  EXPECT_LT(p1, p2);
  EXPECT_LT(p2, p3);
  EXPECT_EQ(c.occurrences("HTTP/1.1 200 OK\r\n"), 3);
}

TEST_F(ServerFixture, EchoesAChunkedRequestBody) {
  RawClient c(port_);

  c.send("POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
         "3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\nX-T: 1\r\n\r\n");

  ASSERT_TRUE(c.read_until("POST /c abcdefg"));
  EXPECT_NE(c.received().find("Content-Length: 15\r\n"), std::string::npos) << c.received();
}

TEST_F(ServerFixture, SendsContinueBeforeReadingAnExpectedBody) {
  RawClient c(port_);
  c.send("PUT /e HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");

  // The body is sent only after the interim response arrived.
  ASSERT_TRUE(c.read_until("\r\n\r\n")) << c.received();
  EXPECT_EQ(c.received(), "HTTP/1.1 100 Continue\r\n\r\n");
  c.send("data");

  ASSERT_TRUE(c.read_until("PUT /e data"));
  EXPECT_NE(c.received().find("HTTP/1.1 200 OK\r\n"), std::string::npos);
}

TEST_F(ServerFixture, IgnoresExpectContinueFromHttp10Client) {
  RawClient c(port_);

  c.send("PUT /e HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi");

  ASSERT_TRUE(c.read_to_close());
  EXPECT_EQ(c.received().rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << c.received();
  EXPECT_EQ(c.occurrences("100 Continue"), 0);
  EXPECT_NE(c.received().find("PUT /e hi"), std::string::npos);
}

TEST_F(ServerFixture, EchoesBodiesLargerThanTheReadBuffer) {
  const std::string big(100000, 'b');
  std::string chunked;
  for (int i = 0; i < 5; ++i) {
    chunked += "4e20\r\n" + std::string(20000, 'c') + "\r\n";  // 0x4e20 = 20000
  }
  RawClient c(port_);

  c.send("POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n" + big);
  ASSERT_TRUE(c.read_until(big));
  c.send("POST /chunks HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked +
         "0\r\n\r\n");
  ASSERT_TRUE(c.read_until("POST /chunks " + std::string(100000, 'c')));

  EXPECT_NE(c.received().find("Content-Length: 100010\r\n"), std::string::npos);
  EXPECT_NE(c.received().find("Content-Length: 100013\r\n"), std::string::npos);
}

TEST_F(ServerFixture, AnswersHttp10WithLengthAndCloses) {
  RawClient c(port_);

  c.send("GET /old HTTP/1.0\r\n\r\n");

  ASSERT_TRUE(c.read_to_close());
  EXPECT_EQ(c.received(),
            "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n"
            "Connection: close\r\n\r\nGET /old ");
}

TEST_F(ServerFixture, AnswersHttp10StreamCloseDelimited) {
  RawClient c(port_);

  c.send("GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");

  ASSERT_TRUE(c.read_to_close());
  EXPECT_EQ(c.received(), "HTTP/1.0 200 OK\r\nConnection: close\r\n\r\nhello world");
}

TEST_F(ServerFixture, KeepsHttp10KeepAliveConnectionOpen) {
  RawClient c(port_);

  c.send("GET /k1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_TRUE(c.read_until("GET /k1 "));
  c.send("GET /k2 HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(c.read_to_close());

  EXPECT_EQ(c.occurrences("Connection: keep-alive\r\n"), 1);
  EXPECT_NE(c.received().find("GET /k2 "), std::string::npos);
}

TEST_F(ServerFixture, AnswersHeadWithoutBody) {
  RawClient c(port_);

  c.send("HEAD /h HTTP/1.1\r\nHost: h\r\n\r\n" + kGet);

  ASSERT_TRUE(c.read_until("GET /a "));
  const auto& r = c.received();
  auto second = r.find("HTTP/1.1 200 OK", 1);
  ASSERT_NE(second, std::string::npos);
  EXPECT_EQ(r.substr(0, second).find("HEAD /h"), std::string::npos) << r;
  EXPECT_EQ(r.compare(second - 4, 4, "\r\n\r\n"), 0) << r;
}

TEST_F(ServerFixture, StreamsUnknownLengthChunkedWithTrailers) {
  RawClient c(port_);

  c.send("GET /stream HTTP/1.1\r\nHost: h\r\n\r\n");

  ASSERT_TRUE(c.read_until("\r\n0\r\nX-Sum: 42\r\n\r\n"));
  EXPECT_EQ(c.received(),
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            "5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 42\r\n\r\n");
}

struct RejectCase {
  const char* name;
  std::string request;
  std::string status_line;
};

void PrintTo(const RejectCase& c, std::ostream* os) { *os << c.name; }

class ServerRejects : public ServerFixture, public ::testing::WithParamInterface<RejectCase> {};

TEST_P(ServerRejects, AnswersWithErrorAndCloses) {
  RawClient c(port_);

  c.send(GetParam().request);

  ASSERT_TRUE(c.read_to_close()) << c.received();
  EXPECT_EQ(c.received().rfind(GetParam().status_line, 0), 0u) << c.received();
  EXPECT_NE(c.received().find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(c.occurrences("HTTP/1.1"), 1) << "a smuggled request was answered";
}

INSTANTIATE_TEST_SUITE_P(
    Table, ServerRejects,
    ::testing::Values(
        RejectCase{"MalformedRequest", "G@T / HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n"},
        RejectCase{"ContentLengthWithChunked",
                   "POST / HTTP/1.1\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n",
                   "HTTP/1.1 400 Bad Request\r\n"},
        RejectCase{"ObsFold", "GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n",
                   "HTTP/1.1 400 Bad Request\r\n"},
        RejectCase{"BadChunkSizeAfterHead",
                   "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                   "HTTP/1.1 400 Bad Request\r\n"},
        RejectCase{"LongRequestLine", "GET /" + std::string(5000, 'u') + " HTTP/1.1\r\n\r\n",
                   "HTTP/1.1 414 URI Too Long\r\n"},
        RejectCase{"LargeHeaders",
                   "GET / HTTP/1.1\r\nX-Big: " + std::string(9000, 'h') + "\r\n\r\n",
                   "HTTP/1.1 431 Request Header Fields Too Large\r\n"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(ServerFixture, CancelsTheServiceCallWhenTheClientCloses) {
  RawClient c(port_);
  c.send("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(slow_->started.wait());

  c.close();

  ASSERT_TRUE(slow_->ended.wait()) << "the service call was not cancelled";
  EXPECT_TRUE(slow_->cancelled);
}

/// Holds the server's worker (its only thread) until the returned object is destroyed, so
/// that what a client sends meanwhile is found in one readiness event.
class WorkerHold {
 public:
  explicit WorkerHold(asio::io_context& io) {
    asio::post(io, [held = held_, released = released_.get_future().share()] {
      held->set_value();
      released.wait_for(std::chrono::seconds(5));
    });
    held_->get_future().wait_for(std::chrono::seconds(5));
  }
  ~WorkerHold() { released_.set_value(); }

 private:
  std::shared_ptr<std::promise<void>> held_ = std::make_shared<std::promise<void>>();
  std::promise<void> released_;
};

TEST_F(ServerFixture, CancelsTheServiceCallWhenTheClientClosedRightAfterItsRequest) {
  // The request and the FIN arrive together (the worker is held meanwhile): one readiness
  // event, and the request's short read counts as draining the socket without seeing the FIN
  // (see DrainBuffer). The watch of the request in flight must find it.
  RawClient c(port_);
  c.send(kGet);
  ASSERT_TRUE(c.read_until("GET /a "));  // the next request's read now waits for an event
  {
    WorkerHold hold(io_);
    c.send("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n");
    c.close();
  }
  ASSERT_TRUE(slow_->started.wait());
  ASSERT_TRUE(slow_->ended.wait()) << "the service call was not cancelled";
  EXPECT_TRUE(slow_->cancelled);
}

TEST_F(ServerFixture, ClosesAKeepAliveConnectionWhoseClientSentItsFinWithTheRequest) {
  // A client that half-closes right after a keep-alive request gets its answer, and then the
  // connection is closed (within a few ticks), not kept waiting for a request that cannot come.
  RawClient c(port_);
  c.send(kGet);
  ASSERT_TRUE(c.read_until("GET /a "));
  {
    WorkerHold hold(io_);
    c.send("GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
    c.shutdown_write();
  }
  ASSERT_TRUE(c.read_to_close()) << "the connection stayed open: " << c.received();
  EXPECT_EQ(c.occurrences("GET /b "), 1) << c.received();
}

TEST_F(ServerFixture, ClosesAnIdleConnectionWhenDraining) {
  RawClient c(port_);
  c.send(kGet);
  ASSERT_TRUE(c.read_until("GET /a "));

  asio::post(io_, [this] { drain_.drain([] {}); });

  EXPECT_TRUE(c.wait_closed());
}

}  // namespace
}  // namespace meshd::http1
