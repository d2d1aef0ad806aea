// http2::ClientSession against a scripted Python h2 server (tests/http2/client_server.py): the
// exchange's framing, and every way a server can end a stream or the connection.

#include "meshd/http2/client.h"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "testing/script_process.h"
#include "unit/http2/client_test_support.h"

namespace meshd::http2 {
namespace {

using namespace test;

/// Starts one POST exchange (a body of 1000 + i bytes, trailer `x-trailer-i`, field `x-n-i`)
/// per turn of the event loop; each stores what it got in `(*got)[i]`.
asio::awaitable<void> open_in_turns(ClientSessionSharedPtr s,
                                    std::vector<std::optional<Got>>* got) {
  auto ex = co_await asio::this_coro::executor;
  for (int i = 0; i < static_cast<int>(got->size()); ++i) {
    http::Headers trailers;
    trailers.add("x-trailer-" + std::to_string(i), std::to_string(i * 3));
    auto req =
        request("POST", "/echo?t=turns-" + std::to_string(i),
                std::make_unique<ScriptedBody>(std::vector<std::string>{std::string(1000 + i, 'b')},
                                               std::move(trailers)));
    req.headers.add("x-n-" + std::to_string(i), std::to_string(i * 7));
    asio::co_spawn(ex, round_trip(s, std::move(req)),
                   [got, i](std::exception_ptr, Got g) { (*got)[i] = std::move(g); });
    co_await asio::post(ex, asio::use_awaitable);
  }
}

class Http2ClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new meshd::testing::ScriptProcess("tests/http2/client_server.py", {});
    int plain = 0;
    int limited = 0;
    std::sscanf(server_->first_line().c_str(), "%d %d", &plain, &limited);
    port_ = static_cast<std::uint16_t>(plain);
    limited_port_ = static_cast<std::uint16_t>(limited);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  template <class T>
  T run(asio::awaitable<T> task, std::chrono::seconds limit = 5s) {
    return meshd::testing::run(io_, std::move(task), limit);
  }

  ClientSessionSharedPtr session(std::uint16_t port, ClientOptions options = {}) {
    options.hooks = count_hooks(counts_);
    return run(open_session(port, options));
  }
  ClientSessionSharedPtr session(ClientOptions options = {}) { return session(port_, options); }

  /// Polls the server's event log (on a session of its own) until it has `line`.
  bool server_logged(const std::string& line) {
    auto log_session = run(open_session(port_));
    return run(server_logged_on(log_session, line));
  }
  static asio::awaitable<bool> server_logged_on(ClientSessionSharedPtr s, std::string line) {
    for (int i = 0; i < 200; ++i) {
      Got got = co_await get(s, "/log");
      if (got.body.find(line + "\n") != std::string::npos) {
        co_return true;
      }
      co_await pause(10ms);
    }
    co_return false;
  }

  /// Waits until the session's connection has closed (its hooks say so).
  bool closed() {
    return run(eventually([c = counts_] { return c->connections == 0; }));
  }

  static inline meshd::testing::ScriptProcess* server_ = nullptr;
  static inline std::uint16_t port_ = 0;
  static inline std::uint16_t limited_port_ = 0;
  asio::io_context io_;
  std::shared_ptr<HookCounts> counts_ = std::make_shared<HookCounts>();
};

TEST_F(Http2ClientTest, SendsPseudoHeadersFilteredFieldsBodyAndTrailers) {
  auto s = session();
  http::Headers trailers;
  trailers.add("X-Checksum", "abc");
  auto req =
      request("POST", "/echo?a=b",
              std::make_unique<ScriptedBody>(std::vector<std::string>{"hello ", "world"}, trailers),
              "example.com");
  for (auto [name, value] : {std::pair{"Connection", "close, X-Hop"},
                             {"X-Hop", "gone"},
                             {"Keep-Alive", "5"},
                             {"Proxy-Connection", "x"},
                             {"Transfer-Encoding", "chunked"},
                             {"Upgrade", "h2c"},
                             {"TE", "trailers"},
                             {"X-Custom", "Value"}}) {
    req.headers.add(name, value);
  }

  Got got = run(round_trip(s, std::move(req)));

  ASSERT_FALSE(got.error) << got.failure.detail;
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.version, (http::Version{2, 0}));
  EXPECT_EQ(got.length, got.body.size());
  EXPECT_EQ(got.body,
            "method POST\nscheme http\nauthority example.com\npath /echo?a=b\n"
            "field te: trailers\nfield x-custom: Value\ntrailer x-checksum: abc\n"
            "body hello world\n");
  EXPECT_EQ(got.header("content-length"), std::to_string(got.body.size()));
  EXPECT_EQ(got.header(":status"), "(absent)");
}

