#pragma once

// The nghttp2 part of the HTTP/2 server codec (server.h): one ServerSession per connection once
// it speaks HTTP/2, with its reader and writer coroutines, and one ServerStream per request
// stream. Private to src/http2/server*.cc.

#include <nghttp2/nghttp2.h>
#include <sys/types.h>

#include <boost/asio/cancellation_signal.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http2/block_pool.h"
#include "meshd/core/asio.h"
#include "meshd/core/result.h"
#include "meshd/core/wakeup.h"
#include "meshd/http/message.h"
#include "meshd/http2/server.h"

namespace meshd::http2 {

/// Wakes one coroutine of a connection from another: a timer that never expires by itself,
/// cancelled to wake its waiter. A `notify()` without a waiter is remembered for the next
/// `wait()`. One waiter at a time; on the connection's executor.
class ServerWakeup {
 public:
  ServerWakeup() = default;

  void notify() {
    notified_ = true;
    if (timer_) {
      timer_->cancel();
    }
  }
  /// Returns after a `notify()` (at once if one is pending), at `deadline`, or when the awaiting
  /// coroutine is cancelled; the caller re-checks what it waits for.
  asio::awaitable<void> wait(std::chrono::steady_clock::time_point deadline =
                                 std::chrono::steady_clock::time_point::max());

 private:
  /// Made by the first wait that has to wait: most streams' body reader and pump never do,
  /// and a timer is large and costs a lookup of its service to make.
  std::unique_ptr<asio::steady_timer> timer_;
  bool notified_ = false;
};

class ServerSession;
struct ServerStream;
using ServerStreamSharedPtr = std::shared_ptr<ServerStream>;

/// A coroutine that runs the service of a session's streams, one stream after another
/// (ServerSession::work). A stream then costs no coroutine launch of its own (Asio's spawn
/// entry, its cancellation state and completion, a frame for the stream), and the worker's
/// frame, reused by the next stream of any connection on the thread, is warm. Idle workers wait
/// in their io_context's WorkerPool; they hold neither a session nor a stream. An idle worker
/// keeps about 2.2 KB (this object, its frames, its cancellation state).
class WorkerPool;
struct ServerWorker : std::enable_shared_from_this<ServerWorker> {
  explicit ServerWorker(WorkerPool& p) : pool(&p) {}

  WorkerPool* pool;  ///< where it waits when idle
  /// Bound to the coroutine: emitting cancels what the current job awaits.
  asio::cancellation_signal cancel;
  /// Wakes the idle worker for its next job, or to quit.
  Wakeup wakeup;
  // The job, set by ServerSession::launch and taken by the worker.
  std::shared_ptr<ServerSession> session;
  ServerStreamSharedPtr stream;
  /// The request of the service's call, until the call ends; none for a canned response.
  std::optional<http::Request> request;
  /// The service's call (`call_into` `response`), not started yet; none for a canned response.
  std::optional<asio::awaitable<void>> call;
  /// The job's response: the call's outcome, or the canned one. Here rather than in the
  /// worker's frame, which would then hold it twice (the call's result, and this).
  Result<http::Response> response = make_error_code(errc::client_gone);
  bool is_head = false;
  /// Counts jobs begun: a cancel posted for one job is dropped once the worker is past it.
  std::uint64_t job = 0;
  bool busy = false;  ///< a job is running
  bool quit = false;  ///< the pool shut down: an idle worker ends when woken
};

/// The idle workers of one io_context (an Asio service; meshd runs each worker io_context on
/// one thread, and so must anyone else using the server): the one that finished last is taken
/// first, its memory the most likely still in cache. At most `kMaxIdle` wait, about 2.2 MB;
/// those finishing beyond that end. Ends the idle ones when the io_context shuts down.
class WorkerPool : public asio::execution_context::service {
 public:
  static constexpr std::size_t kMaxIdle = 1024;
  static inline asio::execution_context::id id;

  explicit WorkerPool(asio::execution_context& ctx) : asio::execution_context::service(ctx) {}

  /// An idle worker, or null when none waits.
  std::shared_ptr<ServerWorker> take();
  /// Keeps `w` (done with its job) idle; false when the pool is full or shut down, and the
  /// worker should end.
  bool keep(const std::shared_ptr<ServerWorker>& w);

 private:
  void shutdown() override;

