#include "meshd/transport/tls_server.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "testing/run.h"
#include "unit/transport/certs.h"
#include "testing/temp_dir.h"

namespace meshd::transport {
namespace {

using namespace std::chrono_literals;
using tcp = asio::ip::tcp;

/// Server options for the `name` key pair of Certs.
TlsServerOptions server_options(const std::string& name) {
  TlsServerOptions options;
  options.cert_path = Certs::get().file(name + ".crt");
  options.key_path = Certs::get().file(name + ".key");
  return options;
}

std::shared_ptr<TlsServerContext> must_create(TlsServerOptions options) {
  std::vector<std::string> errors;
  auto context = TlsServerContext::create(std::move(options), errors);
  EXPECT_TRUE(context) << (errors.empty() ? "" : errors.front());
  return context;
}

/// The errors of a configuration expected to fail.
std::vector<std::string> create_errors(TlsServerOptions options) {
  std::vector<std::string> errors;
  auto context = TlsServerContext::create(std::move(options), errors);
  EXPECT_FALSE(context);
  return errors;
}

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const noexcept { SSL_CTX_free(ctx); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

/// How the test client connects: OpenSSL directly, so that tests control every knob.
struct ClientOptions {
  std::string ca = "ca.crt";  // a Certs name; "" skips verification
  std::string cert;           // a Certs key pair name for a client certificate; "" none
  int max_version = 0;        // 0: OpenSSL's maximum
  std::vector<std::string> alpn;
  SSL_SESSION* session = nullptr;  // to resume
};

ClientOptions with_cert(std::string name) {
  ClientOptions o;
  o.cert = std::move(name);
  return o;
}

ClientOptions with_max_version(int version, SSL_SESSION* session = nullptr) {
  ClientOptions o;
  o.max_version = version;
  o.session = session;
  return o;
}

ClientOptions with_alpn(std::vector<std::string> alpn) {
  ClientOptions o;
  o.alpn = std::move(alpn);
  return o;
}

struct Client {
  std::unique_ptr<TlsStream> stream;
  Result<void> handshake = make_error_code(errc::connect_failed);
};

SslCtxPtr client_context(const ClientOptions& o) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  SSL_CTX_set_max_proto_version(ctx.get(), o.max_version);
  if (!o.ca.empty()) {
    SSL_CTX_load_verify_locations(ctx.get(), Certs::get().file(o.ca).c_str(), nullptr);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  }
  if (!o.cert.empty()) {
    SSL_CTX_use_certificate_chain_file(ctx.get(), Certs::get().file(o.cert + ".crt").c_str());
    SSL_CTX_use_PrivateKey_file(ctx.get(), Certs::get().file(o.cert + ".key").c_str(),
                                SSL_FILETYPE_PEM);
  }
  std::string wire;
  for (const auto& p : o.alpn) {
    wire.push_back(static_cast<char>(p.size()));
    wire.append(p);
  }
  if (!wire.empty()) {
    SSL_CTX_set_alpn_protos(ctx.get(), reinterpret_cast<const unsigned char*>(wire.data()),
                            static_cast<unsigned int>(wire.size()));
  }
  return ctx;
}

asio::awaitable<Client> tls_connect(tcp::endpoint endpoint, ClientOptions options) {
  Client out;
  tcp::socket socket(co_await asio::this_coro::executor);
  auto [ec] = co_await socket.async_connect(endpoint, use_nothrow);
  if (ec) {
    co_return out;
  }
  auto ctx = client_context(options);
  SslPtr ssl(SSL_new(ctx.get()));
  SSL_set_connect_state(ssl.get());
  SSL_set1_host(ssl.get(), "localhost");
  SSL_set_tlsext_host_name(ssl.get(), "localhost");
  if (options.session != nullptr) {
    SSL_set_session(ssl.get(), options.session);
  }
  out.stream = std::make_unique<TlsStream>(std::move(socket), std::move(ssl));
  out.handshake = co_await out.stream->handshake();
  co_return out;
}

using Accepted = Result<std::unique_ptr<TlsStream>>;

asio::awaitable<Accepted> accept_one(tcp::acceptor& acceptor,
                                     std::shared_ptr<TlsServerContext> context,
                                     std::chrono::milliseconds timeout) {
  auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
  if (ec) {
    co_return ec;
  }
  co_return co_await accept_tls(std::move(socket), std::move(context), timeout);
}

asio::awaitable<Result<void>> write_text(Stream& stream, std::string text) {
  std::array<asio::const_buffer, 1> bufs{asio::buffer(text)};
  co_return co_await stream.write(bufs);
}

/// Reads until `stop` appears in what was read, or to the end ("<error>" appended).
asio::awaitable<std::string> read_until(Stream& stream, std::string stop) {
  std::string out;
  char buf[4096];
  while (stop.empty() || out.find(stop) == std::string::npos) {
    auto n = co_await stream.read_some(asio::buffer(buf));
    if (!n) {
      out += "<" + n.error().message() + ">";
      break;
    }
    out.append(buf, *n);
  }
  co_return out;
}

std::string subject_cn(X509* cert) {
  if (cert == nullptr) {
    return "<none>";
  }
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  return cn;
}

std::string peer_cn(const TlsStream& stream) {
  return subject_cn(SSL_get0_peer_certificate(stream.native_handle()));
}

class TlsServerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(Certs::get().ok()) << "gen_server_certs.sh failed"; }

