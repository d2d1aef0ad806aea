// The connection half of ServerSession: nghttp2 setup, the reader and writer coroutines,
// protections, drain and timeouts. The nghttp2 callbacks are in server_callbacks.cc, the
// per-stream half in server_stream.cc.

#include <algorithm>
#include <array>
#include <utility>

#include "http2/block_pool.h"
#include "http2/server_session_internal.h"
#include "http2/server_upgrade_internal.h"
#include "meshd/core/log.h"
#include "meshd/core/spawn.h"
#include "meshd/core/timeout.h"

namespace meshd::http2 {
namespace {

constexpr std::size_t kReadBufferSize = 16 * 1024;
/// Bytes of the client connection preface.
constexpr std::size_t kPrefaceBytes = 24;
/// How long a closing connection may take to flush its last frames (GOAWAY) to the peer.
constexpr std::chrono::seconds kFlushLimit{1};
/// What a closing connection reads (and drops) at most while waiting for the client to close.
constexpr std::size_t kLingerBytes = 256 * 1024;
/// The largest response header block we send (nghttp2's default, stated).
constexpr std::size_t kMaxSendHeaderBlock = 64 * 1024;
/// RFC 9113 §6.5.2: the bounds of SETTINGS_MAX_FRAME_SIZE.
constexpr std::uint32_t kMinFrameSize = 16384;
constexpr std::uint32_t kMaxFrameSize = 16777215;

/// A short phrase for nghttp2's fatal `mem_recv` errors and the connection errors it reports.
std::string_view abuse_phrase(int lib_error) {
  switch (lib_error) {
    case NGHTTP2_ERR_FLOODED:
      return "frame flood";
    case NGHTTP2_ERR_TOO_MANY_CONTINUATIONS:
      return "too many continuation frames";
    case NGHTTP2_ERR_TOO_MANY_SETTINGS:
      return "too many settings";
    case NGHTTP2_ERR_BAD_CLIENT_MAGIC:
      return "bad client preface";
    default:
      return {};
  }
}


}  // namespace

asio::awaitable<void> ServerWakeup::wait(std::chrono::steady_clock::time_point deadline) {
  if (!notified_) {
    if (!timer_) {
      auto ex = co_await asio::this_coro::executor;
      timer_ = std::make_unique<asio::steady_timer>(ex);
    }
    timer_->expires_at(deadline);
    co_await timer_->async_wait(use_nothrow);
  }
  notified_ = false;
}

ServerSession::ServerSession(transport::StreamPtr stream, HttpServiceSharedPtr service,
                             const ServerOptions& options)
    : stream_(std::move(stream)),
      service_(std::move(service)),
      options_(options),
      executor_(stream_->socket().get_executor()),
      remote_(stream_->remote_endpoint()),
      local_(stream_->local_endpoint()),
      workers_(asio::use_service<WorkerPool>(asio::query(executor_, asio::execution::context))),
      reset_tokens_(static_cast<double>(options.reset_burst)),
      reset_refill_(std::chrono::steady_clock::now()),
      started_(reset_refill_),
      idle_since_(reset_refill_) {
  const auto& s = options_.settings;
  double ratio = std::clamp(s.window_update_ratio, 0.0, 1.0);
  credit_batch_ = std::max<std::size_t>(
      1, static_cast<std::size_t>(static_cast<double>(s.initial_stream_window) * (1.0 - ratio)));
  // An HPACK bomb decodes to many times its wire size; a header block merely over the limit
  // is answered 431, one this far past it ends the connection.
  bomb_bytes_ = std::max<std::size_t>(64 * 1024, std::size_t{4} * s.max_header_list_bytes);
}

ServerSession::~ServerSession() {
  stop();  // after a failed start: the hooks still see the streams and the stream closed
}

bool ServerSession::init() {
  nghttp2_session_callbacks* cbs = nullptr;
  if (nghttp2_session_callbacks_new(&cbs) != 0) {
    return false;
  }
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, &on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cbs, &on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &on_data_chunk_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &on_stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, &on_frame_send);
  nghttp2_session_callbacks_set_on_frame_not_send_callback(cbs, &on_frame_not_send);
  nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cbs, &on_invalid_frame_recv);
  nghttp2_session_callbacks_set_error_callback2(cbs, &on_error);

  nghttp2_option* opt = nullptr;
  if (nghttp2_option_new(&opt) != 0) {
    nghttp2_session_callbacks_del(cbs);
    return false;
  }
  // Stream windows are credited as the request body is read (ServerStream::unacked), the
  // connection window as data arrives.
  nghttp2_option_set_no_auto_window_update(opt, 1);
  nghttp2_option_set_stream_reset_rate_limit(opt, options_.reset_burst,
                                             options_.reset_rate_per_second);
  nghttp2_option_set_max_continuations(opt, options_.max_continuations);
  nghttp2_option_set_max_settings(opt, options_.max_settings);
  nghttp2_option_set_max_outbound_ack(opt, options_.max_outbound_ack);
  nghttp2_option_set_max_send_header_block_length(opt, kMaxSendHeaderBlock);
  // Closed streams are kept only for the RFC 7540 priority tree; not worth their memory.
  nghttp2_option_set_no_closed_streams(opt, 1);

  nghttp2_session* s = nullptr;
  int rv = nghttp2_session_server_new3(&s, cbs, this, opt, nghttp2_pool_mem());
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
  if (rv != 0) {
    return false;
  }
  session_.reset(s);

  const auto& set = options_.settings;
  std::array<nghttp2_settings_entry, 6> iv{{
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, set.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE,
       std::min<std::uint32_t>(set.initial_stream_window, NGHTTP2_MAX_WINDOW_SIZE)},
      {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, set.header_table_bytes},
      {NGHTTP2_SETTINGS_MAX_FRAME_SIZE,
       std::clamp<std::uint32_t>(set.max_frame_bytes, kMinFrameSize, kMaxFrameSize)},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, set.max_header_list_bytes},
      // RFC 9218 §2.1: we do not use RFC 7540's priorities (nor does nghttpx), so nghttp2
      // schedules our streams without keeping a priority tree for them.
      {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1},
  }};
  return nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, iv.data(), iv.size()) == 0;
}

