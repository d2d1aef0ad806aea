#include "meshd/transport/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/address.hpp>

#include <cerrno>
#include <cstring>
#include <utility>

#include "meshd/core/log.h"
#include "meshd/core/timeout.h"

namespace meshd::transport {

using tcp = asio::ip::tcp;

/// The BIO between OpenSSL and the stream's socket: plain send/recv on the non-blocking
/// descriptor (MSG_NOSIGNAL on send, which OpenSSL's own socket BIO does not use).
struct SocketBio {
  static BIO_METHOD* method() {
    static BIO_METHOD* const kMethod = [] {
      BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "meshd socket");
      BIO_meth_set_write_ex(m, &SocketBio::write);
      BIO_meth_set_read_ex(m, &SocketBio::read);
      BIO_meth_set_ctrl(m, &SocketBio::ctrl);
      return m;
    }();
    return kMethod;
  }

  static TlsStream::BioState& state(BIO* bio) {
    return *static_cast<TlsStream::BioState*>(BIO_get_data(bio));
  }

  static int write(BIO* bio, const char* data, std::size_t size, std::size_t* written) {
    auto& s = state(bio);
    BIO_clear_retry_flags(bio);
    for (;;) {
      ssize_t n = ::send(s.fd, data, size, MSG_NOSIGNAL);
      if (n >= 0) {
        *written = static_cast<std::size_t>(n);
        return 1;
      }
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        BIO_set_retry_write(bio);
      } else {
        s.error = errno;
      }
      return 0;
    }
  }

  static int read(BIO* bio, char* data, std::size_t size, std::size_t* read) {
    auto& s = state(bio);
    BIO_clear_retry_flags(bio);
    for (;;) {
      ssize_t n = ::recv(s.fd, data, size, 0);
      if (n > 0) {
        *read = static_cast<std::size_t>(n);
        return 1;
      }
      if (n == 0) {
        s.eof = true;
        return 0;
      }
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        BIO_set_retry_read(bio);
      } else {
        s.error = errno;
      }
      return 0;
    }
  }

  static long ctrl(BIO* bio, int cmd, long /*num*/, void* /*ptr*/) {
    switch (cmd) {
      case BIO_CTRL_FLUSH:
        return 1;  // nothing is buffered here
      case BIO_CTRL_EOF:
        return state(bio).eof ? 1 : 0;  // lets OpenSSL tell a closed peer from a failure
      default:
        return 0;
    }
  }
};

void SslDeleter::operator()(ssl_st* ssl) const noexcept { SSL_free(ssl); }

std::string take_openssl_error(std::string_view fallback) {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) {
    return std::string(fallback);
  }
  const char* reason = ERR_reason_error_string(code);
  if (reason != nullptr) {
    return reason;
  }
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

TlsStream::TlsStream(tcp::socket socket, SslPtr ssl)
    : socket_(std::move(socket)), ssl_(std::move(ssl)) {
  boost::system::error_code ec;
  socket_.set_option(tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);
  remote_ = socket_.remote_endpoint(ec);
  local_ = socket_.local_endpoint(ec);
  bio_.fd = socket_.native_handle();
  BIO* bio = BIO_new(SocketBio::method());
  if (bio == nullptr) {
    failed_ = true;  // out of memory: the handshake fails
    return;
  }
  BIO_set_data(bio, &bio_);
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl_.get(), bio, bio);  // one reference, for both directions
}

TlsStream::~TlsStream() { close(); }

std::string_view TlsStream::alpn() const noexcept {
  const unsigned char* data = nullptr;
  unsigned int size = 0;
  SSL_get0_alpn_selected(ssl_.get(), &data, &size);
  return {reinterpret_cast<const char*>(data), size};
}

asio::awaitable<Result<void>> TlsStream::handshake() {
  if (failed_) {
    failure_ = take_openssl_error("cannot attach the socket");
    co_return make_error_code(errc::tls_handshake_failed);
  }
  for (;;) {
    ERR_clear_error();
    const int ret = SSL_do_handshake(ssl_.get());
    if (ret == 1) {
      co_return Result<void>{};
    }
    const int err = SSL_get_error(ssl_.get(), ret);
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
      failure_ = describe_failure(err);
      failed_ = true;
      co_return make_error_code(errc::tls_handshake_failed);
    }
    auto ec = co_await wait_for(err);
    if (ec) {
      co_return ec;
    }
  }
}

