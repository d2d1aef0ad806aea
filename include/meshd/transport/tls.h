#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "meshd/core/asio.h"
#include "meshd/core/result.h"
#include "meshd/transport/stream.h"

struct ssl_st;  // OpenSSL's SSL

namespace meshd::transport {

/// Frees an OpenSSL `SSL` (and the BIO attached to it).
struct SslDeleter {
  void operator()(ssl_st* ssl) const noexcept;
};

/// An owned OpenSSL connection object.
using SslPtr = std::unique_ptr<ssl_st, SslDeleter>;

/// A `Stream` speaking TLS on a connected TCP socket, for both sides (`connect_tls`,
/// `accept_tls`). OpenSSL reads and writes the non-blocking socket directly through a small
/// BIO that sends with MSG_NOSIGNAL (a reset peer cannot raise SIGPIPE); the stream waits for
/// readiness with the socket's `async_wait`. Buffers stay small: no BIO pair and no staging
/// buffers, and the contexts set SSL_MODE_RELEASE_BUFFERS, so an idle connection holds a few KB.
///
/// Lives on one worker: every call, and every await, on the executor of the socket. A read and
/// a write may be pending at the same time. Cancellation of a pending operation aborts it with
/// `operation_aborted`; a write cancelled in the middle of a record leaves the stream unusable
/// (close it). A peer that closes TCP without close_notify ends the stream with `eof` like a
/// clean close: every protocol we carry frames its own messages, as Beast also assumes.
class TlsStream final : public Stream {
 public:
  /// Takes `socket` (connected) and `ssl` (configured for its side: connect or accept state,
  /// SNI, verification); the socket is made non-blocking and attached to `ssl`.
  TlsStream(asio::ip::tcp::socket socket, SslPtr ssl);
  /// Closes as `close()` does.
  ~TlsStream() override;
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  /// Performs the handshake for the side `ssl` was set up for. Call once, before any read or
  /// write. Errors: `errc::tls_handshake_failed` (then `failure()` says why), or the socket's
  /// error on cancellation (`operation_aborted`).
  asio::awaitable<Result<void>> handshake();
  /// Why the handshake failed, in OpenSSL's words: `certificate verify failed: <reason>` when
  /// verification failed, else the library's reason (`peer did not return a certificate`,
  /// `unsupported protocol`, `no shared cipher`) or the socket error. Empty before a failure.
  const std::string& failure() const noexcept { return failure_; }
  /// The protocol ALPN selected (`h2`, `http/1.1`), or "" when none was negotiated.
  std::string_view alpn() const noexcept;
  /// The OpenSSL connection, for inspection (peer certificate, cipher, session). Owned here.
  ssl_st* native_handle() const noexcept { return ssl_.get(); }
  /// The underlying TCP socket, for readiness waits and peeks (it carries TLS records: never
  /// read or write it directly).
  asio::ip::tcp::socket& socket() noexcept override { return socket_; }

  // transport::Stream
  asio::awaitable<Result<std::size_t>> read_some(asio::mutable_buffer buf) override;
  asio::awaitable<Result<void>> write(std::span<const asio::const_buffer> bufs) override;
  /// Sends close_notify if the socket can take it at once (never waits for it, nor for the
  /// peer's), then closes the socket.
  void close() noexcept override;
  void cancel() noexcept override;
  bool is_open() const noexcept override { return socket_.is_open(); }
  /// Also processes records that arrived while idle (a TLS 1.3 session ticket keeps the
  /// connection alive; close_notify or application data does not).
  bool idle_alive() noexcept override;
  asio::ip::tcp::endpoint remote_endpoint() const noexcept override { return remote_; }
  asio::ip::tcp::endpoint local_endpoint() const noexcept override { return local_; }

 private:
  friend struct SocketBio;  // the BIO callbacks (tls.cc)

  /// What the socket BIO shares with the stream.
  struct BioState {
    int fd = -1;    // -1 once closed, so a stale (reused) descriptor is never touched
    int error = 0;  // errno of the last failed send or recv
    bool eof = false;
  };

  asio::awaitable<Result<void>> write_all(asio::const_buffer buf);
  /// After an SSL call failed with `ssl_error`: waits for the readiness it asked for (an
  /// empty code: call again), or returns the error that ends the operation.
  asio::awaitable<boost::system::error_code> wait_for(int ssl_error);
  boost::system::error_code fatal(int ssl_error) noexcept;
  std::string describe_failure(int ssl_error) const;

  asio::ip::tcp::socket socket_;
  BioState bio_;  // before ssl_: the BIO inside ssl_ points to it
  SslPtr ssl_;
  asio::ip::tcp::endpoint remote_;
  asio::ip::tcp::endpoint local_;
  std::string failure_;
  bool failed_ = false;  // a fatal TLS error happened: no close_notify, no more I/O
};

/// How a TLS client verifies and names its peer.
struct TlsClientOptions {
  /// PEM file of the CAs to trust; "" trusts the system store.
  std::string ca_file;
  /// Sent as SNI (when not an IP literal) and verified against the certificate's SANs (DNS name
  /// or IP address).
  std::string server_name;
  /// False skips verification (never for the Kubernetes API).
  bool verify = true;
};

/// Connects to `endpoint` and performs a TLS 1.2+ handshake as a client, within `timeout` in all.
/// Errors: `errc::connect_failed`, `errc::timeout`, and `errc::tls_handshake_failed` with the
/// reason logged (`certificate verify failed: …`). The CA file is read on each call (so a rotated
/// CA is picked up); callers connecting often may cache a context later.
asio::awaitable<Result<StreamPtr>> connect_tls(asio::ip::tcp::endpoint endpoint,
                                               const TlsClientOptions& options,
                                               std::chrono::milliseconds timeout,
                                               std::string* failure = nullptr);

/// The reason text of the oldest error in this thread's OpenSSL error queue (`no start line`),
/// or `fallback` when the queue is empty. Clears the queue.
std::string take_openssl_error(std::string_view fallback);

}  // namespace meshd::transport
