// http2::ClientSession against nghttpd (nghttp2's reference server, run by
// tests/http2/client_nghttpd.py): files, flow control with a slow reader, multiplexing, and TLS
// with ALPN h2.

#include "meshd/http2/client.h"

#include <gtest/gtest.h>

#include <openssl/ssl.h>

#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "meshd/transport/tls.h"
#include "testing/script_process.h"
#include "unit/http2/client_test_support.h"

namespace meshd::http2 {
namespace {

using namespace test;

constexpr std::size_t kBigSize = 4 * 1024 * 1024;
const std::string kSmall = "hello from nghttpd\n";

/// big.bin's content: byte i is i % 251.
bool is_big_file(const std::string& body) {
  if (body.size() != kBigSize) {
    return false;
  }
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (static_cast<unsigned char>(body[i]) != i % 251) {
      return false;
    }
  }
  return true;
}

/// One nghttpd per suite and flavour (plain, TLS), started on first use.
class Nghttpd {
 public:
  explicit Nghttpd(std::vector<std::string> args)
      : process_("tests/http2/client_nghttpd.py", std::move(args)) {
    const std::string& line = process_.first_line();
    if (line.rfind("unavailable", 0) != 0) {
      port_ = static_cast<std::uint16_t>(std::stoi(line));
    } else {
      unavailable_ = line;
    }
  }
  std::uint16_t port() const { return port_; }
  const std::string& unavailable() const { return unavailable_; }

 private:
  meshd::testing::ScriptProcess process_;
  std::uint16_t port_ = 0;
  std::string unavailable_;
};

class Http2ClientNghttpd : public ::testing::Test {
 protected:
  static void TearDownTestSuite() {
    plain_.reset();
    tls_.reset();
  }
  static Nghttpd& server(std::unique_ptr<Nghttpd>& slot, std::vector<std::string> args) {
    if (!slot) {
      slot = std::make_unique<Nghttpd>(std::move(args));
    }
    return *slot;
  }

  template <class T>
  T run(asio::awaitable<T> task, std::chrono::seconds limit = 10s) {
    return meshd::testing::run(io_, std::move(task), limit);
  }

  static inline std::unique_ptr<Nghttpd> plain_;
  static inline std::unique_ptr<Nghttpd> tls_;
  asio::io_context io_;
};

#define REQUIRE_NGHTTPD(n)                                        \
  if ((n).port() == 0) {                                          \
    GTEST_SKIP() << "nghttpd unavailable: " << (n).unavailable(); \
  }

TEST_F(Http2ClientNghttpd, GetsAFile) {
  Nghttpd& n = server(plain_, {});
  REQUIRE_NGHTTPD(n);
  auto s = run(open_session(n.port()));

  Got got = run(get(s, "/small.txt"));

  ASSERT_FALSE(got.error) << got.failure.detail;
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.version, (http::Version{2, 0}));
  EXPECT_EQ(got.body, kSmall);
  EXPECT_EQ(got.length, kSmall.size());
  EXPECT_FALSE(got.body_error);
  for (const auto& [name, value] : got.headers) {
    EXPECT_NE(name.front(), ':') << name;
  }
  EXPECT_EQ(run(get(s, "/missing")).status, 404);
}

/// Reads `body` to its end, checking after every MiB that the bytes the connection received
/// beyond what the reader took stay within `bound`; returns the body ("" on failure).
asio::awaitable<std::string> read_slowly(ClientSessionSharedPtr s, http::Body* body,
                                         std::shared_ptr<std::uint64_t> received,
                                         std::uint64_t bound) {
  std::string all;
  std::size_t next_check = 0;
  for (;;) {
    if (all.size() >= next_check) {
      // A full round trip on the same connection: the server had all the time it needed to
      // send whatever the windows allowed.
      for (int i = 0; i < 3; ++i) {
        Got barrier = co_await get(s, "/small.txt");
        EXPECT_EQ(barrier.body, kSmall);
      }
      EXPECT_LE(*received - all.size(), bound) << "after " << all.size() << " bytes read";
      next_check += 1024 * 1024;
    }
    auto piece = co_await body->read();
    if (!piece) {
      ADD_FAILURE() << "body read failed: " << piece.error().message();
      co_return "";
    }
    if (piece->empty()) {
      co_return all;
    }
    all.append(*piece);
  }
}

