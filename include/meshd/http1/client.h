#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>

#include "meshd/core/asio.h"
#include "meshd/core/result.h"
#include "meshd/http/message.h"
#include "meshd/http1/parser.h"
#include "meshd/http1/reader.h"
#include "meshd/transport/stream.h"

namespace meshd::http1 {

/// One HTTP/1.1 connection to an endpoint. It carries one exchange at a time; between exchanges
/// it rests in a pool. Lives on one worker.
class ClientConnection {
 public:
  ClientConnection(transport::StreamPtr stream, Limits limits);

  transport::Stream& stream() noexcept { return *stream_; }
  MessageReader& reader() noexcept { return reader_; }
  /// Exchanges completed on this connection (0 for a fresh one).
  std::uint64_t uses() const noexcept { return uses_; }
  void count_use() noexcept { ++uses_; }
  std::chrono::steady_clock::time_point idle_since() const noexcept { return idle_since_; }
  /// Stamps the start of a rest in the pool (`now`: the pool's coarse clock, see coarse_now).
  void mark_idle(std::chrono::steady_clock::time_point now) noexcept { idle_since_ = now; }
  /// Where exchange() serialises a request head; kept across exchanges so that its memory is
  /// reused.
  std::string& head_buffer() noexcept { return head_; }

 private:
  transport::StreamPtr stream_;
  MessageReader reader_;
  std::string head_;
  std::uint64_t uses_ = 0;
  std::chrono::steady_clock::time_point idle_since_{};
};

using ClientConnectionPtr = std::unique_ptr<ClientConnection>;

/// Where connections come back when exchange() ends its use of them: implemented by a pool
/// (router::EndpointPool), held weakly by `Release`.
class ConnectionHome {
 public:
  /// A connection for reuse, or nullptr once one handed out was closed (its slot is free).
  /// Must not throw.
  virtual void release(ClientConnectionPtr conn) noexcept = 0;

 protected:
  ~ConnectionHome() = default;
};

/// How exchange() ends its use of a connection. For every connection handed to exchange() it is
/// called exactly once: with the connection when it may serve another exchange (after a clean,
/// keep-alive exchange whose response body was read to its end), or with nullptr once the
/// connection is closed (an error, no keep-alive, unexpected bytes after the response,
/// cancellation, or a response or body dropped before its end). It is called on the executor
/// that runs the exchange or reads the body, possibly from a destructor (a coroutine frame or a
/// body being destroyed), so it must not throw. An empty `Release` just closes the connection.
///
/// Either a `ConnectionHome` held weakly (a pool: no allocation per exchange; once the home is
/// gone, connections just close) or any callable `void(ClientConnectionPtr)` (tests, wrappers).
class Release {
 public:
  Release() = default;
  /// Gives connections to `home` while it lives.
  explicit Release(std::weak_ptr<ConnectionHome> home) noexcept : home_(std::move(home)) {}
  /// Gives connections to `f`.
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, Release> &&
                                              std::is_invocable_v<F&, ClientConnectionPtr>>>
  Release(F f)  // NOLINT(google-explicit-constructor): a callable is a Release
      : fn_(std::move(f)) {}

  /// Ends the use of `conn` (see above): hands it to the callable or the home, or closes it.
  void operator()(ClientConnectionPtr conn) const {
    if (fn_) {
      fn_(std::move(conn));
    } else if (auto home = home_.lock()) {
      home->release(std::move(conn));
    }
  }
  /// False when a call would only close the connection: an empty `Release`, or its home is gone.
  explicit operator bool() const noexcept { return fn_ || !home_.expired(); }

 private:
  std::weak_ptr<ConnectionHome> home_;
  std::function<void(ClientConnectionPtr)> fn_;
};

/// Details of a failed exchange for the error responder and retry logic.
struct ExchangeFailure {
  /// True when nothing of the request can have been processed by the endpoint and the request
  /// can be replayed as it is (a stale pooled connection that was closed under us).
  bool replayable = false;
  std::string detail;
};

/// Sends `req` on `conn` and reads the response head. The response body streams from the
/// connection, which the body owns until its end. `release` is called exactly once (see
/// `Release`): before exchange() returns when the response has no body or the exchange failed,
/// otherwise when the body ends or is dropped. `req`'s body is streamed to the endpoint
/// (Content-Length or chunked with trailers). Interim 1xx responses other than 101 are skipped.
/// Errors: `errc::upstream_reset` (closed before a full response head), `errc::protocol_error` (a
/// malformed response; `failure->detail` says what), `errc::client_gone` (the request body could
/// not be read from the client), I/O errors. Cancellation aborts and closes the connection.
asio::awaitable<Result<http::Response>> exchange(ClientConnectionPtr conn, http::Request& req,
                                                 Release release, ExchangeFailure* failure);

}  // namespace meshd::http1
