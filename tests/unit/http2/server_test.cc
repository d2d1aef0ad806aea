#include "meshd/http2/server.h"

#include <gtest/gtest.h>

#include <future>
#include <sstream>
#include <string>
#include <vector>

#include "meshd/core/errc.h"
#include "meshd/core/log.h"
#include "meshd/transport/tls.h"
#include "unit/http1/test_support.h"
#include "unit/http2/server_test_support.h"

namespace meshd::http2::server_test {
namespace {

/// A body of unknown length: `count` copies of `piece`, then `trailers`.
class RepeatBody final : public http::Body {
 public:
  RepeatBody(std::string piece, int count, http::Headers trailers = {})
      : piece_(std::move(piece)), left_(count), trailers_(std::move(trailers)) {}
  asio::awaitable<Result<std::string_view>> read() override {
    if (left_ == 0) {
      co_return std::string_view{};
    }
    --left_;
    co_return std::string_view(piece_);
  }
  std::optional<std::uint64_t> length() const override { return std::nullopt; }
  const http::Headers& trailers() const override { return trailers_; }

 private:
  std::string piece_;
  int left_;
  http::Headers trailers_;
};

/// Endless 1 KB pieces, counted.
class InfiniteBody final : public http::Body {
 public:
  explicit InfiniteBody(std::shared_ptr<ServiceState> state) : state_(std::move(state)) {}
  asio::awaitable<Result<std::string_view>> read() override {
    ++state_->infinite_pieces;
    co_return std::string_view(piece_);
  }
  std::optional<std::uint64_t> length() const override { return std::nullopt; }

 private:
  std::shared_ptr<ServiceState> state_;
  std::string piece_ = std::string(1024, 'i');
};

/// "abc", then a failure (an upstream that reset mid-body).
class BrokenBody final : public http::Body {
 public:
  asio::awaitable<Result<std::string_view>> read() override {
    if (sent_) {
      co_return make_error_code(errc::upstream_reset);
    }
    sent_ = true;
    co_return std::string_view("abc");
  }
  std::optional<std::uint64_t> length() const override { return std::nullopt; }

 private:
  bool sent_ = false;
};

/// Routes on the path:
///   /big?n=N        N pieces of 16 KB ('x'), length unknown
///   /trailers       "hello world" in two pieces, trailer x-sum: 42
///   /buffered-trailers   "hello world" from memory (whole at once), trailer x-sum: 42
///   /interim        a 103 (link: </a>) before 200 "after interim"
///   /slow           a 103, then waits 30 s; records whether the wait was cancelled
///   /hold           waits until /release (or /drain), then reads the body: 200 "held <bytes>"
///   /release        releases the held requests: 200 "<bytes the server read so far>"
///   /drain          drains the server, releases the held requests: 200 "draining"
///   /error/overloaded, /error/timeout   fail with that error
///   /broken         a body that fails after "abc"
///   /infinite       an endless body;  /count: how many of its pieces were read
///   /status/204     204 with a body that must not be sent
///   anything else   200 echoing method, target, headers, body and trailers, with a length
class TestService final : public HttpService {
 public:
  explicit TestService(std::shared_ptr<ServiceState> state) : state_(std::move(state)) {}

  asio::awaitable<Result<http::Response>> call(http::Request& req) override {
    ++state_->calls;
    std::string path = req.target.substr(0, req.target.find('?'));
    if (path == "/big") {
      int n = std::stoi(req.target.substr(req.target.find("n=") + 2));
      http::Response rsp;
      rsp.body = std::make_unique<RepeatBody>(std::string(16384, 'x'), n);
      co_return rsp;
    }
    if (path == "/trailers") {
      http::Headers trailers;
      trailers.add("X-Sum", "42");
      http::Response rsp;
      rsp.body = std::make_unique<RepeatBody>("hello world", 1, std::move(trailers));
      co_return rsp;
    }
    if (path == "/buffered-trailers") {
      http::Headers trailers;
      trailers.add("X-Sum", "42");
      http::Response rsp;
      rsp.body = std::make_unique<http::BufferBody>("hello world", std::move(trailers));
      co_return rsp;
    }
    if (path == "/interim" || path == "/slow") {
      co_return co_await interim_then(std::move(req), path == "/slow");
    }
    if (path == "/hold") {
      co_return co_await hold(std::move(req));
    }
    if (path == "/release" || path == "/drain") {
      if (path == "/drain" && state_->on_drain) {
        state_->on_drain();
      }
      for (auto& t : state_->holds) {
        t->cancel();
      }
      state_->holds.clear();
      co_return http::Response::text(
          200, path == "/drain" ? std::string("draining") : std::to_string(*state_->bytes_read));
    }
    if (path == "/error/overloaded") {
      co_return make_error_code(errc::overloaded);
    }
    if (path == "/error/timeout") {
      co_return make_error_code(errc::timeout);
    }
    if (path == "/broken" || path == "/infinite" || path == "/status/204") {
      http::Response rsp;
      if (path == "/broken") {
        rsp.body = std::make_unique<BrokenBody>();
      } else if (path == "/infinite") {
        rsp.body = std::make_unique<InfiniteBody>(state_);
      } else {
        rsp.status = 204;
        rsp.body = std::make_unique<http::BufferBody>("must not be sent");
      }
      co_return rsp;
    }
    if (path == "/count") {
      co_return http::Response::text(200, std::to_string(state_->infinite_pieces.load()));
    }
    co_return co_await echo(req);
  }