asio::awaitable<Result<std::size_t>> TlsStream::read_some(asio::mutable_buffer buf) {
  if (buf.size() == 0) {
    co_return 0;
  }
  for (;;) {
    ERR_clear_error();
    std::size_t n = 0;
    const int ret = SSL_read_ex(ssl_.get(), buf.data(), buf.size(), &n);
    if (ret == 1) {
      co_return n;
    }
    auto ec = co_await wait_for(SSL_get_error(ssl_.get(), ret));
    if (ec) {
      co_return ec;
    }
  }
}

asio::awaitable<Result<void>> TlsStream::write(std::span<const asio::const_buffer> bufs) {
  // Small pieces (a head, a chunk header, a chunk) go out as one record: one syscall and one
  // record overhead instead of one per piece. 16 KiB is the largest record payload.
  constexpr std::size_t kCoalesceLimit = 16 * 1024;
  const std::size_t total = asio::buffer_size(bufs);
  if (bufs.size() > 1 && total <= kCoalesceLimit) {
    std::string joined;
    joined.reserve(total);
    for (const auto& b : bufs) {
      joined.append(static_cast<const char*>(b.data()), b.size());
    }
    co_return co_await write_all(asio::buffer(joined));
  }
  for (const auto& b : bufs) {
    auto w = co_await write_all(b);
    if (!w) {
      co_return w;
    }
  }
  co_return Result<void>{};
}

asio::awaitable<Result<void>> TlsStream::write_all(asio::const_buffer buf) {
  while (buf.size() > 0) {
    ERR_clear_error();
    std::size_t n = 0;
    // Without SSL_MODE_ENABLE_PARTIAL_WRITE this succeeds only once all of `buf` is written;
    // a retry after WANT_WRITE passes the same buffer, as OpenSSL requires.
    const int ret = SSL_write_ex(ssl_.get(), buf.data(), buf.size(), &n);
    if (ret == 1) {
      buf += n;
      continue;
    }
    auto ec = co_await wait_for(SSL_get_error(ssl_.get(), ret));
    if (ec) {
      co_return ec;
    }
  }
  co_return Result<void>{};
}

asio::awaitable<boost::system::error_code> TlsStream::wait_for(int ssl_error) {
  if (ssl_error != SSL_ERROR_WANT_READ && ssl_error != SSL_ERROR_WANT_WRITE) {
    co_return fatal(ssl_error);
  }
  const auto type =
      ssl_error == SSL_ERROR_WANT_READ ? tcp::socket::wait_read : tcp::socket::wait_write;
  auto [ec] = co_await socket_.async_wait(type, use_nothrow);
  co_return ec;
}

boost::system::error_code TlsStream::fatal(int ssl_error) noexcept {
  if (ssl_error == SSL_ERROR_ZERO_RETURN) {
    // close_notify, or (SSL_OP_IGNORE_UNEXPECTED_EOF) a TCP close without one.
    ERR_clear_error();
    return asio::error::eof;
  }
  failed_ = true;
  if (ssl_error == SSL_ERROR_SYSCALL) {
    ERR_clear_error();
    if (bio_.error != 0) {
      return {bio_.error, boost::system::system_category()};
    }
    return asio::error::eof;
  }
  log::get("transport")
      ->debug("tls error peer={} error=\"{}\"", remote_.address().to_string(),
              take_openssl_error("unknown TLS error"));
  return asio::error::connection_reset;  // the peer broke the protocol: the stream is over
}

std::string TlsStream::describe_failure(int ssl_error) const {
  const long verify = SSL_get_verify_result(ssl_.get());
  if (verify != X509_V_OK) {
    ERR_clear_error();
    return std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
  }
  if (ssl_error == SSL_ERROR_SSL) {
    return take_openssl_error("TLS protocol error");
  }
  ERR_clear_error();
  if (bio_.error != 0) {
    return std::strerror(bio_.error);
  }
  return "connection closed by peer during the handshake";
}

