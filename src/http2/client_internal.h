#pragma once

// The machinery behind http2::ClientSession (client.h): one nghttp2 client session over a
// transport::Stream, its streams, and the small wake-up signal the coroutines share. Private to
// src/http2/client*.cc.

#include <nghttp2/nghttp2.h>
#include <sys/types.h>  // ssize_t, nghttp2's callback return type

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "http2/block_pool.h"
#include "meshd/core/asio.h"
#include "meshd/core/result.h"
#include "meshd/core/wakeup.h"
#include "meshd/http/message.h"
#include "meshd/http2/client.h"
#include "meshd/transport/stream.h"

namespace meshd::http2::client_detail {

using Clock = std::chrono::steady_clock;

/// Wakes one coroutine of the session (its writer, its watchdog) that waits for a condition
/// owned by someone else, or a deadline. The waiter checks its condition, then waits; whoever
/// changes the condition calls `notify()`. A timer, cancelled to wake: nothing is queued, and a
/// notification with nobody waiting is simply dropped. One waiter at a time. (A stream's waits
/// have no deadline and use the lighter `Wakeup`.)
class Signal {
 public:
  explicit Signal(const asio::any_io_executor& ex) : timer_(ex) {}

  /// Waits until `notify()`, `until`, or the cancellation of the caller's coroutine; the caller
  /// must check its cancellation state before waiting (an already cancelled coroutine would
  /// throw).
  /// (Not a coroutine itself, and the timer's wait is awaited in place: no frame per wait.)
  auto wait(Clock::time_point until = Clock::time_point::max()) {
    timer_.expires_at(until);
    return timer_.async_wait(await_nothrow);
  }
  void notify() noexcept { timer_.cancel(); }

 private:
  asio::steady_timer timer_;
};

/// One request/response exchange: a stream of the session. Shared by the session's stream map
/// (until nghttp2 closes the stream), the exchange coroutine, the request body pump and the
/// response body. Everything on the session's executor.
struct ClientStream {
  std::int32_t id = -1;
  /// Wakes the exchange (waiting for the head) or the response body reader (waiting for data).
  Wakeup signal;

  // ---- The response, as nghttp2 delivers it.
  bool head_ready = false;  ///< the final (non-1xx) response head arrived
  int status = 0;
  int pending_status = 0;       ///< `:status` of the header block being received
  http::Headers headers;        ///< the head being received, then the final head
  http::Headers trailers;       ///< the HEADERS block that ended the stream after the head
  std::size_t block_bytes = 0;  ///< decoded size of the header block being received
  std::string rx;               ///< DATA received, not yet taken by the body reader
  std::uint32_t unacked = 0;    ///< taken by the reader, not yet credited to the window
  bool remote_ended = false;    ///< END_STREAM received: the response is complete

  // ---- Lifecycle.
  bool headers_sent = false;  ///< the request HEADERS went out: the server may have seen it
  bool closed = false;        ///< nghttp2 closed the stream, or the session ended
  bool cancelled = false;     ///< we reset it (CANCEL): nobody waits for it any more
  std::optional<std::uint32_t> rst_code;  ///< RST_STREAM received from the server
  int not_sent_error = 0;                 ///< nghttp2's reason when the HEADERS never went out
  /// Why the exchange or the response body failed; empty while all is well. The first cause
  /// wins; `failure` details it for the caller.
  boost::system::error_code error;
  ExchangeFailure failure;

  // ---- The request body, pulled by the pump coroutine one piece at a time.
  http::Body* out_body = nullptr;         ///< the request's body (owned by the request, or below)
  http::BodyPtr owned_body;               ///< taken over from the request when the pump outlives it
  Wakeup pump_signal;                     ///< wakes the pump once the current piece was sent
  asio::cancellation_signal pump_cancel;  ///< aborts the pump's pending body read
  bool pump_running = false;
  bool pump_reading = false;   ///< a `read()` of `out_body` is in flight
  bool pump_stop = false;      ///< the stream is over: the pump must not touch the body again
  std::string_view out_piece;  ///< the piece being sent (valid until the pump reads again)
  bool out_eof = false;        ///< the body ended; `out_trailers` are final
  http::Headers out_trailers;
};

using ClientStreamSharedPtr = std::shared_ptr<ClientStream>;

/// The nghttp2 client session and its I/O: a reader coroutine feeding `nghttp2_session_mem_recv`,
/// a writer coroutine draining `nghttp2_session_mem_send` into the stream, and a watchdog for
/// keepalive PINGs and the close deadline. Owned through `shared_ptr`: by `ClientSession`, by
/// its coroutines and by response bodies. Every member runs on the stream's executor and never
/// calls nghttp2 once `closed_` is set (the nghttp2 session lives until the destructor).
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(transport::StreamPtr stream, const ClientOptions& options);
  virtual ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Creates the nghttp2 session, queues the preface and SETTINGS and spawns the coroutines.
  void begin();

  /// Opens a stream for `req` (HEADERS queued, the body pump spawned); fails as
  /// `ClientSession::exchange` documents, filling `failure`.
  Result<ClientStreamSharedPtr> open_stream(http::Request& req, ExchangeFailure& failure);
  /// Resets `st` (RST_STREAM `code`) unless it is already over; stops its pump.
  void cancel_stream(ClientStream& st, std::uint32_t code) noexcept;
  /// The response body reader took `n` bytes of `st`: credits the stream window, batched.
  void credit(ClientStream& st, std::size_t n) noexcept;
  /// The pump has a new piece, the end of the body, or failed: let nghttp2 pull again.
  void resume(ClientStream& st) noexcept;