 private:
  /// Reads the request, which the server holds for the call, after waiting for its body (the
  /// sanitizer build would see it if the server let go of it too early).
  asio::awaitable<Result<http::Response>> echo(http::Request& req) {
    std::string body;
    auto r = co_await http::read_all(*req.body, body);
    if (!r) {
      co_return r.error();
    }
    std::string text = req.method + " " + req.target + " " + std::to_string(req.version.major) +
                       "." + std::to_string(req.version.minor) + "\n";
    text += http1::test::dump(req.headers);
    text += "body: " + body + "\n";
    text += "trailers: " + http1::test::dump(req.body->trailers());
    auto rsp = http::Response::text(200, std::move(text));
    rsp.headers.add("Content-Length", std::to_string(rsp.body->length().value_or(0)));
    rsp.headers.add("Connection", "keep-alive");  // connection-specific: must be dropped
    co_return rsp;
  }

  asio::awaitable<Result<http::Response>> interim_then(http::Request req, bool slow) {
    http::Response early;
    early.status = 103;
    early.headers.add("Link", "</a>; rel=preload");
    co_await req.ctx.interim(early);
    if (!slow) {
      co_return http::Response::text(200, "after interim");
    }
    ++state_->slow_started;
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::seconds(30));
    auto [ec] = co_await timer.async_wait(use_nothrow);
    state_->slow_cancelled = ec == asio::error::operation_aborted;
    state_->slow_ended.set();
    co_return http::Response::text(200, "slow");
  }

  asio::awaitable<Result<http::Response>> hold(http::Request req) {
    auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor,
                                                      std::chrono::seconds(20));
    state_->holds.push_back(timer);
    co_await timer->async_wait(use_nothrow);
    std::string body;
    auto r = co_await http::read_all(*req.body, body);
    if (!r) {
      co_return r.error();
    }
    co_return http::Response::text(200, "held " + std::to_string(body.size()));
  }

  std::shared_ptr<ServiceState> state_;
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

}  // namespace

HttpServiceSharedPtr make_test_service(std::shared_ptr<ServiceState> state) {
  return std::make_shared<TestService>(std::move(state));
}

void Http2ServerFixture::start(bool tls) {
  if (const char* level = std::getenv("MESHD_TEST_LOG")) {
    log::set_level(level);  // to debug a failing test
  }
  tls_ = tls;
  auto hooks = hooks_;
  options_.hooks.on_connection = [hooks](int d) {
    hooks->connections += d;
    if (d > 0) {
      ++hooks->connections_opened;
    }
  };
  options_.hooks.on_stream = [hooks](int d) {
    hooks->streams += d;
    if (d > 0) {
      ++hooks->streams_opened;
    }
  };
  options_.hooks.on_protocol_error = [hooks](std::string_view reason) {
    ++hooks->protocol_errors;
    std::lock_guard lock(hooks->mu);
    hooks->reasons.emplace_back(reason);
  };
  state_->on_drain = [this] { drain_.drain([this] { drained_ = true; }); };
  auto service = make_test_service(state_);
  auto acceptor = transport::open_acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
  ASSERT_TRUE(acceptor);
  port_ = acceptor->local_endpoint().port();
  auto serve = [this, service](transport::StreamPtr s, bool alpn_h2) {
    auto counted = std::make_unique<CountingStream>(std::move(s), state_->bytes_read);
    std::make_shared<ServerConnection>(std::move(counted), service, options_, drain_, alpn_h2)
        ->start();
  };
  transport::Listener::Handler handler = [serve](transport::StreamPtr s) {
    serve(std::move(s), false);
  };
  if (tls) {
    ASSERT_TRUE(Certs::get().ok());
    transport::TlsServerOptions o;
    o.cert_path = Certs::get().file("server-ec.crt");
    o.key_path = Certs::get().file("server-ec.key");
    o.alpn = {"h2", "http/1.1"};
    std::vector<std::string> errors;
    auto context = transport::TlsServerContext::create(o, errors);
    ASSERT_TRUE(context) << (errors.empty() ? "" : errors.front());
    handler = transport::tls_accept_handler(context, 5s, [serve](transport::StreamPtr s) {
      auto* t = dynamic_cast<transport::TlsStream*>(s.get());
      bool h2 = t != nullptr && t->alpn() == "h2";
      serve(std::move(s), h2);
    });
  }
  listener_ = std::make_shared<transport::Listener>(std::move(*acceptor), handler);
  listener_->start();
  asio::co_spawn(io_, tick_forever(&drain_), asio::detached);
  thread_ = std::thread([this] { io_.run_for(std::chrono::seconds(30)); });
}