bool ServerSession::upgrade(std::string_view settings, http::Request req, bool head) {
  auto st = std::allocate_shared<ServerStream>(PoolAllocator<ServerStream>(), 1);
  int rv = nghttp2_session_upgrade2(session_.get(),
                                    reinterpret_cast<const std::uint8_t*>(settings.data()),
                                    settings.size(), head ? 1 : 0, st.get());
  if (rv != 0) {
    log::get("http2")->debug("h2c upgrade refused peer={} error={}", remote_.address().to_string(),
                             nghttp2_strerror(rv));
    return false;
  }
  st->end_stream = true;  // the request came whole over HTTP/1.1
  streams_.emplace(1, st);
  if (options_.hooks.on_stream) {
    options_.hooks.on_stream(1);
  }
  upgraded_ = std::move(req);
  return true;
}

asio::awaitable<void> ServerSession::run(std::shared_ptr<ServerSession> self, std::string preamble,
                                         std::string initial) {
  if (!preamble.empty()) {
    std::array<asio::const_buffer, 1> bufs{asio::buffer(preamble)};
    auto w = co_await self->stream_->write(bufs);
    if (!w) {
      self->stop();
      co_return;
    }
  }
  spawn(self->executor_, write_loop(self), "http2-server-writer");
  self->start_upgraded();
  bool ok = initial.empty() || self->feed(initial.data(), initial.size());
  if (ok) {
    co_await self->read_loop();
  }
  self->reader_done_ = true;
  self->writer_wakeup_.notify();
  // Let the writer flush the last frames (GOAWAY, final responses) unless the peer is gone.
  const auto deadline = std::chrono::steady_clock::now() + kFlushLimit;
  while (!self->writer_done_ && !self->stopped_ && !self->peer_gone_ &&
         std::chrono::steady_clock::now() < deadline) {
    co_await self->done_wakeup_.wait(deadline);
  }
  if (self->writer_done_ && !self->stopped_ && !self->peer_gone_) {
    co_await self->linger(deadline);
  }
  self->stop();
}