  std::vector<std::shared_ptr<ServerWorker>> idle_;
  bool shut_down_ = false;
};

/// The state of one request stream: the request head being decoded, the request body received
/// and not yet read, and the response being sent. Shared by the session (until nghttp2 closes
/// the stream), its service coroutine and its request body.
struct ServerStream {
  explicit ServerStream(std::int32_t stream_id) : id(stream_id) {}

  const std::int32_t id;

  /// Adds `:authority` and `:scheme` to `fields`, once, ahead of the regular fields.
  void add_pseudo_fields() {
    if (pseudo_added) {
      return;
    }
    pseudo_added = true;
    if (has_authority) {
      fields.add(":authority", authority);
    }
    if (!scheme.empty()) {
      fields.add(":scheme", scheme);
    }
  }

  // The request head, as decoded.
  std::string method;
  std::string path;
  std::string scheme;
  std::string authority;
  bool has_authority = false;
  /// `:authority` (when sent) and `:scheme` as the first fields (they were added to `fields`).
  bool pseudo_added = false;
  /// The request's fields: `:authority` and `:scheme`, then the regular fields as received.
  http::Headers fields;
  http::Headers trailers;
  /// Decoded size (RFC 9113 §6.5.2) of the header block being received.
  std::size_t block_bytes = 0;
  /// The request's header block went past `max_header_list_bytes`: answered 431.
  bool too_large = false;
  /// Refused (RST_STREAM REFUSED_STREAM) when it opened.
  bool refused = false;

  // The request body: DATA received and not yet taken by the reader, the piece last handed out,
  // and the bytes taken but not yet credited back to the client's window.
  std::string inbox;
  std::string current;
  std::size_t unacked = 0;
  bool end_stream = false;       ///< the client ended its side (END_STREAM)
  bool expect_continue = false;  ///< `expect: 100-continue`: a 100 goes out at the first read
  bool body_dropped = false;     ///< the request body was destroyed: DATA is discarded
  bool body_failed = false;      ///< a read failed: later reads fail too
  ServerWakeup body_wakeup;      ///< wakes the body reader

  bool closed = false;   ///< nghttp2 closed the stream (or the connection ended)
  bool running = false;  ///< its service (call and response body) is running
  /// The worker running the service, and which of its jobs this stream is (while `running`):
  /// a reset stream cancels that job.
  ServerWorker* worker = nullptr;
  std::uint64_t job = 0;

  /// The final response's fields, which nghttp2 encodes in place (submit_response).
  http::Headers response_headers;
  // The response body, pulled one piece at a time by the pump and handed to nghttp2 by the
  // data provider.
  http::BodyPtr response_body;
  std::string_view pending;  ///< what the data provider has yet to take of the current piece
  /// A copy of the body's last piece, when the pump read the body's end right after it.
  std::basic_string<char, std::char_traits<char>, PoolAllocator<char>> last_piece;
  bool body_eof = false;
  bool responded = false;    ///< the final response HEADERS were submitted
  ServerWakeup pump_wakeup;  ///< wakes the pump once `pending` is taken
};

/// nghttp2's session object, owned.
struct Nghttp2SessionDeleter {
  void operator()(nghttp2_session* s) const noexcept { nghttp2_session_del(s); }
};

/// One HTTP/2 server connection on nghttp2, after the protocol was detected. Its reader feeds
/// `nghttp2_session_mem_recv`; its writer drains `nghttp2_session_mem_send` into the stream, at
/// most `max_outbound_buffer` bytes per write. Each request stream runs the service on a worker
/// coroutine (ServerWorker), reused stream after stream. Owned by `shared_ptr`s: the connection,
/// its coroutines (a worker only while it runs a stream), and request bodies. Lives on the
/// stream's executor.
class ServerSession : public std::enable_shared_from_this<ServerSession> {
 public:
  ServerSession(transport::StreamPtr stream, HttpServiceSharedPtr service,
                const ServerOptions& options);
  ~ServerSession();
  ServerSession(const ServerSession&) = delete;
  ServerSession& operator=(const ServerSession&) = delete;

