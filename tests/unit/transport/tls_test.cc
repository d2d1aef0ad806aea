#include "meshd/transport/tls.h"

#include <openssl/ssl.h>

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "testing/run.h"

namespace meshd::transport {
namespace {

using namespace std::chrono_literals;
using tcp = asio::ip::tcp;
namespace ssl = asio::ssl;

/// The throw-away PKI of tests/k8s/gen_certs.sh (server SANs: IP:127.0.0.1, DNS:localhost,
/// DNS:kubernetes.default.svc), made once for the whole suite.
class Certs {
 public:
  static const Certs& get() {
    static const Certs certs;
    return certs;
  }
  std::string file(const char* name) const { return (dir_ / name).string(); }
  bool ok() const { return ok_; }
  ~Certs() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

 private:
  Certs() {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() / ("meshd-tls-test-" + std::to_string(rd()));
    const std::string cmd =
        "sh " MESHD_SOURCE_DIR "/tests/k8s/gen_certs.sh '" + dir_.string() + "' >/dev/null";
    ok_ = std::system(cmd.c_str()) == 0;
  }
  std::filesystem::path dir_;
  bool ok_ = false;
};

/// What the test server saw.
struct Seen {
  bool handshake_ok = false;
  std::string sni;
};

/// Accepts one TLS connection with the test server certificate, records the SNI, answers
/// "hello" and closes without close_notify.
asio::awaitable<void> tls_server(tcp::acceptor& acceptor, std::shared_ptr<Seen> seen) {
  auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
  if (ec) {
    co_return;
  }
  ssl::context ctx(ssl::context::tls_server);
  ctx.use_certificate_chain_file(Certs::get().file("server.crt"));
  ctx.use_private_key_file(Certs::get().file("server.key"), ssl::context::pem);
  ssl::stream<tcp::socket> stream(std::move(socket), ctx);
  auto [hec] = co_await stream.async_handshake(ssl::stream_base::server, use_nothrow);
  if (hec) {
    co_return;
  }
  seen->handshake_ok = true;
  const char* name = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
  seen->sni = name == nullptr ? "" : name;
  auto [wec, n] =
      co_await asio::async_write(stream, asio::buffer(std::string("hello")), use_nothrow);
  (void)wec;
  (void)n;
  boost::system::error_code ignored;
  stream.next_layer().close(ignored);
}

/// Accepts one TCP connection and reads (the ClientHello) without ever answering, until the
/// peer goes away.
asio::awaitable<void> silent_server(tcp::acceptor& acceptor) {
  auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
  if (ec) {
    co_return;
  }
  char buf[512];
  for (;;) {
    auto [rec, n] = co_await socket.async_read_some(asio::buffer(buf), use_nothrow);
    (void)n;
    if (rec) {
      co_return;
    }
  }
}

struct Connected {
  Result<StreamPtr> stream = make_error_code(errc::connect_failed);
  std::string failure;
};

asio::awaitable<Connected> connect_to(tcp::endpoint endpoint, TlsClientOptions options,
                                      std::chrono::milliseconds timeout) {
  Connected out;
  out.stream = co_await connect_tls(endpoint, options, timeout, &out.failure);
  co_return out;
}

asio::awaitable<std::string> read_to_end(Stream& stream) {
  std::string out;
  char buf[64];
  for (;;) {
    auto n = co_await stream.read_some(asio::buffer(buf));
    if (!n) {
      out += "<" + n.error().message() + ">";
      co_return out;
    }
    out.append(buf, *n);
  }
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(Certs::get().ok()) << "gen_certs.sh failed"; }

  Connected connect(TlsClientOptions options, std::chrono::milliseconds timeout = 2s) {
    asio::co_spawn(io_, tls_server(acceptor_, seen_), [](std::exception_ptr) {});
    return testing::run(io_, connect_to(acceptor_.local_endpoint(), std::move(options), timeout));
  }

  TlsClientOptions trusting(std::string server_name) const {
    return TlsClientOptions{Certs::get().file("ca.crt"), std::move(server_name), true};
  }