void Http2ServerFixture::stop() {
  if (!thread_.joinable()) {
    return;
  }
  auto done = std::make_shared<std::promise<void>>();
  auto gone = done->get_future();
  asio::post(io_, [this, done] {
    listener_->stop();
    drain_.drain([done] { done->set_value(); });
  });
  bool drained = gone.wait_for(5s) == std::future_status::ready;
  EXPECT_TRUE(drained) << "connections still open 5 s after the drain";
  io_.stop();
  thread_.join();
  EXPECT_EQ(hooks_->connections.load(), 0);
  EXPECT_EQ(hooks_->streams.load(), 0);
}

namespace {

class Http2ServerTest : public Http2ServerFixture {};

TEST_F(Http2ServerTest, ServesCurlWithPriorKnowledge) {
  if (!have_tool("curl")) {
    GTEST_SKIP() << "curl missing";
  }
  start();

  auto r = run_tool(
      {"curl", "-sS", "-i", "--http2-prior-knowledge", "-H", "X-Test: One", url("/echo?q=1")});

  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("HTTP/2 200"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("GET /echo?q=1 2.0\n:authority: 127.0.0.1:" + std::to_string(port_) +
                          "\n:scheme: http\n"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("x-test: One\n"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("connection:"), std::string::npos) << r.output;
  EXPECT_EQ(hooks_->connections_opened.load(), 1);
}

TEST_F(Http2ServerTest, UpgradesCurlFromHttp11ForGetAndPost) {
  if (!have_tool("curl")) {
    GTEST_SKIP() << "curl missing";
  }
  start();

  auto get = run_tool({"curl", "-sS", "-i", "--http2", url("/echo")});
  auto post = run_tool({"curl", "-sS", "-i", "--http2", "-d", "small=body", url("/echo")});

  ASSERT_EQ(get.exit_code, 0) << get.output;
  EXPECT_NE(get.output.find("HTTP/1.1 101 Switching Protocols"), std::string::npos) << get.output;
  EXPECT_NE(get.output.find("HTTP/2 200"), std::string::npos) << get.output;
  EXPECT_NE(get.output.find("GET /echo 2.0\n:authority: 127.0.0.1:"), std::string::npos)
      << get.output;
  EXPECT_EQ(get.output.find("http2-settings"), std::string::npos) << get.output;
  ASSERT_EQ(post.exit_code, 0) << post.output;
  EXPECT_NE(post.output.find("HTTP/2 200"), std::string::npos) << post.output;
  EXPECT_NE(post.output.find("body: small=body\n"), std::string::npos) << post.output;
}

TEST_F(Http2ServerTest, NghttpSeesTrailersAndInterimResponses) {
  if (!have_tool("nghttp")) {
    GTEST_SKIP() << "nghttp missing";
  }
  start();

  auto trailers = run_tool({"nghttp", "-v", url("/trailers")});
  auto interim = run_tool({"nghttp", "-v", url("/interim")});

  ASSERT_EQ(trailers.exit_code, 0) << trailers.output;
  EXPECT_NE(trailers.output.find("hello world"), std::string::npos) << trailers.output;
  EXPECT_NE(trailers.output.find("x-sum: 42"), std::string::npos) << trailers.output;
  ASSERT_EQ(interim.exit_code, 0) << interim.output;
  EXPECT_NE(interim.output.find(":status: 103"), std::string::npos) << interim.output;
  EXPECT_NE(interim.output.find("link: </a>; rel=preload"), std::string::npos) << interim.output;
  EXPECT_NE(interim.output.find(":status: 200"), std::string::npos) << interim.output;
}

TEST_F(Http2ServerTest, SaysItUsesNoRfc7540Priorities) {
  if (!have_tool("nghttp")) {
    GTEST_SKIP() << "nghttp missing";
  }
  start();

  auto r = run_tool({"nghttp", "-nv", url("/echo")});

  ASSERT_EQ(r.exit_code, 0) << r.output;
  // RFC 9218 §2.1, as nghttpx says it: streams are scheduled without RFC 7540's priority tree.
  EXPECT_NE(r.output.find("[SETTINGS_NO_RFC7540_PRIORITIES(0x09):1]"), std::string::npos)
      << r.output;
}

/// The `recv DATA frame` and `recv HEADERS frame` lines nghttp -v printed for stream 13 (its
/// first request's stream: 1 to 11 are taken by its upgrade probes and priority streams).
std::vector<std::string> frames_received(const std::string& output) {
  std::vector<std::string> frames;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    if ((line.find("recv DATA frame") != std::string::npos ||
         line.find("recv HEADERS frame") != std::string::npos) &&
        line.find("stream_id=13>") != std::string::npos) {
      frames.push_back(line.substr(line.find("recv ")));
    }
  }
  return frames;
}

TEST_F(Http2ServerTest, EndsABodyThatArrivedWholeWithItsLastDataFrame) {
  if (!have_tool("nghttp")) {
    GTEST_SKIP() << "nghttp missing";
  }
  start();

  // A body already in memory: its only piece carries END_STREAM, or its trailers follow it at
  // once, without an empty DATA frame in between.
  auto plain = run_tool({"nghttp", "-v", url("/count")});
  auto trailers = run_tool({"nghttp", "-v", url("/buffered-trailers")});

  ASSERT_EQ(plain.exit_code, 0) << plain.output;
  auto frames = frames_received(plain.output);
  ASSERT_EQ(frames.size(), 2u) << plain.output;
  EXPECT_NE(frames[0].find("recv HEADERS frame <length="), std::string::npos) << plain.output;
  EXPECT_NE(frames[0].find("flags=0x04"), std::string::npos) << plain.output;  // END_HEADERS
  EXPECT_NE(frames[1].find("recv DATA frame <length="), std::string::npos) << plain.output;
  EXPECT_NE(frames[1].find("flags=0x01"), std::string::npos) << plain.output;  // END_STREAM
  ASSERT_EQ(trailers.exit_code, 0) << trailers.output;
  EXPECT_NE(trailers.output.find("hello world"), std::string::npos) << trailers.output;
  EXPECT_NE(trailers.output.find("x-sum: 42"), std::string::npos) << trailers.output;
  frames = frames_received(trailers.output);
  ASSERT_EQ(frames.size(), 3u) << trailers.output;
  EXPECT_NE(frames[1].find("recv DATA frame <length=11, flags=0x00"), std::string::npos)
      << trailers.output;
  EXPECT_NE(frames[2].find("recv HEADERS frame <length="), std::string::npos) << trailers.output;
  EXPECT_NE(frames[2].find("flags=0x05"), std::string::npos) << trailers.output;
}

TEST_F(Http2ServerTest, StreamsALargeBodyAndEchoesALargeUpload) {
  if (!have_tool("curl")) {
    GTEST_SKIP() << "curl missing";
  }
  start();
  meshd::testing::TempDir dir;
  dir.write("upload", std::string(1 << 20, 'u'));

  auto big = run_tool({"curl", "-sS", "--http2-prior-knowledge", "-o", "/dev/null", "-w",
                       "%{size_download}", url("/big?n=256")});
  auto upload =
      run_tool({"curl", "-sS", "--http2-prior-knowledge", "--data-binary", "@" + dir.file("upload"),
                "-o", "/dev/null", "-w", "%{http_code}", url("/upload")});

  ASSERT_EQ(big.exit_code, 0) << big.output;
  EXPECT_EQ(big.output, std::to_string(256 * 16384));
  ASSERT_EQ(upload.exit_code, 0) << upload.output;
  EXPECT_EQ(upload.output, "200");
}

TEST_F(Http2ServerTest, H2loadHasNoFailures) {
  if (!have_tool("h2load")) {
    GTEST_SKIP() << "h2load missing";
  }
  start();

  auto r = run_tool({"h2load", "-n", "2000", "-c", "4", "-m", "10", url("/echo")}, 15s);

  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("2000 succeeded, 0 failed, 0 errored, 0 timeout"), std::string::npos)
      << r.output;
  EXPECT_GE(hooks_->streams_opened.load(), 2000);
}

TEST_F(Http2ServerTest, ShortResponsesEncodedEarlyKeepTheirOrderBesideLargeBodies) {
  // A short response is encoded by its own stream as soon as it is complete, while large
  // bodies go out through the writer in 4 KiB rounds: the frames must reach the client in the
  // order nghttp2 encoded them (HPACK is stateful; a reordered block is a COMPRESSION_ERROR).
  if (!have_tool("h2load")) {
    GTEST_SKIP() << "h2load missing";
  }
  options_.max_outbound_buffer = 4096;
  start();

  // h2load takes the URIs in turn: 300 bodies of 32 KiB and 300 echoes.
  auto r =
      run_tool({"h2load", "-n", "600", "-c", "2", "-m", "20", url("/big?n=2"), url("/echo")}, 20s);

  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("600 succeeded, 0 failed, 0 errored, 0 timeout"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("600 2xx"), std::string::npos) << r.output;
  EXPECT_EQ(hooks_->protocol_errors.load(), 0);
}

TEST_F(Http2ServerTest, ServesTlsWithAlpnH2) {
  if (!have_tool("curl") || !have_tool("openssl")) {
    GTEST_SKIP() << "curl or openssl missing";
  }
  start(/*tls=*/true);

  auto c = run_tool({"curl", "-sS", "-i", "--http2", "-k", url("/echo")});
  auto s = run_tool(
      {"openssl", "s_client", "-alpn", "h2", "-connect", "127.0.0.1:" + std::to_string(port_)});

  ASSERT_EQ(c.exit_code, 0) << c.output;
  EXPECT_NE(c.output.find("HTTP/2 200"), std::string::npos) << c.output;
  EXPECT_NE(c.output.find(":scheme: https\n"), std::string::npos) << c.output;
  EXPECT_NE(s.output.find("ALPN protocol: h2"), std::string::npos) << s.output;
}

TEST_F(Http2ServerTest, AnswersPlainHttp11With505AndCloses) {
  start();
  http1::test::RawClient c(port_);

  c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");

  ASSERT_TRUE(c.read_to_close());
  EXPECT_EQ(c.received().rfind("HTTP/1.1 505 HTTP Version Not Supported\r\n", 0), 0u)
      << c.received();
  EXPECT_NE(c.received().find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(c.received().find("Upgrade: h2c"), std::string::npos) << c.received();
  EXPECT_EQ(state_->calls.load(), 0);
}

TEST_F(Http2ServerTest, AnswersExpectContinueWhenTheBodyIsRead) {
  if (!have_tool("curl")) {
    GTEST_SKIP() << "curl missing";
  }
  start();

  // Without the 100, curl would wait the whole expect100-timeout before sending the body.
  auto r = run_tool({"curl", "-sS", "-i", "--http2-prior-knowledge", "--expect100-timeout", "30",
                     "-H", "Expect: 100-continue", "-d", "waited", url("/echo")},
                    5s);

  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("HTTP/2 100"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("body: waited\n"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("expect:"), std::string::npos) << r.output;
}

TEST_F(Http2ServerTest, RefusesAnUpgradeWithABodyTooLarge) {
  options_.max_upgrade_body = 10;
  start();
  http1::test::RawClient c(port_);

  c.send(
      "POST / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
      "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\nContent-Length: 11\r\n\r\n"
      "0123456789a");

  ASSERT_TRUE(c.read_to_close());
  EXPECT_EQ(c.received().rfind("HTTP/1.1 413 ", 0), 0u) << c.received();
  EXPECT_EQ(state_->calls.load(), 0);
}

TEST_F(Http2ServerTest, RefusesAnUpgradeWithInvalidSettings) {
  start();
  http1::test::RawClient c(port_);

  c.send(
      "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
      "Upgrade: h2c\r\nHTTP2-Settings: not*base64\r\n\r\n");

  ASSERT_TRUE(c.read_to_close());
  EXPECT_EQ(c.received().rfind("HTTP/1.1 400 ", 0), 0u) << c.received();
}

TEST_F(Http2ServerTest, ClosesOnBytesThatAreNeitherProtocol) {
  start();
  http1::test::RawClient c(port_);

  c.send("\x16\x03\x01garbage that is not http\r\n\r\n");

  ASSERT_TRUE(c.read_to_close());
  EXPECT_EQ(c.received(), "");
}

TEST_F(Http2ServerTest, ClosesAConnectionThatSendsNothing) {
  options_.preface_timeout = 200ms;
  start();
  http1::test::RawClient c(port_);

  auto begin = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.read_to_close());

  EXPECT_GE(std::chrono::steady_clock::now() - begin, 150ms);
  EXPECT_EQ(c.received(), "");
}

}  // namespace
}  // namespace meshd::http2::server_test
