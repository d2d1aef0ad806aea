#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <tuple>

#include "meshd/core/asio.h"
#include "meshd/core/result.h"
#include "meshd/core/wakeup.h"
#include "meshd/http/message.h"
#include "meshd/http2/settings.h"
#include "meshd/transport/stream.h"

namespace meshd::http2 {

namespace client_detail {
class Connection;
struct ClientStream;
}  // namespace client_detail

/// Settings and hooks of an HTTP/2 client session.
struct ClientOptions {
  /// Our receive settings (the client keys of inventory §13); `max_concurrent_streams` is
  /// unused (push is disabled: SETTINGS_ENABLE_PUSH = 0).
  Settings settings;
  Hooks hooks;
  /// `:scheme` sent when the request has no `:scheme` field: `http`, or `https` over TLS.
  std::string scheme = "http";
  /// A PING is sent after this long without frames from the server while streams are open,
  /// and the session fails (streams with `errc::upstream_reset`) when no ACK comes within the
  /// same time; zero: never.
  std::chrono::milliseconds ping_timeout{std::chrono::seconds(30)};
};

/// Why an exchange failed, for the router's error responses and retries.
struct ExchangeFailure {
  /// True when the server cannot have processed the request and it can be sent again as it is:
  /// the stream was refused (RST_STREAM REFUSED_STREAM), was above the last stream id of a
  /// GOAWAY, or was never sent because the session had already closed.
  bool replayable = false;
  /// The RST_STREAM or GOAWAY code received, when one ended the stream.
  std::uint32_t reset_code = 0;
  /// The server ended the stream with RST_STREAM (`reset_code`), not a GOAWAY or a close.
  bool stream_reset = false;
  std::string detail;  ///< `stream reset by the server: REFUSED_STREAM`, `connection closed`
};

/// One multiplexed HTTP/2 connection to an endpoint (nghttp2), prior knowledge or TLS with ALPN
/// `h2`: every request to the endpoint from this worker is a stream on it. Lives on one worker;
/// every call on the stream's executor. Must be owned by a `shared_ptr` (its I/O keeps it).
class ClientSession : public std::enable_shared_from_this<ClientSession> {
 public:
  /// Takes a connected stream, sends the preface and our SETTINGS, and starts the session's
  /// reader and writer on the stream's executor. Never fails itself: a connection that dies
  /// makes `exchange` fail.
  static std::shared_ptr<ClientSession> start(transport::StreamPtr stream,
                                              const ClientOptions& options);
  /// Drains (see `drain()`): no exchange can start any more, so the connection closes once the
  /// open streams are done (their response bodies read to the end or dropped).
  ~ClientSession();
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  /// Sends `req` as a new stream and returns the response head once it arrives; the response
  /// body streams from the session (flow control tied to its reader, as on the server), with
  /// the trailers the server ends the stream with. Pseudo-headers come from the request:
  /// `:method` = method, `:path` = target, `:scheme` = its `:scheme` field or the options',
  /// `:authority` = its `:authority` field, else its `Host` (then not sent as a field); other
  /// fields are sent lower-cased, minus pseudo and connection-specific ones (Connection and
  /// the fields it names, Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade, Host, and TE
  /// unless it is exactly `trailers`). The request body is pulled one piece at a time as the
  /// server's windows allow, then its trailers. When the stream still needs the request body
  /// as `exchange` returns (the server answered before the body was sent whole, or a failure
  /// left a body read in flight), the session takes `req.body` over and leaves in its place an
  /// empty body that reports the same `length()` and fails reads. 1xx responses are skipped.
  ///
  /// Errors: `errc::upstream_reset` (the server reset the stream or the connection closed;
  /// `failure` says which and whether it is replayable), `errc::overloaded` (no stream can
  /// be opened now: the server's SETTINGS_MAX_CONCURRENT_STREAMS are in use),
  /// `errc::protocol_error` (a malformed response), `errc::client_gone` (the request body
  /// failed to read). Cancelling the coroutine resets the stream (CANCEL); so does dropping
  /// the response body before its end.
  asio::awaitable<Result<http::Response>> exchange(http::Request& req, ExchangeFailure* failure);

  class Exchange;
  /// `exchange` in steps, for a caller that waits in a coroutine of its own rather than in
  /// one more frame per request (the router). Sends `req` as `exchange` does; fails as
  /// `exchange` does without a wait (`failure` filled). See Exchange.
  Result<Exchange> open(http::Request& req, ExchangeFailure& failure);

  /// True until the connection closed or a GOAWAY arrived: new exchanges may start.
  bool is_open() const noexcept;
  /// Open streams now.
  std::size_t active_streams() const noexcept;
  /// The server's SETTINGS_MAX_CONCURRENT_STREAMS (unbounded until its SETTINGS arrive).
  std::uint32_t max_concurrent_streams() const noexcept;
  /// Sends GOAWAY and closes the connection; open streams fail with `errc::upstream_reset`.
  void close() noexcept;
  /// Stops opening streams (GOAWAY to the server) and closes once the open streams finish.
  void drain() noexcept;

 private:
  struct Impl;
  explicit ClientSession(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

/// An exchange that `ClientSession::open` started. The caller awaits `wait()` while
/// `!ready()`, checking its own cancellation before each wait (a cancelled coroutine must not
/// wait again), then takes the outcome with `finish`, once:
///
///     while (!x.ready()) {
///       asio::cancellation_state cs = co_await asio::this_coro::cancellation_state;
///       if (cs.cancelled() != asio::cancellation_type::none) break;
///       co_await x.wait();
///     }
///     Result<http::Response> rsp = x.finish(failure);
///
/// `finish` before `ready()` gives up the exchange (the caller was cancelled): the stream is
/// reset (CANCEL) and the result is `operation_aborted`. Destroying an Exchange that was not
/// finished does the same. Holds `req` (which must outlive it) and, like `exchange`, takes its
/// body over when the stream still reads it.
class ClientSession::Exchange {
 public:
  Exchange(std::shared_ptr<client_detail::Connection> conn,
           std::shared_ptr<client_detail::ClientStream> st, http::Request& req) noexcept;
  Exchange(Exchange&& other) noexcept;
  Exchange& operator=(Exchange&&) = delete;
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;
  ~Exchange();

  /// The response head, or the stream's failure, has arrived.
  bool ready() const noexcept;
  /// Completes at the next change of the stream (or when the awaiting coroutine is
  /// cancelled), with a `std::tuple<error_code>`; the caller checks `ready()` again. Awaited
  /// where it is made (`co_await x.wait()`): see `await_nothrow`.
  auto wait() { return signal_->wait(await_nothrow); }
  /// The response head (its body streams from the session), or why there is none.
  Result<http::Response> finish(ExchangeFailure& failure);

 private:
  /// Ends the exchange's hold on the stream: resets it unless the head was handed out, and
  /// takes the request body over when the stream still reads it.
  void release() noexcept;
  /// Takes the request body over when the stream still reads it (see `exchange`).
  void keep_body() noexcept;

  std::shared_ptr<client_detail::Connection> conn_;  ///< the session may go while we wait
  std::shared_ptr<client_detail::ClientStream> st_;
  http::Request* req_;
  Wakeup* signal_;          ///< the stream's
  bool committed_ = false;  ///< the response head went to the caller
};

using ClientSessionSharedPtr = std::shared_ptr<ClientSession>;

}  // namespace meshd::http2