  /// Creates the nghttp2 session with the options' protections and queues our SETTINGS. False
  /// when nghttp2 fails (out of memory).
  bool init();
  /// h2c: makes the HTTP/1.1 request that asked for the upgrade stream 1 (half-closed), with
  /// `settings` the decoded `HTTP2-Settings` payload. False when nghttp2 rejects the payload.
  bool upgrade(std::string_view settings, http::Request req, bool head);
  /// Serves until the connection ends, then closes the stream: writes `preamble` (the 101 of an
  /// upgrade) first, then feeds `initial` (bytes already read) to nghttp2 and reads on.
  static asio::awaitable<void> run(std::shared_ptr<ServerSession> self, std::string preamble,
                                   std::string initial);
  /// Sends GOAWAY(NO_ERROR) with the last stream id; the connection closes once the open
  /// streams are done.
  void drain();
  /// Enforces `idle_timeout` and, until the client preface arrived, `preface_timeout`.
  void tick(std::chrono::steady_clock::time_point now);

  // Used by the request body (server_stream.cc).
  static asio::awaitable<Result<std::string_view>> read_body(std::shared_ptr<ServerSession> self,
                                                             ServerStreamSharedPtr st);
  void drop_body(ServerStream& st);

 private:
  /// Keeps `running_` and the idle clock right while a stream's coroutine runs.
  class RunningGuard;

  // nghttp2 callbacks (server_session.cc); `user` is the session.
  static int on_begin_headers(nghttp2_session* s, const nghttp2_frame* frame, void* user);
  static int on_header(nghttp2_session* s, const nghttp2_frame* frame, const std::uint8_t* name,
                       std::size_t namelen, const std::uint8_t* value, std::size_t valuelen,
                       std::uint8_t flags, void* user);
  static int on_frame_recv(nghttp2_session* s, const nghttp2_frame* frame, void* user);
  static int on_data_chunk_recv(nghttp2_session* s, std::uint8_t flags, std::int32_t stream_id,
                                const std::uint8_t* data, std::size_t len, void* user);
  static int on_stream_close(nghttp2_session* s, std::int32_t stream_id, std::uint32_t code,
                             void* user);
  static int on_frame_send(nghttp2_session* s, const nghttp2_frame* frame, void* user);
  static int on_frame_not_send(nghttp2_session* s, const nghttp2_frame* frame, int error,
                               void* user);
  static int on_invalid_frame_recv(nghttp2_session* s, const nghttp2_frame* frame, int error,
                                   void* user);
  static int on_error(nghttp2_session* s, int code, const char* msg, std::size_t len, void* user);
  // The response data provider (server_stream.cc).
  static ssize_t read_data(nghttp2_session* s, std::int32_t stream_id, std::uint8_t* buf,
                           std::size_t length, std::uint32_t* flags, nghttp2_data_source* source,
                           void* user);

  // Connection (server_session.cc).
  asio::awaitable<void> read_loop();
  asio::awaitable<void> linger(std::chrono::steady_clock::time_point deadline);
  static asio::awaitable<void> write_loop(std::shared_ptr<ServerSession> self);
  bool collect(std::string& out);
  /// Has nghttp2 serialise what is queued now into `staged_`, for the writer to send: a
  /// stream's frames are encoded (and the stream closed, and freed) while its memory is still
  /// in cache, not when the writer runs after every other stream of the batch. Skipped inside
  /// nghttp2's own calls; bounded by `max_outbound_buffer`.
  void stage();
  bool feed(const char* data, std::size_t len);
  void recv_failed(ssize_t rv);
  void start_ready();
  void stop();
  void go_away();
  void count_reset();
  void abuse(std::string_view reason);
  void report_protocol_error(std::string_view reason);
  std::string describe_error(std::string_view goaway_debug) const;
  ServerStream* find(std::int32_t id);
  void open_stream(std::int32_t id);
  void close_stream(const ServerStreamSharedPtr& st);
  int add_field(ServerStream& st, nghttp2_headers_category cat, std::string_view name,
                std::string_view value);
  void mark_idle_if_quiet();

  // Streams (server_stream.cc).
  void start_stream(const ServerStreamSharedPtr& st, std::optional<http::Response> canned);
  void start_upgraded();
  /// Hands the stream's service (or its canned response) to an idle worker, or to a new one.
  /// The request is built in the worker from the stream, or moved there from `built` (an
  /// upgraded HTTP/1.1 request; with `canned`, only read for its method).
  void launch(const ServerStreamSharedPtr& st, http::Request* built,
              std::optional<http::Response> canned);
  /// Fills `req` (new) from the stream's head and body.
  void build_request(const ServerStreamSharedPtr& st, http::Request& req);
  void set_context(http::Request& req, const ServerStreamSharedPtr& st);
  /// A worker's life: runs its job (the service's call, or the canned response) and sends the
  /// response, then waits in its session's idle list for the next job. The request lives only
  /// in the call's frame: a Request kept here would be destroyed, moved from but cold, when the
  /// response has been sent.
  static asio::awaitable<void> work(std::shared_ptr<ServerWorker> w);