void TlsStream::close() noexcept {
  if (!socket_.is_open()) {
    return;
  }
  if (!failed_ && SSL_is_init_finished(ssl_.get())) {
    // Best effort: the socket is non-blocking, so close_notify goes out only if the send
    // buffer has room, and the peer's close_notify is not awaited.
    ERR_clear_error();
    SSL_shutdown(ssl_.get());
    ERR_clear_error();
  }
  bio_.fd = -1;
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

void TlsStream::cancel() noexcept {
  boost::system::error_code ec;
  socket_.cancel(ec);
}

bool TlsStream::idle_alive() noexcept {
  if (!socket_.is_open() || failed_ || SSL_pending(ssl_.get()) > 0) {
    return false;
  }
  // A non-blocking peek processes whatever records arrived without consuming application data.
  ERR_clear_error();
  char byte;
  std::size_t n = 0;
  const int ret = SSL_peek_ex(ssl_.get(), &byte, 1, &n);
  if (ret == 1) {
    return false;  // unsolicited application data
  }
  const int err = SSL_get_error(ssl_.get(), ret);
  ERR_clear_error();
  if (err != SSL_ERROR_WANT_READ) {
    failed_ = err != SSL_ERROR_ZERO_RETURN;
    return false;
  }
  return true;
}

namespace {

using SslCtxPtr = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;

/// A client context trusting `options.ca_file` (or the system store), TLS 1.2 or later.
SslCtxPtr make_client_context(const TlsClientOptions& options, std::string& failure) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()), &SSL_CTX_free);
  if (!ctx || SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) != 1) {
    failure = take_openssl_error("cannot create a TLS context");
    return {nullptr, &SSL_CTX_free};
  }
  SSL_CTX_set_options(ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  if (!options.verify) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    return ctx;
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  int loaded = options.ca_file.empty()
                   ? SSL_CTX_set_default_verify_paths(ctx.get())
                   : SSL_CTX_load_verify_locations(ctx.get(), options.ca_file.c_str(), nullptr);
  if (loaded != 1) {
    failure =
        "cannot load CA file " + options.ca_file + ": " + take_openssl_error("no certificates");
    return {nullptr, &SSL_CTX_free};
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
      failure = take_openssl_error("cannot set the expected IP address");
      return false;
    }
    return true;
  }
  if (SSL_set_tlsext_host_name(ssl, options.server_name.c_str()) != 1) {
    failure = take_openssl_error("cannot set SNI");
    return false;
  }
  if (options.verify && SSL_set1_host(ssl, options.server_name.c_str()) != 1) {
    failure = take_openssl_error("cannot set the expected host name");
    return false;
  }
  return true;
}

asio::awaitable<Result<StreamPtr>> connect_and_handshake(tcp::endpoint endpoint,
                                                         TlsClientOptions options,
                                                         std::string* failure) {
  auto ctx = make_client_context(options, *failure);
  if (!ctx) {
    co_return make_error_code(errc::tls_handshake_failed);
  }
  SslPtr ssl(SSL_new(ctx.get()));  // holds its own reference to the context
  if (!ssl) {
    *failure = take_openssl_error("cannot create a TLS connection");
    co_return make_error_code(errc::tls_handshake_failed);
  }
  SSL_set_connect_state(ssl.get());
  if (!set_peer_name(ssl.get(), options, *failure)) {
    co_return make_error_code(errc::tls_handshake_failed);
  }
  tcp::socket socket(co_await asio::this_coro::executor);
  auto [cec] = co_await socket.async_connect(endpoint, use_nothrow);
  if (cec) {
    *failure = cec.message();
    co_return make_error_code(errc::connect_failed);
  }
  auto stream = std::make_unique<TlsStream>(std::move(socket), std::move(ssl));
  auto handshake = co_await stream->handshake();
  if (!handshake) {
    *failure = stream->failure();
    co_return handshake.error();
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