TEST_F(Http2ClientNghttpd, SlowReaderKeepsWhatIsBufferedWithinTheStreamWindow) {
  Nghttpd& n = server(plain_, {});
  REQUIRE_NGHTTPD(n);
  auto received = std::make_shared<std::uint64_t>(0);
  auto stream = run(transport::connect(loopback(n.port()), 2s));
  ASSERT_TRUE(stream);
  ClientOptions options;  // 65535-byte stream windows
  auto s =
      ClientSession::start(std::make_unique<CountingStream>(std::move(*stream), received), options);
  auto req = request("GET", "/big.bin");
  auto rsp = run(s->exchange(req, nullptr));
  ASSERT_TRUE(rsp) << rsp.error().message();
  EXPECT_EQ(rsp->body->length(), kBigSize);

  // Received beyond what was read: one stream window, plus frame headers and the barriers.
  std::string body = run(read_slowly(s, rsp->body.get(), received, 65535 + 32 * 1024));

  EXPECT_TRUE(is_big_file(body)) << body.size() << " bytes";
}

asio::awaitable<void> spawn_gets(ClientSessionSharedPtr s, int n,
                                 std::shared_ptr<std::vector<Got>> out) {
  auto ex = co_await asio::this_coro::executor;
  for (int i = 0; i < n; ++i) {
    asio::co_spawn(ex, get(s, "/small.txt"),
                   [out](std::exception_ptr, Got g) { out->push_back(std::move(g)); });
  }
}

TEST_F(Http2ClientNghttpd, MultiplexesConcurrentExchangesOnOneConnection) {
  Nghttpd& n = server(plain_, {});
  REQUIRE_NGHTTPD(n);
  auto counts = std::make_shared<HookCounts>();
  ClientOptions options;
  options.hooks = count_hooks(counts);
  auto s = run(open_session(n.port(), options));
  auto results = std::make_shared<std::vector<Got>>();

  run([](ClientSessionSharedPtr s, std::shared_ptr<std::vector<Got>> out) -> asio::awaitable<int> {
    co_await spawn_gets(s, 24, out);
    co_return 0;
  }(s, results));
  ASSERT_TRUE(run(eventually([&] { return results->size() == 24; })));

  for (const Got& got : *results) {
    EXPECT_EQ(got.status, 200) << got.error.message() << " " << got.failure.detail;
    EXPECT_EQ(got.body, kSmall);
  }
  EXPECT_EQ(counts->connections_opened, 1);
  EXPECT_GT(counts->max_streams, 1);
  EXPECT_EQ(counts->streams, 0);
  EXPECT_TRUE(s->is_open());
}

/// A TLS connection offering ALPN h2 (transport::connect_tls has no ALPN option yet), built
/// from the public TlsStream.
asio::awaitable<transport::StreamPtr> connect_h2_tls(std::uint16_t port) {
  asio::ip::tcp::socket socket(co_await asio::this_coro::executor);
  auto [ec] = co_await socket.async_connect(loopback(port), use_nothrow);
  if (ec) {
    ADD_FAILURE() << "connect: " << ec.message();
    co_return nullptr;
  }
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);  // a throw-away self-signed certificate
  static const unsigned char kAlpn[] = {2, 'h', '2'};
  SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof kAlpn);
  transport::SslPtr ssl(SSL_new(ctx));
  SSL_CTX_free(ctx);  // the SSL keeps its own reference
  SSL_set_connect_state(ssl.get());
  auto tls = std::make_unique<transport::TlsStream>(std::move(socket), std::move(ssl));
  auto hs = co_await tls->handshake();
  if (!hs) {
    ADD_FAILURE() << "handshake: " << tls->failure();
    co_return nullptr;
  }
  EXPECT_EQ(tls->alpn(), "h2");
  co_return tls;
}

TEST_F(Http2ClientNghttpd, GetsAFileOverTlsWithAlpnH2) {
  Nghttpd& n = server(tls_, {"--tls"});
  REQUIRE_NGHTTPD(n);
  auto stream = run(connect_h2_tls(n.port()));
  ASSERT_TRUE(stream);
  ClientOptions options;
  options.scheme = "https";
  auto s = ClientSession::start(std::move(stream), options);

  Got small = run(get(s, "/small.txt"));
  Got big = run(get(s, "/big.bin"));

  ASSERT_FALSE(small.error) << small.failure.detail;
  EXPECT_EQ(small.body, kSmall);
  EXPECT_TRUE(is_big_file(big.body)) << big.body.size() << " bytes";
}

}  // namespace
}  // namespace meshd::http2