asio::awaitable<void> ServerSession::linger(std::chrono::steady_clock::time_point deadline) {
  // Closing a socket with unread bytes resets the connection, and the reset can destroy our
  // last frames (the GOAWAY) before the client reads them. Send a FIN instead and read what the
  // client still sends until it closes too, for a bounded time.
  boost::system::error_code ec;
  stream_->socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  if (ec) {
    co_return;
  }
  co_await with_timeout(discard_input(*stream_, kLingerBytes),
                        deadline - std::chrono::steady_clock::now());
}

asio::awaitable<void> ServerSession::read_loop() {
  auto buf = std::make_unique_for_overwrite<char[]>(kReadBufferSize);
  for (;;) {
    if (stopped_ || terminated_ || nghttp2_session_want_read(session_.get()) == 0) {
      co_return;
    }
    auto n = co_await stream_->read_some(asio::buffer(buf.get(), kReadBufferSize));
    if (!n) {
      if (!writer_done_ && !stopped_) {
        peer_gone_ = true;
        log::get("http2")->debug("client connection ended peer={} error={}",
                                 remote_.address().to_string(), n.error().message());
      }
      co_return;
    }
    if (!feed(buf.get(), *n)) {
      co_return;
    }
  }
}

asio::awaitable<void> ServerSession::write_loop(std::shared_ptr<ServerSession> self) {
  std::string out;
  for (;;) {
    out.clear();
    out.swap(self->staged_);  // frames staged earlier go first
    bool more = !self->stopped_ && !self->send_failed_ && self->collect(out);
    if (!out.empty() && !self->stopped_) {
      std::array<asio::const_buffer, 1> bufs{asio::buffer(out)};
      auto w = co_await self->stream_->write(bufs);
      if (!w) {
        log::get("http2")->debug("write failed peer={} error={}",
                                 self->remote_.address().to_string(), w.error().message());
        self->peer_gone_ = true;
        break;
      }
      if (more) {
        continue;
      }
    }
    if (!more || self->stopped_ || self->reader_done_ ||
        (nghttp2_session_want_read(self->session_.get()) == 0 &&
         nghttp2_session_want_write(self->session_.get()) == 0 && self->staged_.empty())) {
      break;
    }
    co_await self->writer_wakeup_.wait();
  }
  self->writer_done_ = true;
  self->done_wakeup_.notify();
  if (!self->reader_done_) {
    self->stream_->cancel();  // the reader's pending read ends the session
  }
}

bool ServerSession::collect(std::string& out) {
  // Stop pulling frames (and so response bodies) once this much waits for the socket.
  const std::size_t limit = std::max<std::size_t>(options_.max_outbound_buffer, 1);
  in_nghttp2_ = true;
  struct Leave {
    bool& flag;
    ~Leave() { flag = false; }
  } leave{in_nghttp2_};
  while (out.size() < limit) {
    const std::uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_.get(), &data);
    if (n < 0) {
      log::get("http2")->debug("nghttp2 send failed peer={} error={}",
                               remote_.address().to_string(),
                               nghttp2_strerror(static_cast<int>(n)));
      return false;
    }
    if (n == 0) {
      break;
    }
    out.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
  }
  return true;
}

void ServerSession::stage() {
  if (in_nghttp2_ || stopped_ || send_failed_ || writer_done_) {
    return;
  }
  if (!collect(staged_)) {
    send_failed_ = true;
  }
  writer_wakeup_.notify();
}

bool ServerSession::feed(const char* data, std::size_t len) {
  fed_ += len;
  in_nghttp2_ = true;
  ssize_t rv =
      nghttp2_session_mem_recv(session_.get(), reinterpret_cast<const std::uint8_t*>(data), len);
  in_nghttp2_ = false;
  if (rv < 0) {
    recv_failed(rv);
    writer_wakeup_.notify();
    return false;
  }
  start_ready();
  writer_wakeup_.notify();
  return true;
}

void ServerSession::recv_failed(ssize_t rv) {
  int code = static_cast<int>(rv);
  last_lib_error_ = code;
  std::string_view phrase = abuse_phrase(code);
  log::get("http2")->debug("protocol error peer={} error={}", remote_.address().to_string(),
                           nghttp2_strerror(code));
  if (code == NGHTTP2_ERR_FLOODED || code == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS) {
    abuse(phrase);  // GOAWAY(ENHANCE_YOUR_CALM), flushed before the close
    return;
  }
  report_protocol_error(phrase.empty() ? std::string_view("protocol error") : phrase);
  terminated_ = true;
  nghttp2_session_terminate_session(session_.get(), NGHTTP2_PROTOCOL_ERROR);
}