  asio::io_context io_;
  tcp::acceptor acceptor_{io_, {asio::ip::make_address("127.0.0.1"), 0}};
  std::shared_ptr<Seen> seen_ = std::make_shared<Seen>();
};

TEST_F(TlsTest, VerifiesAnIpAddressAgainstTheCertificatesIpSan) {
  auto c = connect(trusting("127.0.0.1"));

  ASSERT_TRUE(c.stream) << c.failure;
  EXPECT_EQ(testing::run(io_, read_to_end(**c.stream)), "hello<End of file>");
  EXPECT_TRUE(seen_->handshake_ok);
  EXPECT_EQ(seen_->sni, "");  // no SNI for IP literals (RFC 6066)
  EXPECT_EQ((*c.stream)->remote_endpoint(), acceptor_.local_endpoint());
}

TEST_F(TlsTest, VerifiesANameAgainstTheDnsSansAndSendsItAsSni) {
  auto c = connect(trusting("kubernetes.default.svc"));
  testing::run_until(io_, [&] { return seen_->handshake_ok; });

  ASSERT_TRUE(c.stream) << c.failure;
  EXPECT_EQ(seen_->sni, "kubernetes.default.svc");
}

TEST_F(TlsTest, AnotherCaFailsClosed) {
  auto c = connect(TlsClientOptions{Certs::get().file("other-ca.crt"), "127.0.0.1", true});

  ASSERT_FALSE(c.stream);
  EXPECT_EQ(c.stream.error(), make_error_code(errc::tls_handshake_failed));
  EXPECT_EQ(c.failure.rfind("certificate verify failed: ", 0), 0u) << c.failure;
}

TEST_F(TlsTest, ANameTheCertificateDoesNotCarryFailsClosed) {
  auto c = connect(trusting("api.example.com"));

  ASSERT_FALSE(c.stream);
  EXPECT_EQ(c.stream.error(), make_error_code(errc::tls_handshake_failed));
  EXPECT_NE(c.failure.find("hostname mismatch"), std::string::npos) << c.failure;
}

TEST_F(TlsTest, AnIpTheCertificateDoesNotCarryFailsClosed) {
  auto c = connect(trusting("10.96.0.1"));

  ASSERT_FALSE(c.stream);
  EXPECT_NE(c.failure.find("IP address mismatch"), std::string::npos) << c.failure;
}

TEST_F(TlsTest, AMissingCaFileFailsClosed) {
  auto c = connect(TlsClientOptions{"/nonexistent/ca.crt", "127.0.0.1", true});

  ASSERT_FALSE(c.stream);
  EXPECT_EQ(c.stream.error(), make_error_code(errc::tls_handshake_failed));
  EXPECT_NE(c.failure.find("/nonexistent/ca.crt"), std::string::npos) << c.failure;
}

TEST_F(TlsTest, WithoutVerificationAnyCertificateIsAccepted) {
  auto c = connect(TlsClientOptions{Certs::get().file("other-ca.crt"), "wrong.example", false});

  ASSERT_TRUE(c.stream) << c.failure;
}

TEST_F(TlsTest, ASilentPeerTimesOutTheHandshake) {
  asio::co_spawn(io_, silent_server(acceptor_), [](std::exception_ptr) {});

  auto c = testing::run(io_, connect_to(acceptor_.local_endpoint(), trusting("127.0.0.1"), 200ms));

  ASSERT_FALSE(c.stream);
  EXPECT_EQ(c.stream.error(), make_error_code(errc::timeout));
}

TEST_F(TlsTest, ARefusedConnectionIsConnectFailed) {
  const auto endpoint = acceptor_.local_endpoint();
  acceptor_.close();

  auto c = testing::run(io_, connect_to(endpoint, trusting("127.0.0.1"), 2s));

  ASSERT_FALSE(c.stream);
  EXPECT_EQ(c.stream.error(), make_error_code(errc::connect_failed));
}

}  // namespace
}  // namespace meshd::transport