  /// One handshake: the server side on `context`, the client side with `options`.
  struct Pair {
    Client client;
    Accepted server = make_error_code(errc::connect_failed);
  };
  Pair handshake(std::shared_ptr<TlsServerContext> context, ClientOptions options = {},
                 std::chrono::milliseconds timeout = 2s) {
    auto server = std::make_shared<std::optional<Accepted>>();
    asio::co_spawn(io_, accept_one(acceptor_, std::move(context), timeout),
                   [server](std::exception_ptr, Accepted r) { server->emplace(std::move(r)); });
    Pair out;
    out.client = testing::run(io_, tls_connect(endpoint(), std::move(options)));
    testing::run_until(io_, [&] { return server->has_value(); });
    EXPECT_TRUE(server->has_value()) << "the server side did not finish";
    if (server->has_value()) {
      out.server = std::move(**server);
    }
    return out;
  }

  /// The common name of the certificate a fresh connection to `context` is served.
  std::string served_cn(std::shared_ptr<TlsServerContext> context) {
    auto pair = handshake(std::move(context));
    EXPECT_TRUE(pair.client.handshake) << pair.client.stream->failure();
    return pair.client.handshake ? peer_cn(*pair.client.stream) : "<failed>";
  }

  tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }

  asio::io_context io_;
  tcp::acceptor acceptor_{io_, {asio::ip::make_address("127.0.0.1"), 0}};
};

