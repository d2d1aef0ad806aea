#include "meshd/http1/client.h"

#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "unit/http1/test_support.h"

namespace meshd::http1 {
namespace {

using test::dump;

// ---- A scripted raw server on the test's io_context --------------------------------------------

struct Step {
  std::string reply;               ///< sent once the request is in
  std::string until = "\r\n\r\n";  ///< the request is in once this arrives ("" reads nothing)
  bool close_after = false;        ///< close the connection after replying (next step accepts)
};

struct ScriptLog {
  int accepted = 0;
  std::vector<std::string> requests;
};

asio::awaitable<void> serve_script(asio::ip::tcp::acceptor* acceptor, std::vector<Step> steps,
                                   std::shared_ptr<ScriptLog> log) {
  std::optional<asio::ip::tcp::socket> sock;
  std::string buf;
  char tmp[4096];
  for (const Step& step : steps) {
    if (!sock) {
      auto [ec, s] = co_await acceptor->async_accept(use_nothrow);
      if (ec) {
        co_return;
      }
      sock.emplace(std::move(s));
      ++log->accepted;
      buf.clear();
    }
    while (!step.until.empty()) {
      auto pos = buf.find(step.until);
      if (pos != std::string::npos) {
        log->requests.push_back(buf.substr(0, pos + step.until.size()));
        buf.erase(0, pos + step.until.size());
        break;
      }
      auto [ec, n] = co_await sock->async_read_some(asio::buffer(tmp), use_nothrow);
      if (ec) {
        co_return;
      }
      buf.append(tmp, n);
    }
    if (!step.reply.empty()) {
      auto [ec, n] = co_await asio::async_write(*sock, asio::buffer(step.reply), use_nothrow);
      (void)n;
      if (ec) {
        co_return;
      }
    }
    if (step.close_after) {
      boost::system::error_code ignored;
      sock->shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
      sock->close(ignored);
      sock.reset();
    }
  }
  while (sock) {  // hold the last connection open until the peer closes it
    auto [ec, n] = co_await sock->async_read_some(asio::buffer(tmp), use_nothrow);
    (void)n;
    if (ec) {
      break;
    }
  }
}

// ---- The client side -------------------------------------------------------------------------

/// What one exchange produced, with the response body read to its end.
struct Got {
  boost::system::error_code error;
  ExchangeFailure failure;
  int status = 0;
  std::string headers;
  std::string body;
  boost::system::error_code body_error;
  std::string trailers;
};

asio::awaitable<Got> round_trip(ClientConnectionPtr conn, http::Request* req, Release release) {
  Got got;
  auto rsp = co_await exchange(std::move(conn), *req, std::move(release), &got.failure);
  if (!rsp) {
    got.error = rsp.error();
    co_return got;
  }
  got.status = rsp->status;
  got.headers = dump(rsp->headers);
  auto read = co_await http::read_all(*rsp->body, got.body);
  if (!read) {
    got.body_error = read.error();
  }
  got.trailers = dump(rsp->body->trailers());
  co_return got;
}

asio::awaitable<ClientConnectionPtr> connect_to(asio::ip::tcp::endpoint endpoint) {
  auto stream = co_await transport::connect(endpoint, std::chrono::seconds(2));
  if (!stream) {
    co_return nullptr;
  }
  co_return std::make_unique<ClientConnection>(std::move(*stream), Limits{});
}

/// A body of unknown length, streamed chunked, with trailers.
class StreamedBody final : public http::Body {
 public:
  asio::awaitable<Result<std::string_view>> read() override {
    co_return std::string_view(done_++ == 0 ? "abc" : "");
  }
  std::optional<std::uint64_t> length() const override { return std::nullopt; }
  const http::Headers& trailers() const override { return trailers_; }
  http::Headers trailers_;

 private:
  int done_ = 0;
};

http::Request request(std::string method, std::string target, http::BodyPtr body = nullptr) {
  http::Request req;
  req.method = std::move(method);
  req.target = std::move(target);
  req.headers.add("Host", "h");
  req.body = body ? std::move(body) : std::make_unique<http::BufferBody>("");
  return req;
}

class Exchange : public ::testing::Test {
 protected:
  void script(std::vector<Step> steps) {
    asio::co_spawn(io_, serve_script(&acceptor_, std::move(steps), log_), asio::detached);
  }
  ClientConnectionPtr connect() {
    return test::run(io_, connect_to(acceptor_.local_endpoint()));
  }
  /// One exchange on `conn` (a new connection when null); a reusable connection lands in pool_.
  Got send(http::Request req, ClientConnectionPtr conn = nullptr) {
    if (!conn) {
      conn = connect();
    }
    Release release = [this](ClientConnectionPtr c) { pool_ = std::move(c); };
    return test::run(io_, round_trip(std::move(conn), &req, std::move(release)));
  }

