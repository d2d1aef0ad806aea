#include "meshd/transport/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include <cerrno>
#include <utility>

#include "meshd/core/log.h"
#include "meshd/core/timeout.h"

namespace meshd::transport {

namespace {

namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

/// A `Stream` over TLS on a connected TCP socket. The context is owned here because the
/// `ssl::stream` refers to it for its whole life.
class TlsStream final : public Stream {
 public:
  TlsStream(ssl::context context, tcp::socket socket)
      : context_(std::move(context)), stream_(std::move(socket), context_) {
    boost::system::error_code ec;
    auto& sock = stream_.next_layer();
    sock.set_option(tcp::no_delay(true), ec);
    remote_ = sock.remote_endpoint(ec);
    local_ = sock.local_endpoint(ec);
  }

  ssl::stream<tcp::socket>& ssl_stream() noexcept { return stream_; }

  // transport::Stream
  asio::awaitable<Result<std::size_t>> read_some(asio::mutable_buffer buf) override {
    auto [ec, n] = co_await stream_.async_read_some(buf, use_nothrow);
    if (ec == ssl::error::stream_truncated) {
      // The peer closed TCP without close_notify: the HTTP framing above tells a truncated
      // message from a complete one, as it does for plain TCP (Beast treats it the same way).
      co_return make_error_code(asio::error::eof);
    }
    if (ec) {
      co_return ec;
    }
    co_return n;
  }

  asio::awaitable<Result<void>> write(std::span<const asio::const_buffer> bufs) override {
    auto [ec, n] = co_await asio::async_write(stream_, bufs, use_nothrow);
    (void)n;
    if (ec) {
      co_return ec;
    }
    co_return Result<void>{};
  }

  void close() noexcept override {
    // No close_notify: it would need an asynchronous shutdown, and every protocol we carry
    // frames its own messages.
    boost::system::error_code ec;
    auto& sock = stream_.next_layer();
    if (sock.is_open()) {
      sock.shutdown(tcp::socket::shutdown_both, ec);
      sock.close(ec);
    }
  }

  void cancel() noexcept override {
    boost::system::error_code ec;
    stream_.next_layer().cancel(ec);
  }

  bool is_open() const noexcept override { return stream_.next_layer().is_open(); }

  bool idle_alive() noexcept override {
    auto& sock = stream_.next_layer();
    if (!sock.is_open() || SSL_pending(stream_.native_handle()) > 0) {
      return false;
    }
    char byte;
    ssize_t n = ::recv(sock.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  tcp::endpoint remote_endpoint() const noexcept override { return remote_; }
  tcp::endpoint local_endpoint() const noexcept override { return local_; }

 private:
  ssl::context context_;
  ssl::stream<tcp::socket> stream_;
  tcp::endpoint remote_;
  tcp::endpoint local_;
};

/// The text of the first queued OpenSSL error (and clears the queue), or `fallback`.
std::string openssl_error(std::string fallback) {
  unsigned long code = ERR_get_error();
  if (code == 0) {
    return fallback;
  }
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

/// A client context trusting `options.ca_file` (or the system store), TLS 1.2 or later.
Result<ssl::context> make_context(const TlsClientOptions& options, std::string& failure) {
  ssl::context ctx(ssl::context::tls_client);
  SSL_CTX* native = ctx.native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
    failure = openssl_error("cannot set the minimum TLS version");
    return make_error_code(errc::tls_handshake_failed);
  }
  if (!options.verify) {
    ctx.set_verify_mode(ssl::verify_none);
    return ctx;
  }
  ctx.set_verify_mode(ssl::verify_peer);
  int loaded = options.ca_file.empty()
                   ? SSL_CTX_set_default_verify_paths(native)
                   : SSL_CTX_load_verify_locations(native, options.ca_file.c_str(), nullptr);
  if (loaded != 1) {
    failure = "cannot load CA file " + options.ca_file + ": " + openssl_error("no certificates");
    return make_error_code(errc::tls_handshake_failed);
  }
  return ctx;
}

/// Sets SNI (for names) and the identity the certificate must carry (DNS SAN or IP SAN).
bool set_peer_name(SSL* ssl, const TlsClientOptions& options, std::string& failure) {
  if (options.server_name.empty()) {
    return true;
  }
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(options.server_name, ec);
  if (!ec) {
    // RFC 6066: SNI carries host names only; an IP literal is verified against IP SANs.
    if (options.verify &&
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip.to_string().c_str()) != 1) {
      failure = openssl_error("cannot set the expected IP address");
      return false;
    }
    return true;
  }
  if (SSL_set_tlsext_host_name(ssl, options.server_name.c_str()) != 1) {
    failure = openssl_error("cannot set SNI");
    return false;
  }
  if (options.verify && SSL_set1_host(ssl, options.server_name.c_str()) != 1) {
    failure = openssl_error("cannot set the expected host name");
    return false;
  }
  return true;
}

/// Why a handshake failed, in OpenSSL's words: the verification result when that is the cause.
std::string handshake_failure(TlsStream& stream, const boost::system::error_code& ec) {
  long verify = SSL_get_verify_result(stream.ssl_stream().native_handle());
  if (verify != X509_V_OK) {
    return std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
  }
  ERR_clear_error();
  return ec.message();
}

asio::awaitable<Result<StreamPtr>> connect_and_handshake(tcp::endpoint endpoint,
                                                         TlsClientOptions options,
                                                         std::string* failure) {
  std::string why;
  auto ctx = make_context(options, why);
  if (!ctx) {
    *failure = std::move(why);
    co_return ctx.error();
  }
  tcp::socket socket(co_await asio::this_coro::executor);
  auto [cec] = co_await socket.async_connect(endpoint, use_nothrow);
  if (cec) {
    *failure = cec.message();
    co_return make_error_code(errc::connect_failed);
  }
  auto stream = std::make_unique<TlsStream>(std::move(*ctx), std::move(socket));
  if (!set_peer_name(stream->ssl_stream().native_handle(), options, why)) {
    *failure = std::move(why);
    co_return make_error_code(errc::tls_handshake_failed);
  }
  auto [hec] = co_await stream->ssl_stream().async_handshake(ssl::stream_base::client, use_nothrow);
  if (hec) {
    if (hec == asio::error::operation_aborted) {
      co_return hec;
    }
    *failure = handshake_failure(*stream, hec);
    co_return make_error_code(errc::tls_handshake_failed);
  }
  co_return StreamPtr(std::move(stream));
}

}  // namespace

asio::awaitable<Result<StreamPtr>> connect_tls(asio::ip::tcp::endpoint endpoint,
                                               const TlsClientOptions& options,
                                               std::chrono::milliseconds timeout,
                                               std::string* failure) {
  std::string why;
  auto r = co_await with_timeout(connect_and_handshake(endpoint, options, &why), timeout);
  if (!r && r.error() == make_error_code(errc::timeout)) {
    why = "timed out after " + std::to_string(timeout.count()) + " ms";
  }
  if (!r) {
    log::get("transport")
        ->debug("tls connect failed peer={} server_name={} error=\"{}\"",
                endpoint.address().to_string(), options.server_name, why);
    if (failure != nullptr) {
      *failure = std::move(why);
    }
  }
  co_return r;
}

}  // namespace meshd::transport