TEST_F(Http2ClientTest, TakesSchemeAndAuthorityFromPseudoFieldsAndDropsOtherTe) {
  auto s = session();
  auto req = request("GET", "/echo", nullptr, "");
  req.headers.add(":authority", "svc.example:8080");
  req.headers.add(":scheme", "https");
  req.headers.add("TE", "gzip");

  Got got = run(round_trip(s, std::move(req)));

  ASSERT_FALSE(got.error) << got.failure.detail;
  EXPECT_EQ(got.body, "method GET\nscheme https\nauthority svc.example:8080\npath /echo\nbody \n");
}

TEST_F(Http2ClientTest, SaysItUsesNoRfc7540Priorities) {
  // SETTINGS_NO_RFC7540_PRIORITIES (RFC 9218 §2.1, id 9) = 1, as nghttpx says it: no priority
  // tree for the server to keep for our streams, nor for nghttp2 to keep on our side.
  auto s = session();
  Got got = run(get(s, "/echo?t=settings"));
  ASSERT_FALSE(got.error) << got.failure.detail;
  EXPECT_TRUE(server_logged("setting 9=1"));
}

TEST_F(Http2ClientTest, ResponseTrailersEndTheBody) {
  auto s = session();

  Got got = run(get(s, "/trailers"));

  ASSERT_FALSE(got.error) << got.failure.detail;
  EXPECT_FALSE(got.body_error) << got.body_error.message();
  EXPECT_EQ(got.body, "hello");
  EXPECT_EQ(got.length, std::nullopt);
  EXPECT_EQ(got.header("content-type"), "application/grpc");
  ASSERT_EQ(got.trailers.size(), 2u);
  EXPECT_EQ(got.trailers[0], (std::pair<std::string, std::string>{"grpc-status", "0"}));
  EXPECT_EQ(got.trailers[1], (std::pair<std::string, std::string>{"grpc-message", "ok"}));
}

TEST_F(Http2ClientTest, RefusedStreamIsReplayableAndTheSessionStaysUsable) {
  auto s = session();

  Got refused = run(get(s, "/refuse"));
  Got next = run(get(s, "/echo"));

  EXPECT_EQ(refused.error, make_error_code(errc::upstream_reset));
  EXPECT_TRUE(refused.failure.replayable);
  EXPECT_EQ(refused.failure.reset_code, 0x7u);
  EXPECT_NE(refused.failure.detail.find("REFUSED_STREAM"), std::string::npos)
      << refused.failure.detail;
  EXPECT_TRUE(s->is_open());
  EXPECT_EQ(next.status, 200);
}

TEST_F(Http2ClientTest, ResetMidBodyFailsTheBodyRead) {
  auto s = session();

  Got got = run(get(s, "/rst-mid-body"));

  ASSERT_FALSE(got.error) << got.failure.detail;
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, "partial");
  EXPECT_EQ(got.body_error, make_error_code(errc::upstream_reset));
  EXPECT_TRUE(s->is_open());
}

TEST_F(Http2ClientTest, ConnectionClosedMidBodyFailsTheBodyRead) {
  auto s = session();

  Got got = run(get(s, "/close-mid-body"));

  ASSERT_FALSE(got.error) << got.failure.detail;
  EXPECT_EQ(got.body, "partial");
  EXPECT_EQ(got.body_error, make_error_code(errc::upstream_reset));
  EXPECT_FALSE(s->is_open());
  EXPECT_TRUE(closed());
}