  std::shared_ptr<ScriptLog> log_ = std::make_shared<ScriptLog>();
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_{io_, {asio::ip::make_address("127.0.0.1"), 0}};
  ClientConnectionPtr pool_;
};

const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

TEST_F(Exchange, ReadsAContentLengthResponse) {
  script({{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello"}});

  auto got = send(request("GET", "/x"));

  ASSERT_FALSE(got.error) << got.error.message();
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.headers, "Content-Length: 5\nX-A: 1\n");
  EXPECT_EQ(got.body, "hello");
  ASSERT_EQ(log_->requests.size(), 1u);
  EXPECT_EQ(log_->requests[0], "GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
}

TEST_F(Exchange, ReusesAKeepAliveConnectionThroughRelease) {
  script({{kOk}, {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nyes"}});

  auto first = send(request("GET", "/1"));
  ASSERT_TRUE(pool_);
  EXPECT_EQ(pool_->uses(), 1u);
  auto second = send(request("GET", "/2"), std::move(pool_));

  EXPECT_EQ(first.body, "ok");
  EXPECT_EQ(second.body, "yes");
  ASSERT_TRUE(pool_);
  EXPECT_EQ(pool_->uses(), 2u);
  EXPECT_EQ(log_->accepted, 1);
  ASSERT_EQ(log_->requests.size(), 2u);
  EXPECT_EQ(log_->requests[1].rfind("GET /2 HTTP/1.1\r\n", 0), 0u);
}

TEST_F(Exchange, ReadsAChunkedResponseWithTrailers) {
  script({{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n"
           "0\r\nX-Sum: 9\r\n\r\n"}});

  auto got = send(request("GET", "/c"));

  ASSERT_FALSE(got.error);
  EXPECT_EQ(got.body, "hello world");
  EXPECT_EQ(got.trailers, "X-Sum: 9\n");
  EXPECT_TRUE(pool_);
}

TEST_F(Exchange, ReadsBodiesLargerThanTheReadBuffer) {
  const std::string big(100000, 'z');
  script({{"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + big},
          {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n186a0\r\n" + big +
           "\r\n0\r\n\r\n"}});

  auto length = send(request("GET", "/l"));
  ASSERT_TRUE(pool_);
  auto chunked = send(request("GET", "/c"), std::move(pool_));

  EXPECT_EQ(length.body, big);
  EXPECT_EQ(chunked.body, big);
  EXPECT_TRUE(pool_);
}

TEST_F(Exchange, ReadsACloseDelimitedResponseAndDoesNotReuseIt) {
  script({{"HTTP/1.1 200 OK\r\n\r\nuntil close", "\r\n\r\n", true}});

  auto got = send(request("GET", "/d"));

  ASSERT_FALSE(got.error);
  EXPECT_FALSE(got.body_error) << got.body_error.message();
  EXPECT_EQ(got.body, "until close");
  EXPECT_FALSE(pool_);
}

TEST_F(Exchange, ATruncatedBodyIsAnUpstreamReset) {
  script({{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", "\r\n\r\n", true}});

  auto got = send(request("GET", "/t"));

  ASSERT_FALSE(got.error);
  EXPECT_EQ(got.body_error, make_error_code(errc::upstream_reset));
  EXPECT_FALSE(pool_);
}

TEST_F(Exchange, AHeadResponseHasNoBodyAndTheConnectionIsReused) {
  script({{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"}, {kOk}});

  auto head = send(request("HEAD", "/h"));
  ASSERT_TRUE(pool_);
  auto next = send(request("GET", "/n"), std::move(pool_));

  ASSERT_FALSE(head.error);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(head.headers, "Content-Length: 5\n");
  EXPECT_EQ(next.body, "ok");
  EXPECT_EQ(log_->accepted, 1);
}

// Issue: llhttp read Content-Length bytes after a 304, so the exchange waited for a body.
TEST_F(Exchange, Issue_NotModifiedWithLengthHasNoBody) {
  script({{"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n"}, {kOk}});

  auto cached = send(request("GET", "/cached"));
  ASSERT_TRUE(pool_);
  auto next = send(request("GET", "/next"), std::move(pool_));

  EXPECT_EQ(cached.status, 304);
  EXPECT_EQ(cached.body, "");
  EXPECT_EQ(next.body, "ok");
}

TEST_F(Exchange, SkipsInterimResponses) {
  script({{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
           "HTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx"}});

  auto got = send(request("GET", "/i"));

  ASSERT_FALSE(got.error);
  EXPECT_EQ(got.status, 201);
  EXPECT_EQ(got.headers, "Content-Length: 1\n");
  EXPECT_EQ(got.body, "x");
}

TEST_F(Exchange, AServerThatClosesBeforeRespondingIsAnUpstreamReset) {
  script({{"", "\r\n\r\n", true}});

  auto got = send(request("GET", "/gone"));

  EXPECT_EQ(got.error, make_error_code(errc::upstream_reset));
  EXPECT_FALSE(got.failure.replayable);  // a fresh connection: the endpoint may have seen it
  EXPECT_FALSE(got.failure.detail.empty());
}

TEST_F(Exchange, AStalePooledConnectionIsReplayable) {
  script({{kOk}, {"", "", true}});
  send(request("GET", "/1"));
  ASSERT_TRUE(pool_);

  auto got = send(request("GET", "/2"), std::move(pool_));

  EXPECT_EQ(got.error, make_error_code(errc::upstream_reset));
  EXPECT_TRUE(got.failure.replayable);
}

TEST_F(Exchange, SendsAKnownLengthBodyWithContentLength) {
  script({{kOk, "abc"}});

  auto got = send(request("POST", "/p", std::make_unique<http::BufferBody>("abc")));

  ASSERT_FALSE(got.error);
  ASSERT_EQ(log_->requests.size(), 1u);
  EXPECT_EQ(log_->requests[0], "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc");
}

TEST_F(Exchange, SendsAStreamedBodyChunkedWithTrailers) {
  auto body = std::make_unique<StreamedBody>();
  body->trailers_.add("X-T", "1");
  script({{kOk, "X-T: 1\r\n\r\n"}});

  auto got = send(request("PUT", "/s", std::move(body)));

  ASSERT_FALSE(got.error);
  ASSERT_EQ(log_->requests.size(), 1u);
  EXPECT_EQ(log_->requests[0],
            "PUT /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            "3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n");
}

TEST_F(Exchange, DoesNotReuseAConnectionWithUnexpectedBytes) {
  script({{"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\n"}});

  auto got = send(request("GET", "/junk"));

  EXPECT_EQ(got.status, 204);
  EXPECT_FALSE(pool_);
}

struct MalformedCase {
  const char* name;
  std::string reply;
};

void PrintTo(const MalformedCase& c, std::ostream* os) { *os << c.name; }

class ExchangeMalformed : public Exchange, public ::testing::WithParamInterface<MalformedCase> {};

TEST_P(ExchangeMalformed, IsAProtocolErrorWithDetail) {
  script({{GetParam().reply}});

  auto got = send(request("GET", "/m"));

  EXPECT_EQ(got.error, make_error_code(errc::protocol_error)) << got.error.message();
  EXPECT_NE(got.failure.detail.find("invalid response"), std::string::npos)
      << got.failure.detail;
  EXPECT_FALSE(got.failure.replayable);
  EXPECT_FALSE(pool_);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ExchangeMalformed,
    ::testing::Values(
        MalformedCase{"NotHttp", "SSH-2.0-OpenSSH\r\n\r\n"},
        MalformedCase{"BadStatus", "HTTP/1.1 2x0 OK\r\n\r\n"},
        MalformedCase{"TwoContentLengths",
                      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"},
        MalformedCase{"LengthAndChunked",
                      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"},
        MalformedCase{"ObsFold", "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 0\r\n\r\n"},
        MalformedCase{"SpaceBeforeColon", "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n"}),
    [](const auto& info) { return std::string(info.param.name); });

// ---- Release ----------------------------------------------------------------------------------

/// A pool stand-in that keeps what comes back.
class KeepingHome final : public ConnectionHome {
 public:
  void release(ClientConnectionPtr conn) noexcept override {
    ++calls;
    kept = std::move(conn);
  }
  int calls = 0;
  ClientConnectionPtr kept;
};

TEST_F(Exchange, ReleaseHandsConnectionsToItsHomeWhileItLives) {
  script({{kOk}, {kOk}});
  auto home = std::make_shared<KeepingHome>();
  Release release{std::weak_ptr<ConnectionHome>(home)};
  ASSERT_TRUE(release);

  auto req = request("GET", "/1");
  auto got = test::run(io_, round_trip(connect(), &req, release));

  EXPECT_EQ(got.body, "ok");
  EXPECT_EQ(home->calls, 1);
  ASSERT_TRUE(home->kept);
  EXPECT_EQ(home->kept->uses(), 1u);

  // Once the home is gone the connection just closes: nobody is called.
  ClientConnectionPtr reusable = std::move(home->kept);
  home.reset();
  EXPECT_FALSE(release);
  auto second = request("GET", "/2");
  auto again = test::run(io_, round_trip(std::move(reusable), &second, release));
  EXPECT_EQ(again.body, "ok");
}

TEST(Release, AnEmptyOneJustCloses) {
  Release release;

  EXPECT_FALSE(release);
  release(nullptr);  // nothing to call: must not crash
}

}  // namespace
}  // namespace meshd::http1
