#include "meshd/transport/tls_client.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>

#include <array>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "meshd/transport/tls_server.h"
#include "testing/run.h"
#include "unit/transport/certs.h"

namespace meshd::transport {
namespace {

using namespace std::chrono_literals;
using tcp = asio::ip::tcp;
using Accepted = Result<std::unique_ptr<TlsStream>>;
using Connected = Result<std::unique_ptr<TlsStream>>;

TlsClientContextOptions trusting(const std::string& ca) {
  TlsClientContextOptions o;
  o.trust_files = {Certs::get().file(ca)};
  return o;
}

std::shared_ptr<TlsClientContext> must_create(TlsClientContextOptions options) {
  std::vector<std::string> errors;
  auto context = TlsClientContext::create(std::move(options), errors);
  EXPECT_TRUE(context) << (errors.empty() ? "" : errors.front());
  return context;
}

std::vector<std::string> create_errors(TlsClientContextOptions options) {
  std::vector<std::string> errors;
  EXPECT_FALSE(TlsClientContext::create(std::move(options), errors));
  return errors;
}

std::string subject_cn(X509* cert) {
  if (cert == nullptr) {
    return "<none>";
  }
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  return cn;
}

asio::awaitable<Accepted> accept_one(tcp::acceptor& acceptor,
                                     std::shared_ptr<TlsServerContext> context) {
  auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
  if (ec) {
    co_return ec;
  }
  co_return co_await accept_tls(std::move(socket), std::move(context), 2s);
}

/// Writes one byte from the server and reads it at the client, so the client processes what
/// follows a TLS 1.3 handshake (the session tickets).
asio::awaitable<bool> ping(TlsStream& server, TlsStream& client) {
  std::array<asio::const_buffer, 1> bufs{asio::buffer("x", 1)};
  auto w = co_await server.write(bufs);
  char c = 0;
  auto r = co_await client.read_some(asio::buffer(&c, 1));
  co_return w&& r&& c == 'x';
}

class TlsClientTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(Certs::get().ok()) << "gen_server_certs.sh failed"; }

  /// The server side for `cert` (a Certs key pair), optionally requiring client certificates
  /// from the root CA, offering `alpn`.
  void serve(const std::string& cert, bool require_client_auth = false,
             std::vector<std::string> alpn = {}, std::vector<std::string> protocols = {}) {
    TlsServerOptions o;
    o.cert_path = Certs::get().file(cert + ".crt");
    o.key_path = Certs::get().file(cert + ".key");
    o.ca_cert_path = Certs::get().file("ca.crt");
    o.require_client_auth = require_client_auth;
    o.alpn = std::move(alpn);
    o.protocols = std::move(protocols);
    std::vector<std::string> errors;
    server_ = TlsServerContext::create(std::move(o), errors);
    ASSERT_TRUE(server_) << errors.front();
  }

  struct Pair {
    Connected client = make_error_code(errc::connect_failed);
    Accepted server = make_error_code(errc::connect_failed);
    std::string failure;
  };
  Pair connect(TlsClientContext& context, std::string server_name) {
    auto server = std::make_shared<std::optional<Accepted>>();
    asio::co_spawn(io_, accept_one(acceptor_, server_),
                   [server](std::exception_ptr, Accepted r) { server->emplace(std::move(r)); });
    Pair out;
    out.client = testing::run(
        io_, context.connect(acceptor_.local_endpoint(), std::move(server_name), 2s, &out.failure));
    testing::run_until(io_, [&] { return server->has_value(); });
    EXPECT_TRUE(server->has_value()) << "the server side did not finish";
    if (server->has_value()) {
      out.server = std::move(**server);
    }
    return out;
  }

  asio::io_context io_;
  tcp::acceptor acceptor_{io_, {asio::ip::make_address("127.0.0.1"), 0}};
  std::shared_ptr<TlsServerContext> server_;
};

TEST_F(TlsClientTest, VerifiesTheServerNameAndSendsItAsSni) {
  serve("server-ec");
  auto context = must_create(trusting("ca.crt"));

  auto by_name = connect(*context, "localhost");
  ASSERT_TRUE(by_name.client) << by_name.failure;
  ASSERT_TRUE(by_name.server);
  EXPECT_EQ(subject_cn(SSL_get0_peer_certificate((*by_name.client)->native_handle())), "server-ec");
  const char* sni =
      SSL_get_servername((*by_name.server)->native_handle(), TLSEXT_NAMETYPE_host_name);
  EXPECT_STREQ(sni != nullptr ? sni : "<none>", "localhost");

  // An IP literal is checked against the IP SANs and never sent as SNI (RFC 6066).
  auto by_ip = connect(*context, "127.0.0.1");
  ASSERT_TRUE(by_ip.client) << by_ip.failure;
  ASSERT_TRUE(by_ip.server);
  EXPECT_EQ(SSL_get_servername((*by_ip.server)->native_handle(), TLSEXT_NAMETYPE_host_name),
            nullptr);

  auto wrong = connect(*context, "hello.default.svc");
  ASSERT_FALSE(wrong.client);
  EXPECT_EQ(wrong.client.error(), make_error_code(errc::tls_handshake_failed));
  EXPECT_NE(wrong.failure.find("certificate verify failed"), std::string::npos) << wrong.failure;
  EXPECT_NE(wrong.failure.find("hostname mismatch"), std::string::npos) << wrong.failure;
}