  static asio::awaitable<void> pump(std::shared_ptr<ServerSession> self, ServerStreamSharedPtr st);
  /// What became of a piece of the response body handed to `take_piece` or `take_end`.
  enum class BodyStep {
    Queued,   ///< queued for the data provider; more of the body follows
    NeedEnd,  ///< a short last piece kept: `take_end` queues it with the body's end
    Ended,    ///< the body's end is queued
    Failed,   ///< the body failed: the stream was reset
  };
  /// Queues what the response body has already (its first piece, and its end when that is
  /// here too) without waiting; true when that was all of it (or the stream was reset), false
  /// when `pump` must go on.
  bool pump_arrived(ServerStream& st);
  BodyStep take_piece(ServerStream& st, const Result<std::string_view>& piece);
  /// Queues the kept last piece with the body's `end` (an empty piece, or more of the body if
  /// it misreported), or alone when the end is not here (`end` empty: the pump reads it next).
  BodyStep take_end(ServerStream& st, const std::optional<Result<std::string_view>>& end);
  bool submit_response(ServerStream& st, http::Response rsp, bool is_head);
  bool submit_trailers(ServerStream& st, const http::Headers& trailers);
  void submit_interim(ServerStream& st, const http::Response& rsp);
  void reset(ServerStream& st, std::uint32_t code);
  void credit(ServerStream& st, std::size_t n);

  transport::StreamPtr stream_;
  HttpServiceSharedPtr service_;
  const ServerOptions& options_;
  asio::any_io_executor executor_;
  asio::ip::tcp::endpoint remote_;
  asio::ip::tcp::endpoint local_;
  std::unique_ptr<nghttp2_session, Nghttp2SessionDeleter> session_;

  std::unordered_map<std::int32_t, ServerStreamSharedPtr, std::hash<std::int32_t>, std::equal_to<>,
                     PoolAllocator<std::pair<const std::int32_t, ServerStreamSharedPtr>>>
      streams_;
  /// The stream find() returned last, and its id: null when unknown (reset as streams leave).
  ServerStream* found_ = nullptr;
  std::int32_t found_id_ = 0;
  /// Streams whose request head arrived during the current `feed`: their services start once
  /// nghttp2 has returned (never from inside its callbacks), unless they were reset meanwhile.
  std::vector<std::int32_t> ready_;
  /// The upgraded request, started as stream 1 once `run` begins.
  std::optional<http::Request> upgraded_;
  /// Service coroutines running, including those of streams already closed and cancelled.
  std::size_t running_ = 0;
  /// The idle workers of this session's io_context.
  WorkerPool& workers_;
  /// Request body bytes read before a WINDOW_UPDATE is sent (from `window_update_ratio`).
  std::size_t credit_batch_ = 1;
  /// A header block decoding past this is an HPACK bomb: the connection is closed.
  std::size_t bomb_bytes_ = 0;

  ServerWakeup writer_wakeup_;
  ServerWakeup done_wakeup_;  ///< the writer finished
  /// Frames `stage` serialised ahead of the writer, which sends them before any others.
  std::string staged_;
  /// Inside nghttp2_session_mem_recv or mem_send: the session must not be entered again.
  bool in_nghttp2_ = false;
  /// nghttp2_session_mem_send failed while staging: the writer ends the session.
  bool send_failed_ = false;

  // Rapid-reset token bucket.
  double reset_tokens_ = 0;
  std::chrono::steady_clock::time_point reset_refill_;

  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point idle_since_;
  std::size_t fed_ = 0;  ///< bytes given to nghttp2 (the preface is the first 24)
  int last_lib_error_ = 0;
  std::string last_error_;
  std::string abuse_reason_;
  bool reported_ = false;
  bool terminated_ = false;        ///< we sent (or queued) GOAWAY with an error
  bool goaway_submitted_ = false;  ///< we queued a graceful GOAWAY (drain, idle)
  bool reader_done_ = false;
  bool writer_done_ = false;
  bool peer_gone_ = false;
  bool stopped_ = false;
};

}  // namespace meshd::http2