TEST_F(Http2ClientTest, GoawayBelowOurStreamIsReplayableAndClosesTheSession) {
  auto s = session();
  Got first = run(get(s, "/echo"));  // stream 1: the GOAWAY's last stream id

  Got got = run(get(s, "/goaway"));  // stream 3
  Got after = run(get(s, "/echo"));

  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(got.error, make_error_code(errc::upstream_reset));
  EXPECT_TRUE(got.failure.replayable) << got.failure.detail;
  EXPECT_NE(got.failure.detail.find("GOAWAY"), std::string::npos) << got.failure.detail;
  EXPECT_FALSE(s->is_open());
  EXPECT_EQ(after.error, make_error_code(errc::upstream_reset));
  EXPECT_TRUE(after.failure.replayable);
  EXPECT_TRUE(closed());
}

TEST_F(Http2ClientTest, ServerConcurrencyLimitMakesAnExtraExchangeOverloaded) {
  auto s = session(limited_port_);
  auto hold = request("GET", "/hold?t=lim");
  auto held = run(s->exchange(hold, nullptr));
  ASSERT_TRUE(held) << held.error().message();

  Got extra = run(get(s, "/echo"));
  EXPECT_EQ(s->max_concurrent_streams(), 1u);
  EXPECT_EQ(extra.error, make_error_code(errc::overloaded));
  EXPECT_FALSE(extra.failure.replayable);
  held->body.reset();  // resets the held stream, freeing the slot
  ASSERT_TRUE(run(eventually([&] { return s->active_streams() == 0; })));
  Got later = run(get(s, "/echo"));

  EXPECT_EQ(later.status, 200) << later.failure.detail;
}

TEST_F(Http2ClientTest, OversizedResponseHeaderListFailsOnlyItsStream) {
  auto s = session();

  Got big = run(get(s, "/big-headers"));
  Got next = run(get(s, "/echo"));

  EXPECT_EQ(big.error, make_error_code(errc::protocol_error));
  EXPECT_NE(big.failure.detail.find("header list over 8192 bytes"), std::string::npos)
      << big.failure.detail;
  EXPECT_EQ(next.status, 200);
  EXPECT_TRUE(s->is_open());
}

TEST_F(Http2ClientTest, ContinuationFloodEndsTheSessionAsAProtocolError) {
  auto s = session();

  Got got = run(get(s, "/flood"));

  EXPECT_EQ(got.error, make_error_code(errc::protocol_error)) << got.failure.detail;
  EXPECT_FALSE(s->is_open());
  ASSERT_EQ(counts_->protocol_errors.size(), 1u);
  EXPECT_NE(counts_->protocol_errors[0].find("CONTINUATION"), std::string::npos)
      << counts_->protocol_errors[0];
  EXPECT_TRUE(closed());
}

TEST_F(Http2ClientTest, HeaderBlocksEncodedAtOpenAndByTheWriterKeepTheirOrder) {
  // A stream's HEADERS are encoded as it opens, ahead of the writer; its body and trailers are
  // encoded by the writer. With exchanges opening one per turn of the event loop, some open
  // while the writer is in the middle of a write: every header block must still reach the
  // server in the order nghttp2 encoded it (HPACK is stateful), each with its own fields.
  auto s = session();
  constexpr int kExchanges = 40;
  std::vector<std::optional<Got>> got(kExchanges);
  asio::co_spawn(io_, open_in_turns(s, &got), asio::detached);
  ASSERT_TRUE(run(eventually(
      [&] { return std::all_of(got.begin(), got.end(), [](auto& g) { return g.has_value(); }); },
      10s)));

  for (int i = 0; i < kExchanges; ++i) {
    const auto n = std::to_string(i);
    ASSERT_EQ(got[i]->status, 200) << i << ": " << got[i]->failure.detail;
    EXPECT_NE(got[i]->body.find("path /echo?t=turns-" + n + "\n"), std::string::npos)
        << got[i]->body;
    EXPECT_NE(got[i]->body.find("field x-n-" + n + ": " + std::to_string(i * 7) + "\n"),
              std::string::npos)
        << got[i]->body;
    EXPECT_NE(got[i]->body.find("trailer x-trailer-" + n + ": " + std::to_string(i * 3) + "\n"),
              std::string::npos)
        << got[i]->body;
    EXPECT_NE(got[i]->body.find("body " + std::string(1000 + i, 'b') + "\n"), std::string::npos);
  }
  EXPECT_TRUE(counts_->protocol_errors.empty());
}