TEST_F(TlsClientTest, RejectsAnUntrustedServerUnlessValidationIsDisabled) {
  serve("server-ec");
  auto untrusting = must_create(trusting("other-ca.crt"));
  auto refused = connect(*untrusting, "localhost");
  ASSERT_FALSE(refused.client);
  EXPECT_NE(refused.failure.find("certificate verify failed"), std::string::npos)
      << refused.failure;
  EXPECT_EQ(untrusting->stats().handshake_failures, 1u);

  TlsClientContextOptions anything;
  anything.verify = false;
  auto lax = must_create(anything);
  auto accepted = connect(*lax, "not-the-name");
  EXPECT_TRUE(accepted.client) << accepted.failure;
}

TEST_F(TlsClientTest, PresentsItsClientCertificateWhenAsked) {
  serve("server-ec", /*require_client_auth=*/true);
  auto anonymous = must_create(trusting("ca.crt"));
  auto refused = connect(*anonymous, "localhost");
  // TLS 1.3: the client finishes first and learns of the refusal on its first read; the
  // server side fails either way.
  EXPECT_FALSE(refused.server);

  auto options = trusting("ca.crt");
  options.cert_path = Certs::get().file("client.crt");
  options.key_path = Certs::get().file("client.key");
  auto with_cert = must_create(options);
  auto accepted = connect(*with_cert, "localhost");
  ASSERT_TRUE(accepted.client) << accepted.failure;
  ASSERT_TRUE(accepted.server);
  EXPECT_EQ(subject_cn(SSL_get0_peer_certificate((*accepted.server)->native_handle())), "client");
}

TEST_F(TlsClientTest, ResumesSessionsWithTls13AndTls12) {
  for (const char* version : {"TLSv1.3", "TLSv1.2"}) {
    SCOPED_TRACE(version);
    serve("server-ec", false, {}, {version});
    auto context = must_create(trusting("ca.crt"));
    auto first = connect(*context, "localhost");
    ASSERT_TRUE(first.client) << first.failure;
    ASSERT_TRUE(first.server);
    EXPECT_TRUE(testing::run(io_, ping(**first.server, **first.client)));
    EXPECT_FALSE(SSL_session_reused((*first.client)->native_handle()));

    auto second = connect(*context, "localhost");
    ASSERT_TRUE(second.client) << second.failure;
    EXPECT_TRUE(SSL_session_reused((*second.client)->native_handle()));
    // Another server name is another session.
    auto other = connect(*context, "127.0.0.1");
    ASSERT_TRUE(other.client) << other.failure;
    EXPECT_FALSE(SSL_session_reused((*other.client)->native_handle()));
    EXPECT_EQ(context->stats().handshakes, 3u);
    EXPECT_EQ(context->stats().resumed, 1u);
  }
}

TEST_F(TlsClientTest, OffersAlpn) {
  serve("server-ec", false, {"h2", "http/1.1"});
  auto options = trusting("ca.crt");
  options.alpn = {"h2"};
  auto h2 = connect(*must_create(options), "localhost");
  ASSERT_TRUE(h2.client) << h2.failure;
  EXPECT_EQ((*h2.client)->alpn(), "h2");

  auto none = connect(*must_create(trusting("ca.crt")), "localhost");
  ASSERT_TRUE(none.client) << none.failure;
  EXPECT_EQ((*none.client)->alpn(), "");
}

TEST_F(TlsClientTest, ReloadsTheTrustBundleWhenItChanges) {
  serve("server-ec");
  testing::TempDir dir;
  const std::string bundle = dir.file("bundle.pem");
  std::filesystem::copy_file(Certs::get().file("other-ca.crt"), bundle);
  TlsClientContextOptions options;
  options.trust_files = {bundle};
  options.reload_check_interval = 0ms;
  auto context = must_create(options);
  auto before = connect(*context, "localhost");
  EXPECT_FALSE(before.client);

  // A new file in place (as a Kubernetes secret update does: a new inode).
  const std::string next = dir.file("next.pem");
  std::filesystem::copy_file(Certs::get().file("ca.crt"), next);
  std::filesystem::rename(next, bundle);
  auto after = connect(*context, "localhost");
  EXPECT_TRUE(after.client) << after.failure;
  EXPECT_EQ(context->stats().reloads, 1u);

  // A broken file keeps the material that works.
  {
    std::ofstream out(next);
    out << "not a certificate\n";
  }
  std::filesystem::rename(next, bundle);
  auto kept = connect(*context, "localhost");
  EXPECT_TRUE(kept.client) << kept.failure;
  EXPECT_EQ(context->stats().reload_failures, 1u);
}

TEST_F(TlsClientTest, NamesEveryBadOption) {
  auto missing = trusting("ca.crt");
  missing.trust_files.push_back("/nonexistent/ca.pem");
  auto errors = create_errors(missing);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "trust certificates /nonexistent/ca.pem: No such file or directory");

  auto mismatch = trusting("ca.crt");
  mismatch.cert_path = Certs::get().file("client.crt");
  mismatch.key_path = Certs::get().file("server-ec.key");
  errors = create_errors(mismatch);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("do not match"), std::string::npos) << errors[0];
  EXPECT_EQ(errors[0].rfind("clientAuth.certPath ", 0), 0u) << errors[0];

  TlsClientContextOptions lax;
  lax.verify = false;
  lax.cert_path = Certs::get().file("client.crt");
  lax.key_path = Certs::get().file("client.key");
  lax.protocols = {"TLSv1.1"};
  errors = create_errors(lax);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "clientAuth: cannot be used with disableValidation");
  EXPECT_EQ(errors[1],
            "protocols[0]: unsupported protocol \"TLSv1.1\" (supported: TLSv1.2, TLSv1.3)");
}

}  // namespace
}  // namespace meshd::transport
