#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>

#include "meshd/core/asio.h"
#include "meshd/core/result.h"

namespace meshd::transport {

/// Completion token for awaiting one socket operation directly in an `asio::awaitable`
/// coroutine, with `(error_code, ...)` returned as a tuple like `use_nothrow`, but without the
/// coroutine frame `use_awaitable` creates per operation:
/// `auto [ec, n] = co_await socket.async_read_some(buf, direct);`.
inline constexpr auto direct = asio::as_tuple(asio::deferred);

/// A byte stream to a peer: plain TCP now, TLS later, so the HTTP codecs do not care which.
/// Lives on one worker; every operation must be awaited on that worker's executor. Cancellation
/// of a pending read or write aborts it with `operation_aborted`.
class Stream {
 public:
  virtual ~Stream() = default;
  /// Reads at least one byte into `buf`; returns 0 bytes never: end of stream is
  /// `asio::error::eof`.
  virtual asio::awaitable<Result<std::size_t>> read_some(asio::mutable_buffer buf) = 0;
  /// Writes every byte of `bufs`.
  virtual asio::awaitable<Result<void>> write(std::span<const asio::const_buffer> bufs) = 0;
  /// Shuts down both directions and releases the descriptor. Idempotent.
  virtual void close() noexcept = 0;
  /// Cancels pending operations without closing.
  virtual void cancel() noexcept = 0;
  virtual bool is_open() const noexcept = 0;
  /// For an idle pooled connection: true if the peer has neither closed it nor sent unsolicited
  /// bytes (a non-blocking peek; never waits).
  virtual bool idle_alive() noexcept = 0;
  virtual asio::ip::tcp::endpoint remote_endpoint() const noexcept = 0;
  virtual asio::ip::tcp::endpoint local_endpoint() const noexcept = 0;
  /// The underlying TCP socket, for its executor, readiness waits and peeks (a closed peer);
  /// never for reading or writing, which would bypass a TLS layer.
  virtual asio::ip::tcp::socket& socket() noexcept = 0;

  /// The socket to read and write directly when the stream is plain TCP, so that the codecs'
  /// hot paths await one socket operation (see `direct`) instead of a virtual coroutine per
  /// call; nullptr when a layer (TLS) sits between: then use `read_some` and `write`.
  asio::ip::tcp::socket* plain_socket() noexcept { return plain_; }

 protected:
  Stream() = default;
  /// For a plain TCP stream: `plain` is its socket (see `plain_socket`).
  explicit Stream(asio::ip::tcp::socket* plain) noexcept : plain_(plain) {}
  // A copy would point at the original's socket.
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

 private:
  asio::ip::tcp::socket* plain_ = nullptr;
};

using StreamPtr = std::unique_ptr<Stream>;

/// A `Stream` over a connected TCP socket (TCP_NODELAY set).
class TcpStream final : public Stream {
 public:
  explicit TcpStream(asio::ip::tcp::socket socket);

  // transport::Stream
  asio::awaitable<Result<std::size_t>> read_some(asio::mutable_buffer buf) override;
  asio::awaitable<Result<void>> write(std::span<const asio::const_buffer> bufs) override;
  void close() noexcept override;
  void cancel() noexcept override;
  bool is_open() const noexcept override { return socket_.is_open(); }
  bool idle_alive() noexcept override;
  asio::ip::tcp::endpoint remote_endpoint() const noexcept override { return remote_; }
  asio::ip::tcp::endpoint local_endpoint() const noexcept override { return local_; }

  asio::ip::tcp::socket& socket() noexcept override { return socket_; }

 private:
  /// Reads and writes in a row done at once, without the reactor (see `read_some`).
  static constexpr unsigned kImmediateLimit = 16;

  asio::ip::tcp::socket socket_;
  asio::ip::tcp::endpoint remote_;
  asio::ip::tcp::endpoint local_;
  unsigned immediate_ = 0;
};

/// Sends from `buf` what a non-blocking TCP socket takes at once, without an operation or a trip
/// through the scheduler: the bytes sent (all of a small message, usually). `ec` is set for an
/// error, not for a full socket: the caller awaits `async_write` for the rest.
std::size_t send_now(asio::ip::tcp::socket& socket, asio::const_buffer buf,
                     boost::system::error_code& ec) noexcept;

/// Connects to `endpoint` from the current executor, giving up after `timeout` (zero: none).
/// Errors: `errc::connect_failed` (refused, unreachable), `errc::timeout`.
asio::awaitable<Result<StreamPtr>> connect(asio::ip::tcp::endpoint endpoint,
                                           std::chrono::milliseconds timeout);

}  // namespace meshd::transport