TEST_F(Http2ClientTest, CancellingAnExchangeResetsTheStreamWithCancel) {
  auto s = session();
  asio::cancellation_signal cancel;
  auto outcome = std::make_shared<std::optional<Got>>();
  asio::co_spawn(io_, round_trip(s, request("GET", "/hold-nohead?t=cancel")),
                 asio::bind_cancellation_slot(cancel.slot(), [outcome](std::exception_ptr, Got g) {
                   *outcome = std::move(g);
                 }));
  ASSERT_TRUE(server_logged("request /hold-nohead?t=cancel"));

  cancel.emit(asio::cancellation_type::terminal);
  ASSERT_TRUE(run(eventually([&] { return outcome->has_value(); })));

  EXPECT_EQ((*outcome)->error, asio::error::operation_aborted);
  EXPECT_TRUE(server_logged("reset /hold-nohead?t=cancel 8"));
  EXPECT_TRUE(run(eventually([&] { return s->active_streams() == 0; })));
  EXPECT_EQ(counts_->streams, 0);
}

TEST_F(Http2ClientTest, AnExchangeInStepsGivesUpWithCancelWhenFinishedEarlyOrDropped) {
  auto s = session();
  auto early = request("GET", "/hold-nohead?t=steps-early");
  ExchangeFailure failure;
  auto x = s->open(early, failure);
  ASSERT_TRUE(x) << x.error().message();
  ASSERT_TRUE(server_logged("request /hold-nohead?t=steps-early"));
  EXPECT_FALSE(x->ready());
  auto rsp = x->finish(failure);
  EXPECT_EQ(rsp.error(), asio::error::operation_aborted);
  EXPECT_EQ(failure.detail, "exchange cancelled");
  EXPECT_TRUE(server_logged("reset /hold-nohead?t=steps-early 8"));

  auto dropped = request("GET", "/hold-nohead?t=steps-dropped");
  {
    ExchangeFailure ignored;
    auto y = s->open(dropped, ignored);
    ASSERT_TRUE(y) << y.error().message();
    ASSERT_TRUE(server_logged("request /hold-nohead?t=steps-dropped"));
  }
  EXPECT_TRUE(server_logged("reset /hold-nohead?t=steps-dropped 8"));

  auto whole = request("GET", "/echo?t=steps");
  ExchangeFailure ok;
  auto z = s->open(whole, ok);
  ASSERT_TRUE(z) << z.error().message();
  ASSERT_TRUE(run(eventually([&] { return z->ready(); })));
  auto answered = z->finish(ok);
  ASSERT_TRUE(answered) << answered.error().message() << " " << ok.detail;
  EXPECT_EQ(answered->status, 200);
  std::string body;
  ASSERT_TRUE(run(http::read_all(*answered->body, body)));
  EXPECT_TRUE(run(eventually([&] { return s->active_streams() == 0; })));
  EXPECT_TRUE(s->is_open());
  EXPECT_EQ(counts_->streams, 0);
}

TEST_F(Http2ClientTest, DroppingTheBodyEarlyResetsTheStream) {
  auto s = session();
  auto req = request("GET", "/hold?t=drop");
  auto rsp = run(s->exchange(req, nullptr));
  ASSERT_TRUE(rsp) << rsp.error().message();
  auto piece = run([](http::Body* b) -> asio::awaitable<std::string> {
    auto p = co_await b->read();
    co_return p ? std::string(*p) : "error";
  }(rsp->body.get()));
  EXPECT_EQ(piece, "x");

  rsp->body.reset();

  EXPECT_TRUE(server_logged("reset /hold?t=drop 8"));
  EXPECT_TRUE(run(eventually([&] { return s->active_streams() == 0; })));
  EXPECT_TRUE(s->is_open());
}