  bool is_open() const noexcept;
  std::size_t active_streams() const noexcept { return streams_.size(); }
  std::uint32_t max_concurrent_streams() const noexcept;
  /// GOAWAY(NO_ERROR), fail every open stream, close once the GOAWAY is out (or after a grace).
  void close() noexcept;
  /// GOAWAY(NO_ERROR); the connection closes once the open streams are done.
  void drain() noexcept;

  const ClientOptions& options() const noexcept { return options_; }
  const asio::any_io_executor& executor() const noexcept { return executor_; }

  // nghttp2 callbacks (client_callbacks.cc); `user_data` is the Connection.
  int on_begin_headers(const nghttp2_frame* frame);
  int on_header(const nghttp2_frame* frame, std::string_view name, std::string_view value);
  int on_frame_recv(const nghttp2_frame* frame);
  int on_data_chunk_recv(std::int32_t stream_id, const std::uint8_t* data, std::size_t len);
  int on_frame_send(const nghttp2_frame* frame);
  int on_frame_not_send(const nghttp2_frame* frame, int lib_error);
  int on_stream_close(std::int32_t stream_id, std::uint32_t error_code);
  void on_error(int lib_error, std::string_view message);
  /// The data provider of request bodies (`source->ptr` is the ClientStream).
  ssize_t read_request_body(std::int32_t stream_id, std::uint8_t* buf, std::size_t length,
                            std::uint32_t* flags, ClientStream& st);

  /// Records why `st` failed (first cause wins) and wakes its waiter.
  static void fail(ClientStream& st, boost::system::error_code ec, bool replayable,
                   std::uint32_t reset_code, std::string detail);

  /// Ends the session: fails every open stream with `ec` (`detail`), closes the transport stream
  /// and wakes every coroutine. Idempotent; the first cause wins.
  void shutdown(boost::system::error_code ec, std::string_view detail) noexcept;

 private:
  static asio::awaitable<void> read_loop(std::shared_ptr<Connection> self);
  static asio::awaitable<void> write_loop(std::shared_ptr<Connection> self);
  static asio::awaitable<void> watchdog(std::shared_ptr<Connection> self);
  static asio::awaitable<void> pump(std::shared_ptr<Connection> self, ClientStreamSharedPtr st);
  /// Spawns one of the session's coroutines; an escaped exception ends the session.
  void spawn_task(asio::awaitable<void> task, std::string_view what,
                  asio::cancellation_slot slot = {});

  ClientStream* find(std::int32_t stream_id) const noexcept;
  /// Drops find()'s memory of the last stream found (a stream left `streams_`).
  void forget_found() noexcept { found_ = nullptr; }
  void stop_pump(ClientStream& st) noexcept;
  /// How `st` ended, when nghttp2 closed it before the response was complete.
  void explain_close(ClientStream& st, std::uint32_t error_code);
  /// The peer broke the protocol (or flooded us): reports it once (`hooks.on_protocol_error`)
  /// and makes the session end with `errc::protocol_error` once its GOAWAY is out.
  void protocol_failure(std::string reason) noexcept;
  /// Both directions are done (GOAWAY exchanged, no streams): end cleanly.
  bool finished() const noexcept;
  void wake_writer() noexcept { write_signal_.notify(); }
  /// Has nghttp2 serialise what is queued now into `staged_` and wakes the writer, which sends
  /// those bytes first: a request's HEADERS are encoded while the request is in cache, not
  /// after every other request of the batch. Skipped inside nghttp2's own calls.
  void stage();
  /// Appends nghttp2's queued frames to `out` (up to a write batch); false when nghttp2 failed
  /// (`send_error_` then holds its code).
  bool serialize(std::string& out);
  /// hooks.on_connection(-1), once.
  void count_closed() noexcept;

  transport::StreamPtr stream_;
  ClientOptions options_;
  asio::any_io_executor executor_;
  nghttp2_session* session_ = nullptr;
  std::unordered_map<std::int32_t, ClientStreamSharedPtr, std::hash<std::int32_t>, std::equal_to<>,
                     PoolAllocator<std::pair<const std::int32_t, ClientStreamSharedPtr>>>
      streams_;
  /// The stream find() returned last, and its id: null when unknown.
  mutable ClientStream* found_ = nullptr;
  mutable std::int32_t found_id_ = 0;
  std::uint32_t credit_threshold_ = 1;  ///< window bytes credited at once (window_update_ratio)

  Signal write_signal_;
  Signal watchdog_signal_;
  /// Frames `stage` serialised ahead of the writer.
  std::string staged_;
  /// Inside nghttp2_session_mem_recv or mem_send: the session must not be entered again.
  bool in_nghttp2_ = false;
  /// nghttp2_session_mem_send's error, once it failed: the writer ends the session.
  int send_error_ = 0;
  bool closed_ = false;    ///< shutdown() ran: no nghttp2 calls, no I/O
  bool closing_ = false;   ///< close() ran: GOAWAY being flushed before shutdown
  bool draining_ = false;  ///< drain() ran: GOAWAY sent, no new streams
  bool goaway_received_ = false;
  std::int32_t goaway_last_id_ = 0;
  std::uint32_t goaway_code_ = 0;
  bool counted_ = false;    ///< hooks.on_connection(+1) was called, not yet its -1
  std::string last_error_;  ///< nghttp2's last error message, for details
  /// Set by protocol_failure(): the session ends with it once the writer has flushed.
  std::string protocol_failure_;

  // Keepalive (ping_timeout) and the close deadline.
  Clock::time_point last_recv_{};
  Clock::time_point active_since_{};  ///< when the first of the open streams opened
  Clock::time_point ping_sent_{};
  bool ping_outstanding_ = false;
  std::optional<Clock::time_point> close_deadline_;
};

/// The nghttp2 callback table of client sessions (client_callbacks.cc).
nghttp2_session_callbacks* client_callbacks();

}  // namespace meshd::http2::client_detail