TEST_F(TlsServerTest, ServesAnHttpExchangeAndClosesWithCloseNotify) {
  auto pair = handshake(must_create(server_options("server-ec")));
  ASSERT_TRUE(pair.client.handshake) << pair.client.stream->failure();
  ASSERT_TRUE(pair.server) << pair.server.error().message();
  TlsStream& client = *pair.client.stream;
  TlsStream& server = **pair.server;

  auto sent = testing::run(io_, write_text(client, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  auto request = testing::run(io_, read_until(server, "\r\n\r\n"));
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
  std::array<asio::const_buffer, 2> response{asio::buffer(head), asio::buffer("hello", 5)};
  auto written = testing::run(io_, server.write(response));
  server.close();
  auto received = testing::run(io_, read_until(client, ""));

  EXPECT_TRUE(sent);
  EXPECT_EQ(request, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_TRUE(written);
  EXPECT_EQ(received, head + "hello<End of file>");
  EXPECT_TRUE(SSL_get_shutdown(client.native_handle()) & SSL_RECEIVED_SHUTDOWN);
  EXPECT_EQ(peer_cn(client), "server-ec");
  EXPECT_EQ(server.remote_endpoint(), client.local_endpoint());
}

TEST_F(TlsServerTest, StreamsAMegabyte) {
  auto pair = handshake(must_create(server_options("server-ec")));
  ASSERT_TRUE(pair.server);
  const std::string big(1 << 20, 'x');

  auto sent = std::make_shared<std::optional<Result<void>>>();
  asio::co_spawn(io_, write_text(**pair.server, big),
                 [sent](std::exception_ptr, Result<void> r) { sent->emplace(r); });
  std::string got;
  char buf[16384];
  while (got.size() < big.size()) {
    auto n = testing::run(io_, pair.client.stream->read_some(asio::buffer(buf)));
    ASSERT_TRUE(n) << n.error().message();
    got.append(buf, *n);
  }
  testing::run_until(io_, [&] { return sent->has_value(); });

  ASSERT_TRUE(sent->has_value());
  EXPECT_TRUE(**sent);
  EXPECT_EQ(got, big);
}

TEST_F(TlsServerTest, LoadsRsaKeysInPkcs8AndPkcs1) {
  auto pkcs1 = server_options("server-rsa");
  pkcs1.key_path = Certs::get().file("server-rsa.pkcs1.key");

  EXPECT_EQ(served_cn(must_create(server_options("server-rsa"))), "server-rsa");
  EXPECT_EQ(served_cn(must_create(pkcs1)), "server-rsa");
}

TEST_F(TlsServerTest, LoadsEcKeysInPkcs8AndSec1) {
  auto sec1 = server_options("server-ec");
  sec1.key_path = Certs::get().file("server-ec.sec1.key");

  EXPECT_EQ(served_cn(must_create(server_options("server-ec"))), "server-ec");
  EXPECT_EQ(served_cn(must_create(sec1)), "server-ec");
}

TEST_F(TlsServerTest, SendsTheIntermediateChain) {
  auto with_chain = server_options("server-inter");
  with_chain.intermediate_certs_path = Certs::get().file("inter.crt");

  auto without = handshake(must_create(server_options("server-inter")));
  auto with = handshake(must_create(with_chain));

  ASSERT_FALSE(without.client.handshake);  // the client trusts only the root
  EXPECT_EQ(without.client.stream->failure(),
            "certificate verify failed: unable to get local issuer certificate");
  ASSERT_TRUE(with.client.handshake) << with.client.stream->failure();
  EXPECT_EQ(peer_cn(*with.client.stream), "server-inter");
}

TEST_F(TlsServerTest, CertPathMayCarryTheChain) {
  testing::TempDir dir;
  dir.write("chain.crt", Certs::get().read("server-inter.crt") + Certs::get().read("inter.crt"));
  auto options = server_options("server-inter");
  options.cert_path = dir.file("chain.crt");

  EXPECT_EQ(served_cn(must_create(options)), "server-inter");
}

TEST_F(TlsServerTest, RequiredClientAuthRejectsAClientWithoutCertificate) {
  auto options = server_options("server-ec");
  options.ca_cert_path = Certs::get().file("ca.crt");
  options.require_client_auth = true;
  auto context = must_create(options);

  auto pair = handshake(context);

  ASSERT_FALSE(pair.server);
  EXPECT_EQ(pair.server.error(), make_error_code(errc::tls_handshake_failed));
  EXPECT_EQ(context->stats().handshake_failures, 1u);
  EXPECT_EQ(context->stats().handshakes, 0u);
}

TEST_F(TlsServerTest, RequiredClientAuthAcceptsACertificateSignedByCaCertPath) {
  auto options = server_options("server-ec");
  options.ca_cert_path = Certs::get().file("ca.crt");
  options.require_client_auth = true;
  auto context = must_create(options);

  auto pair = handshake(context, with_cert("client"));

  ASSERT_TRUE(pair.server) << pair.server.error().message();
  EXPECT_EQ(peer_cn(**pair.server), "client");
  EXPECT_EQ(context->stats().handshakes, 1u);
}

TEST_F(TlsServerTest, RequiredClientAuthRejectsACertificateFromAnotherCa) {
  auto options = server_options("server-ec");
  options.ca_cert_path = Certs::get().file("ca.crt");
  options.require_client_auth = true;

  auto pair = handshake(must_create(options), with_cert("other-client"));

  ASSERT_FALSE(pair.server);
  EXPECT_EQ(pair.server.error(), make_error_code(errc::tls_handshake_failed));
}

TEST_F(TlsServerTest, WithoutRequiredClientAuthNoCertificateIsRequested) {
  auto options = server_options("server-ec");
  options.ca_cert_path = Certs::get().file("ca.crt");

  auto pair = handshake(must_create(options), with_cert("client"));

  ASSERT_TRUE(pair.server);
  EXPECT_EQ(peer_cn(**pair.server), "<none>");  // Finagle ClientAuth.Off
}

TEST_F(TlsServerTest, ProtocolsRestrictTheVersion) {
  auto tls13 = server_options("server-ec");
  tls13.protocols = {"TLSv1.3"};
  auto tls12 = server_options("server-ec");
  tls12.protocols = {"TLSv1.2"};

  auto refused = handshake(must_create(tls13), with_max_version(TLS1_2_VERSION));
  auto downgraded = handshake(must_create(tls12));
  auto both = handshake(must_create(server_options("server-ec")));

  EXPECT_FALSE(refused.server);
  EXPECT_FALSE(refused.client.handshake);
  ASSERT_TRUE(downgraded.client.handshake);
  EXPECT_EQ(SSL_version(downgraded.client.stream->native_handle()), TLS1_2_VERSION);
  ASSERT_TRUE(both.client.handshake);
  EXPECT_EQ(SSL_version(both.client.stream->native_handle()), TLS1_3_VERSION);
}

TEST_F(TlsServerTest, CiphersRestrictTheSuiteByOpenSslOrIanaName) {
  auto openssl_name = server_options("server-ec");
  openssl_name.ciphers = {"ECDHE-ECDSA-AES256-GCM-SHA384"};
  auto iana_name = server_options("server-ec");
  iana_name.ciphers = {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"};
  auto tls13_suite = server_options("server-ec");
  tls13_suite.ciphers = {"TLS_AES_256_GCM_SHA384"};

  auto a = handshake(must_create(openssl_name));
  auto b = handshake(must_create(iana_name));
  auto c = handshake(must_create(tls13_suite));

  ASSERT_TRUE(a.client.handshake && b.client.handshake && c.client.handshake);
  // No TLS 1.3 suite listed: TLS 1.3 is not offered (as with JSSE), and the reverse.
  EXPECT_EQ(SSL_version(a.client.stream->native_handle()), TLS1_2_VERSION);
  EXPECT_STREQ(SSL_get_cipher_name(a.client.stream->native_handle()),
               "ECDHE-ECDSA-AES256-GCM-SHA384");
  EXPECT_STREQ(SSL_get_cipher_name(b.client.stream->native_handle()),
               "ECDHE-ECDSA-AES128-GCM-SHA256");
  EXPECT_EQ(SSL_version(c.client.stream->native_handle()), TLS1_3_VERSION);
  EXPECT_STREQ(SSL_get_cipher_name(c.client.stream->native_handle()), "TLS_AES_256_GCM_SHA384");
}

TEST_F(TlsServerTest, ConfigurationErrorsNameTheOption) {
  auto bad_protocol = server_options("server-ec");
  bad_protocol.protocols = {"TLSv1.2", "TLSv1.1"};
  auto bad_cipher = server_options("server-ec");
  bad_cipher.ciphers = {"ECDHE-ECDSA-AES128-GCM-SHA256", "FOO"};
  auto no_usable_cipher = server_options("server-ec");
  no_usable_cipher.protocols = {"TLSv1.3"};
  no_usable_cipher.ciphers = {"ECDHE-ECDSA-AES128-GCM-SHA256"};
  auto bad_alpn = server_options("server-ec");
  bad_alpn.alpn = {"h2", ""};
  auto all_bad = bad_cipher;
  all_bad.cert_path.clear();
  all_bad.protocols = {"SSLv3"};

  EXPECT_EQ(create_errors(bad_protocol),
            std::vector<std::string>{
                R"(protocols[1]: unsupported protocol "TLSv1.1" (supported: TLSv1.2, TLSv1.3))"});
  EXPECT_EQ(create_errors(bad_cipher),
            std::vector<std::string>{R"(ciphers[1]: unknown cipher "FOO")"});
  EXPECT_EQ(
      create_errors(no_usable_cipher),
      std::vector<std::string>{"ciphers: none of them can be used with the enabled protocols"});
  EXPECT_EQ(create_errors(bad_alpn),
            std::vector<std::string>{"alpn[1]: a protocol name has 1 to 255 bytes"});
  EXPECT_EQ(create_errors(all_bad).size(), 3u);  // every problem is reported at once
}

TEST_F(TlsServerTest, FileErrorsNameTheFileAndTheReason) {
  const auto& certs = Certs::get();
  struct Case {
    std::string cert, key, intermediate, ca;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"server-ec.crt", "server-two.key", "", "",
       "certPath " + certs.file("server-ec.crt") + " and keyPath " + certs.file("server-two.key") +
           " do not match"},
      {"server-ec.crt", "missing.key", "", "",
       "keyPath " + certs.file("missing.key") + ": No such file or directory"},
      {"server-ec.crt", "server-ec.crt", "", "",
       "keyPath " + certs.file("server-ec.crt") + ": no private key found"},
      {"server-ec.crt", "server-ec.enc.key", "", "",
       "keyPath " + certs.file("server-ec.enc.key") + ": encrypted private keys are not supported"},
      {"server-ec.key", "server-ec.key", "", "",
       "certPath " + certs.file("server-ec.key") + ": no certificate found"},
      {"server-ec.crt", "server-ec.key", "missing.crt", "",
       "intermediateCertsPath " + certs.file("missing.crt") + ": No such file or directory"},
      {"server-ec.crt", "server-ec.key", "", "client.key",
       "caCertPath " + certs.file("client.key") + ": no certificate found"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.error);
    TlsServerOptions options;
    options.cert_path = certs.file(c.cert);
    options.key_path = certs.file(c.key);
    options.intermediate_certs_path = c.intermediate.empty() ? "" : certs.file(c.intermediate);
    options.ca_cert_path = c.ca.empty() ? "" : certs.file(c.ca);

    EXPECT_EQ(create_errors(options), std::vector<std::string>{c.error});
  }
  EXPECT_EQ(create_errors({}),
            (std::vector<std::string>{"certPath: required", "keyPath: required"}));
}

TEST_F(TlsServerTest, ACorruptCertificateReportsOpenSslsReason) {
  testing::TempDir dir;
  dir.write("bad.crt",
            "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
  auto options = server_options("server-ec");
  options.cert_path = dir.file("bad.crt");

  auto errors = create_errors(options);

  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("certPath " + dir.file("bad.crt") + ": certificate 1: ", 0), 0u)
      << errors[0];
}

/// Reload tests serve copies of the key pairs from a directory they can rewrite.
class TlsServerReloadTest : public TlsServerTest {
 protected:
  void install(const std::string& name) {
    dir_.replace("server.crt", Certs::get().read(name + ".crt"));
    dir_.replace("server.key", Certs::get().read(name + ".key"));
  }
  std::shared_ptr<TlsServerContext> context() {
    install("server-ec");
    TlsServerOptions options;
    options.cert_path = dir_.file("server.crt");
    options.key_path = dir_.file("server.key");
    options.reload_check_interval = 0ms;  // check on every handshake
    return must_create(options);
  }
  testing::TempDir dir_;
};

TEST_F(TlsServerReloadTest, NewHandshakesUseReplacedFilesAndOldConnectionsKeepWorking) {
  auto ctx = context();
  auto before = handshake(ctx);
  ASSERT_TRUE(before.server);

  install("server-two");
  auto after_cn = served_cn(ctx);
  auto sent = testing::run(io_, write_text(*before.client.stream, "still here"));
  auto got = testing::run(io_, read_until(**before.server, "here"));

  EXPECT_EQ(peer_cn(*before.client.stream), "server-ec");
  EXPECT_EQ(after_cn, "server-two");
  EXPECT_TRUE(sent);
  EXPECT_EQ(got, "still here");
  EXPECT_EQ(ctx->stats().reloads, 1u);
}

TEST_F(TlsServerReloadTest, AFailedReloadKeepsThePreviousMaterialUntilTheFilesAreFixed) {
  auto ctx = context();

  dir_.replace("server.crt", Certs::get().read("server-two.crt"));  // key not replaced yet
  auto mismatched = served_cn(ctx);
  dir_.replace("server.key", "garbage");
  auto garbage = served_cn(ctx);
  install("server-two");
  auto fixed = served_cn(ctx);

  EXPECT_EQ(mismatched, "server-ec");
  EXPECT_EQ(garbage, "server-ec");
  EXPECT_EQ(fixed, "server-two");
  EXPECT_EQ(ctx->stats().reload_failures, 2u);
  EXPECT_EQ(ctx->stats().reloads, 1u);
}

TEST_F(TlsServerReloadTest, FilesAreCheckedAtMostOncePerInterval) {
  install("server-ec");
  TlsServerOptions options;
  options.cert_path = dir_.file("server.crt");
  options.key_path = dir_.file("server.key");
  options.reload_check_interval = 1h;
  auto ctx = must_create(options);

  install("server-two");

  EXPECT_EQ(served_cn(ctx), "server-ec");
  EXPECT_EQ(ctx->stats().reloads, 0u);
}

TEST_F(TlsServerTest, ASilentClientTimesOutTheHandshakeAndIsClosed) {
  auto context = must_create(server_options("server-ec"));
  auto server = std::make_shared<std::optional<Accepted>>();
  asio::co_spawn(io_, accept_one(acceptor_, context, 100ms),
                 [server](std::exception_ptr, Accepted r) { server->emplace(std::move(r)); });
  tcp::socket silent(io_);
  silent.connect(endpoint());
  const timeval two_seconds{2, 0};  // the read below fails the test rather than hang it
  setsockopt(silent.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &two_seconds, sizeof two_seconds);

  testing::run_until(io_, [&] { return server->has_value(); });
  char byte;
  boost::system::error_code ec;
  silent.read_some(asio::buffer(&byte, 1), ec);  // the server closed its end

  ASSERT_TRUE(server->has_value());
  EXPECT_EQ((*server)->error(), make_error_code(errc::timeout));
  EXPECT_EQ(ec, asio::error::eof);
  EXPECT_EQ(context->stats().handshake_failures, 1u);
}

TEST_F(TlsServerTest, APlaintextClientFailsTheHandshake) {
  auto server = std::make_shared<std::optional<Accepted>>();
  asio::co_spawn(io_, accept_one(acceptor_, must_create(server_options("server-ec")), 2s),
                 [server](std::exception_ptr, Accepted r) { server->emplace(std::move(r)); });
  tcp::socket plain(io_);
  plain.connect(endpoint());
  asio::write(plain, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: a\r\n\r\n")));

  testing::run_until(io_, [&] { return server->has_value(); });

  ASSERT_TRUE(server->has_value());
  EXPECT_EQ((*server)->error(), make_error_code(errc::tls_handshake_failed));
}

TEST_F(TlsServerTest, NegotiatesAlpnByServerPreference) {
  auto options = server_options("server-ec");
  options.alpn = {"h2", "http/1.1"};
  auto context = must_create(options);

  auto h1 = handshake(context, with_alpn({"http/1.1"}));
  auto h2 = handshake(context, with_alpn({"http/1.1", "h2"}));
  auto none = handshake(context, with_alpn({"spdy/3"}));

  ASSERT_TRUE(h1.server && h2.server && none.server);
  EXPECT_EQ((*h1.server)->alpn(), "http/1.1");
  EXPECT_EQ(h1.client.stream->alpn(), "http/1.1");
  EXPECT_EQ((*h2.server)->alpn(), "h2");
  EXPECT_EQ((*none.server)->alpn(), "");  // no common protocol: no ALPN, still connected
  EXPECT_TRUE(none.client.handshake);
}

TEST_F(TlsServerTest, ResumesSessionsWithTls12AndTls13) {
  auto context = must_create(server_options("server-ec"));
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SCOPED_TRACE(version);
    auto first = handshake(context, with_max_version(version));
    ASSERT_TRUE(first.server);
    // TLS 1.3 tickets arrive after the handshake: let the client read them.
    testing::run(io_, write_text(**first.server, "x"));
    testing::run(io_, read_until(*first.client.stream, "x"));
    SSL_SESSION* session = SSL_get1_session(first.client.stream->native_handle());

    auto second = handshake(context, with_max_version(version, session));
    SSL_SESSION_free(session);

    ASSERT_TRUE(second.server);
    EXPECT_TRUE(SSL_session_reused(second.client.stream->native_handle()));
    EXPECT_TRUE(SSL_session_reused((*second.server)->native_handle()));
  }
}

TEST_F(TlsServerTest, CancelAbortsAPendingRead) {
  auto pair = handshake(must_create(server_options("server-ec")));
  ASSERT_TRUE(pair.server);
  auto read = std::make_shared<std::optional<Result<std::size_t>>>();
  auto buf = std::make_shared<std::array<char, 16>>();
  asio::co_spawn(io_, (*pair.server)->read_some(asio::buffer(*buf)),
                 [read](std::exception_ptr, Result<std::size_t> r) { read->emplace(r); });
  io_.restart();
  io_.poll();  // the read starts and waits for the socket
  ASSERT_FALSE(read->has_value());

  (*pair.server)->cancel();
  testing::run_until(io_, [&] { return read->has_value(); });

  ASSERT_TRUE(read->has_value());
  EXPECT_EQ((*read)->error(), asio::error::operation_aborted);
}

TEST_F(TlsServerTest, IdleAliveTellsAnIdleConnectionFromAClosedOne) {
  auto pair = handshake(must_create(server_options("server-ec")));
  ASSERT_TRUE(pair.server);
  TlsStream& client = *pair.client.stream;

  // The TLS 1.3 session tickets the server sent are not application data: still alive.
  const bool alive_when_idle = client.idle_alive();
  (*pair.server)->close();
  testing::run_until(io_, [&] { return !client.idle_alive(); });

  EXPECT_TRUE(alive_when_idle);
  EXPECT_FALSE(client.idle_alive());
}

TEST_F(TlsServerTest, OpensslSClientCompletesAnExchange) {
  auto options = server_options("server-ec");
  options.alpn = {"http/1.1"};
  auto context = must_create(options);
  auto server = std::make_shared<std::optional<Accepted>>();
  asio::co_spawn(io_, accept_one(acceptor_, context, 5s),
                 [server](std::exception_ptr, Accepted r) { server->emplace(std::move(r)); });
  std::atomic<bool> done = false;
  std::string output;
  std::thread client([&] {
    const std::string cmd =
        "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | openssl s_client -connect " +
        endpoint().address().to_string() + ":" + std::to_string(endpoint().port()) + " -CAfile " +
        Certs::get().file("ca.crt") + " -verify_hostname localhost -alpn http/1.1 -ign_eof 2>&1";
    FILE* pipe = popen(cmd.c_str(), "r");
    char buf[4096];
    for (std::size_t n; pipe != nullptr && (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) {
      output.append(buf, n);
    }
    if (pipe != nullptr) {
      pclose(pipe);
    }
    done = true;
  });

  testing::run_until(io_, [&] { return server->has_value(); });
  const bool accepted = server->has_value() && **server;
  std::string request;
  if (accepted) {
    TlsStream& stream = *server->value().value();
    request = testing::run(io_, read_until(stream, "\r\n\r\n"));
    testing::run(io_, write_text(stream, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    stream.close();
  }
  testing::run_until(io_, [&] { return done.load(); });
  client.join();

  ASSERT_TRUE(accepted) << output;
  EXPECT_EQ(request, "GET / HTTP/1.0\r\n\r\n");
  EXPECT_NE(output.find("ALPN protocol: http/1.1"), std::string::npos) << output;
  EXPECT_NE(output.find("Verify return code: 0 (ok)"), std::string::npos) << output;
  EXPECT_NE(output.find("\r\n\r\nok"), std::string::npos) << output;
}

}  // namespace
}  // namespace meshd::transport