TEST_F(Http2ClientTest, ResponseBodyPollsWhatHasArrivedAndNeverWaits) {
  auto s = session();
  auto held = request("GET", "/hold?t=poll");
  auto rsp = run(s->exchange(held, nullptr));
  ASSERT_TRUE(rsp) << rsp.error().message();
  std::optional<Result<std::string_view>> piece;
  ASSERT_TRUE(run(eventually([&] {
    piece = rsp->body->poll();
    return piece.has_value();
  })));
  ASSERT_TRUE(*piece) << piece->error().message();
  EXPECT_EQ(**piece, "x");
  EXPECT_FALSE(rsp->body->poll()) << "the rest has not come: nothing to take without a wait";
  rsp->body.reset();
  EXPECT_TRUE(server_logged("reset /hold?t=poll 8"));

  auto whole = request("GET", "/trailers");
  auto done = run(s->exchange(whole, nullptr));
  ASSERT_TRUE(done) << done.error().message();
  ASSERT_TRUE(run(eventually([&] { return done->body->arrived().has_value(); })));
  auto data = done->body->poll();
  ASSERT_TRUE(data && *data);
  EXPECT_EQ(**data, "hello");
  auto end = done->body->poll();
  ASSERT_TRUE(end && *end);
  EXPECT_TRUE((*end)->empty());
  EXPECT_EQ(done->body->trailers().get("grpc-status"), "0");
}

TEST_F(Http2ClientTest, RequestBodyReadsWaitForTheServersWindow) {
  auto s = session();
  auto reads = std::make_shared<int>(0);
  auto req = request("POST", "/sink?t=bp", std::make_unique<EndlessBody>(reads));
  auto rsp = run(s->exchange(req, nullptr));
  ASSERT_TRUE(rsp) << rsp.error().message();

  // The server never acknowledges: once its 65535-byte window is full, nothing more can go out.
  ASSERT_TRUE(run(server_logged_on(s, "sink /sink?t=bp 65535")));
  Got barrier = run(get(s, "/log"));  // a round trip on the same connection after that

  EXPECT_EQ(barrier.status, 200);
  EXPECT_LE(*reads, 65535 / 16384 + 3);         // the window's worth, and one piece waiting
  EXPECT_EQ(req.body->length(), std::nullopt);  // taken over by the stream, length kept
}

TEST_F(Http2ClientTest, PaddingIsCreditedBackSoAPaddedStreamNeverStalls) {
  ClientOptions options;
  options.settings.initial_stream_window = 16384;
  auto s = session(options);

  // 100 frames of 2000 data bytes and 256 bytes of padding: 25 KB of padding, more than a
  // window, that only the client can credit back.
  Got got = run(get(s, "/padded"), 3s);

  ASSERT_FALSE(got.error) << got.failure.detail;
  EXPECT_FALSE(got.body_error) << got.body_error.message();
  EXPECT_EQ(got.body, std::string(200000, 'p'));
}

TEST_F(Http2ClientTest, SilentServerFailsTheSessionAfterThePingTimeout) {
  ClientOptions options;
  options.ping_timeout = 150ms;
  auto s = session(options);

  Got got = run(get(s, "/stall"));

  ASSERT_FALSE(got.error) << got.failure.detail;
  EXPECT_EQ(got.body, "x");
  EXPECT_EQ(got.body_error, make_error_code(errc::upstream_reset));
  EXPECT_FALSE(s->is_open());
  EXPECT_TRUE(closed());
}

TEST_F(Http2ClientTest, DrainLetsOpenStreamsFinishThenCloses) {
  auto s = session();
  auto req = request("GET", "/hold?t=drain");
  auto rsp = run(s->exchange(req, nullptr));
  ASSERT_TRUE(rsp) << rsp.error().message();

  s->drain();
  Got refused = run(get(s, "/echo"));
  EXPECT_FALSE(s->is_open());
  EXPECT_EQ(refused.error, make_error_code(errc::upstream_reset));
  EXPECT_TRUE(refused.failure.replayable);
  EXPECT_EQ(counts_->connections, 1);  // still serving the held stream
  rsp->body.reset();

  EXPECT_TRUE(closed());
}

TEST_F(Http2ClientTest, CloseFailsOpenStreamsAndLaterExchanges) {
  auto s = session();
  auto req = request("GET", "/hold?t=close");
  auto rsp = run(s->exchange(req, nullptr));
  ASSERT_TRUE(rsp) << rsp.error().message();

  s->close();
  std::string body;
  auto read = run(http::read_all(*rsp->body, body));
  Got after = run(get(s, "/echo"));

  EXPECT_EQ(read.error(), make_error_code(errc::upstream_reset));
  EXPECT_EQ(after.error, make_error_code(errc::upstream_reset));
  EXPECT_TRUE(after.failure.replayable);
  EXPECT_TRUE(closed());
  EXPECT_EQ(counts_->streams, 0);
}

}  // namespace
}  // namespace meshd::http2