void ServerSession::start_ready() {
  // Requests whose stream was reset in the same read (rapid reset) never reach the service.
  for (std::int32_t id : ready_) {
    auto it = streams_.find(id);
    if (it == streams_.end() || it->second->closed || it->second->refused || terminated_) {
      continue;
    }
    auto st = it->second;
    if (st->too_large) {
      start_stream(st, http::Response::text(431, "request header fields too large\n"));
    } else {
      start_stream(st, std::nullopt);
    }
  }
  ready_.clear();
}

void ServerSession::stop() {
  if (stopped_) {
    return;
  }
  stopped_ = true;
  if (terminated_ && !reported_) {
    report_protocol_error(describe_error({}));
  }
  stream_->close();
  // nghttp2_session_del calls no callbacks: end the remaining streams here.
  auto streams = std::move(streams_);
  streams_.clear();
  found_ = nullptr;
  for (auto& [id, st] : streams) {
    close_stream(st);
  }
  writer_wakeup_.notify();
  done_wakeup_.notify();
}

void ServerSession::drain() { go_away(); }

void ServerSession::go_away() {
  if (goaway_submitted_ || terminated_ || stopped_ || !session_) {
    return;
  }
  goaway_submitted_ = true;
  nghttp2_submit_goaway(session_.get(), NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_.get()), NGHTTP2_NO_ERROR,
                        nullptr, 0);
  writer_wakeup_.notify();
}

void ServerSession::tick(std::chrono::steady_clock::time_point now) {
  if (stopped_) {
    return;
  }
  const auto preface = options_.preface_timeout;
  if (fed_ < kPrefaceBytes && preface.count() > 0 && now - started_ >= preface) {
    log::get("http2")->debug("no client preface in time peer={}", remote_.address().to_string());
    stop();
    return;
  }
  const auto idle = options_.idle_timeout;
  if (idle.count() > 0 && streams_.empty() && running_ == 0 && now - idle_since_ >= idle) {
    if (!goaway_submitted_) {
      log::get("http2")->debug("idle connection closed peer={}", remote_.address().to_string());
    }
    go_away();
  }
}

void ServerSession::count_reset() {
  auto now = std::chrono::steady_clock::now();
  double elapsed = std::chrono::duration<double>(now - reset_refill_).count();
  reset_refill_ = now;
  reset_tokens_ = std::min(static_cast<double>(options_.reset_burst),
                           reset_tokens_ + elapsed * options_.reset_rate_per_second);
  if (reset_tokens_ >= 1.0) {
    reset_tokens_ -= 1.0;
    return;
  }
  abuse("too many stream resets");
}

void ServerSession::abuse(std::string_view reason) {
  if (!terminated_) {
    terminated_ = true;
    abuse_reason_ = reason;
    nghttp2_session_terminate_session(session_.get(), NGHTTP2_ENHANCE_YOUR_CALM);
    writer_wakeup_.notify();
  }
  report_protocol_error(reason);
}

void ServerSession::report_protocol_error(std::string_view reason) {
  if (reported_) {
    return;
  }
  reported_ = true;
  log::get("http2")->debug("connection closed for a protocol error peer={} reason={}",
                           remote_.address().to_string(), reason);
  if (options_.hooks.on_protocol_error) {
    options_.hooks.on_protocol_error(reason);
  }
}

std::string ServerSession::describe_error(std::string_view goaway_debug) const {
  if (!abuse_reason_.empty()) {
    return abuse_reason_;
  }
  std::string_view phrase = abuse_phrase(last_lib_error_);
  if (!phrase.empty()) {
    return std::string(phrase);
  }
  // nghttp2 ends some connections itself, saying why only in the GOAWAY's debug data.
  if (goaway_debug.find("too many setting") != std::string_view::npos) {
    return "too many settings";
  }
  if (!goaway_debug.empty()) {
    return "protocol error: " + std::string(goaway_debug);
  }
  if (!last_error_.empty()) {
    return "protocol error: " + last_error_;
  }
  return "protocol error";
}

}  // namespace meshd::http2
