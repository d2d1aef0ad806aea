// The HTTP/2 client session's connection: nghttp2 setup, the reader, writer and watchdog
// coroutines, and how the session ends (client_internal.h).

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/error.hpp>

#include <algorithm>
#include <array>
#include <exception>
#include <limits>
#include <memory>
#include <string>
#include <utility>

#include "http2/block_pool.h"
#include "http2/client_internal.h"
#include "meshd/core/log.h"
#include "meshd/core/spawn.h"
#include "meshd/http2/settings.h"

namespace meshd::http2::client_detail {
namespace {

/// Bytes of frames gathered from nghttp2 into one write.
constexpr std::size_t kWriteBatch = 64 * 1024;
/// Bytes read from the stream at once.
constexpr std::size_t kReadBuffer = 16 * 1024;
/// How long close() waits for its GOAWAY to go out before dropping the connection.
constexpr auto kCloseGrace = std::chrono::seconds(1);
/// The connection receive window. It is refilled as data arrives, so it only needs to be large
/// enough not to hold streams back; the stream windows bound what is buffered.
constexpr std::int32_t kConnectionWindow = 1 << 20;
/// The smallest stream window we advertise: below it nghttp2's own accounting of padding
/// (credited at half the window) could overlap with our crediting (client_callbacks.cc).
constexpr std::uint32_t kMinStreamWindow = 1024;
/// CONTINUATION frames accepted after a HEADERS frame (nghttp2's default, made explicit).
constexpr std::size_t kMaxContinuations = 8;
/// SETTINGS entries per frame, and outbound SETTINGS/PING ACKs queued, before the session ends.
constexpr std::size_t kMaxSettings = 32;
constexpr std::size_t kMaxOutboundAck = 1000;

std::uint32_t stream_window(const Settings& s) {
  return std::max(s.initial_stream_window, kMinStreamWindow);
}

/// The completion handler of the session's coroutines: an escaped exception is a bug; it is
/// logged and counted, and the session ends (STYLE.md §2).
struct TaskCompletion {
  std::shared_ptr<Connection> conn;
  std::string_view what;
  void operator()(std::exception_ptr e) const {
    if (!e) {
      return;
    }
    detail::SpawnCompletion{what}(e);
    conn->shutdown(make_error_code(errc::upstream_reset), "internal error");
  }
};

}  // namespace

Connection::Connection(transport::StreamPtr stream, const ClientOptions& options)
    : stream_(std::move(stream)),
      options_(options),
      executor_(stream_->socket().get_executor()),
      write_signal_(executor_),
      watchdog_signal_(executor_) {
  const Settings& s = options_.settings;
  double ratio = std::clamp(s.window_update_ratio, 0.0, 1.0);
  credit_threshold_ = std::max<std::uint32_t>(
      1, static_cast<std::uint32_t>(static_cast<double>(stream_window(s)) * (1.0 - ratio)));
  last_recv_ = Clock::now();
}

Connection::~Connection() {
  if (session_ != nullptr) {
    nghttp2_session_del(session_);
  }
  count_closed();
}

void Connection::count_closed() noexcept {
  if (std::exchange(counted_, false) && options_.hooks.on_connection) {
    options_.hooks.on_connection(-1);
  }
}

void Connection::spawn_task(asio::awaitable<void> task, std::string_view what,
                            asio::cancellation_slot slot) {
  asio::co_spawn(executor_, std::move(task),
                 asio::bind_cancellation_slot(slot, TaskCompletion{shared_from_this(), what}));
}

void Connection::begin() {
  counted_ = true;
  if (options_.hooks.on_connection) {
    options_.hooks.on_connection(1);
  }
  nghttp2_option* opt = nullptr;
  if (nghttp2_option_new(&opt) != 0) {
    shutdown(make_error_code(errc::upstream_reset), "out of memory");
    return;
  }
  // Flow control follows the reader (client.h); and a hostile server cannot make us hold more
  // than the limits below (header blocks, ACK floods, SETTINGS floods, pushed streams).
  nghttp2_option_set_no_auto_window_update(opt, 1);
  nghttp2_option_set_peer_max_concurrent_streams(opt, std::numeric_limits<std::uint32_t>::max());
  nghttp2_option_set_max_continuations(opt, kMaxContinuations);
  nghttp2_option_set_max_settings(opt, kMaxSettings);
  nghttp2_option_set_max_outbound_ack(opt, kMaxOutboundAck);
  nghttp2_option_set_max_reserved_remote_streams(opt, 0);
  nghttp2_option_set_no_closed_streams(opt, 1);
  int rv =
      nghttp2_session_client_new3(&session_, client_callbacks(), this, opt, nghttp2_pool_mem());
  nghttp2_option_del(opt);
  if (rv != 0) {
    session_ = nullptr;
    shutdown(make_error_code(errc::upstream_reset), nghttp2_strerror(rv));
    return;
  }
  const Settings& s = options_.settings;
  std::array<nghttp2_settings_entry, 6> iv{{
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, stream_window(s)},
      {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, s.header_table_bytes},
      {NGHTTP2_SETTINGS_MAX_FRAME_SIZE, s.max_frame_bytes},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, s.max_header_list_bytes},
      // RFC 9218 §2.1: we send no RFC 7540 priorities; nghttp2 keeps no priority tree for them.
      {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1},
  }};
  rv = nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, iv.data(), iv.size());
  if (rv == 0) {
    rv = nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
  }
  if (rv != 0) {
    shutdown(make_error_code(errc::upstream_reset), nghttp2_strerror(rv));
    return;
  }
  auto self = shared_from_this();
  spawn_task(read_loop(self), "http2-client-reader");
  spawn_task(write_loop(self), "http2-client-writer");
  spawn_task(watchdog(self), "http2-client-watchdog");
}

bool Connection::is_open() const noexcept {
  return !closed_ && !closing_ && !draining_ && !goaway_received_ && protocol_failure_.empty();
}

std::uint32_t Connection::max_concurrent_streams() const noexcept {
  if (session_ == nullptr) {
    return 0;
  }
  return nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

bool Connection::finished() const noexcept {
  return nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0;
}

asio::awaitable<void> Connection::read_loop(std::shared_ptr<Connection> self) {
  auto buf = std::make_unique_for_overwrite<std::uint8_t[]>(kReadBuffer);
  while (!self->closed_) {
    auto n = co_await self->stream_->read_some(asio::buffer(buf.get(), kReadBuffer));
    if (self->closed_) {
      break;
    }
    if (!n) {
      bool eof = n.error() == asio::error::eof;
      self->shutdown(
          make_error_code(errc::upstream_reset),
          eof ? "connection closed by the server" : "connection lost: " + n.error().message());
      break;
    }
    self->last_recv_ = Clock::now();
    if (self->closing_) {
      continue;  // close() failed every stream: nothing to read any more
    }
    self->in_nghttp2_ = true;
    ssize_t rv = nghttp2_session_mem_recv(self->session_, buf.get(), *n);
    self->in_nghttp2_ = false;
    if (rv < 0) {
      // A fatal error (a flood, too many CONTINUATION frames, a bad preface): no GOAWAY can be
      // trusted to go out, so the connection ends here.
      self->protocol_failure(nghttp2_strerror(static_cast<int>(rv)));
      self->shutdown(make_error_code(errc::protocol_error), self->protocol_failure_);
      break;
    }
    self->wake_writer();
    if (nghttp2_session_want_read(self->session_) == 0) {
      // The writer ends the session once its last frames are out, or the watchdog does if
      // they cannot go out.
      self->close_deadline_ = Clock::now() + kCloseGrace;
      self->watchdog_signal_.notify();
      break;
    }
  }
}

bool Connection::serialize(std::string& out) {
  if (send_error_ != 0) {
    return false;
  }
  in_nghttp2_ = true;
  while (out.size() < kWriteBatch) {
    const std::uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) {
      send_error_ = static_cast<int>(n);
      break;
    }
    if (n == 0) {
      break;
    }
    out.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
  }
  in_nghttp2_ = false;
  return send_error_ == 0;
}

void Connection::stage() {
  if (!in_nghttp2_ && !closed_) {
    serialize(staged_);  // a failure is the writer's to report
  }
  wake_writer();
}

asio::awaitable<void> Connection::write_loop(std::shared_ptr<Connection> self) {
  std::string out;
  while (!self->closed_) {
    out.clear();
    out.swap(self->staged_);  // frames staged earlier go first
    if (!self->serialize(out)) {
      self->shutdown(make_error_code(errc::upstream_reset),
                     std::string("nghttp2: ") + nghttp2_strerror(self->send_error_));
      co_return;
    }
    if (self->closed_) {
      break;  // a callback ended the session (cannot happen today; cheap to be sure)
    }
    if (!out.empty()) {
      std::array<asio::const_buffer, 1> bufs{asio::buffer(out)};
      auto written = co_await self->stream_->write(bufs);
      if (self->closed_) {
        break;
      }
      if (!written) {
        self->shutdown(make_error_code(errc::upstream_reset),
                       "connection lost: " + written.error().message());
        break;
      }
      continue;
    }
    if (self->finished()) {
      // GOAWAY exchanged (drain, a GOAWAY from the server, close(), a protocol error) and no
      // stream left: the session is over.
      if (!self->protocol_failure_.empty()) {
        self->shutdown(make_error_code(errc::protocol_error), self->protocol_failure_);
      } else {
        self->shutdown(make_error_code(errc::upstream_reset), "connection closed");
      }
      break;
    }
    co_await self->write_signal_.wait();
  }
}

asio::awaitable<void> Connection::watchdog(std::shared_ptr<Connection> self) {
  const auto timeout = self->options_.ping_timeout;
  while (!self->closed_) {
    auto now = Clock::now();
    auto deadline = Clock::time_point::max();
    if (self->close_deadline_) {
      deadline = *self->close_deadline_;
    }
    if (timeout.count() > 0 && self->ping_outstanding_) {
      deadline = std::min(deadline, self->ping_sent_ + timeout);
    } else if (timeout.count() > 0 && !self->streams_.empty()) {
      deadline = std::min(deadline, std::max(self->last_recv_, self->active_since_) + timeout);
    }
    if (deadline > now) {
      // Woken early by close() or a new stream: the deadline is computed again.
      co_await self->watchdog_signal_.wait(deadline);
      continue;
    }
    if (self->close_deadline_ && now >= *self->close_deadline_) {
      self->shutdown(make_error_code(errc::upstream_reset), "connection closed");
      break;
    }
    if (self->ping_outstanding_) {
      if (self->last_recv_ <= self->ping_sent_) {
        self->shutdown(make_error_code(errc::upstream_reset),
                       "no answer to PING within " + std::to_string(timeout.count()) + "ms");
        break;
      }
      self->ping_outstanding_ = false;  // frames came, just not the ACK yet: alive
      continue;
    }
    // Streams are open and the server has been silent for `timeout`: ask it.
    if (nghttp2_submit_ping(self->session_, NGHTTP2_FLAG_NONE, nullptr) != 0) {
      self->shutdown(make_error_code(errc::upstream_reset), "cannot send PING");
      break;
    }
    self->ping_outstanding_ = true;
    self->ping_sent_ = now;
    self->wake_writer();
  }
}

void Connection::protocol_failure(std::string reason) noexcept {
  if (!protocol_failure_.empty() || closed_) {
    return;
  }
  protocol_failure_ = reason.empty() ? "protocol error" : std::move(reason);
  log::get("http2")->debug("server broke the protocol peer={} reason={}",
                           stream_->remote_endpoint().address().to_string(), protocol_failure_);
  if (options_.hooks.on_protocol_error) {
    options_.hooks.on_protocol_error(protocol_failure_);
  }
}

void Connection::shutdown(boost::system::error_code ec, std::string_view detail) noexcept {
  if (closed_) {
    return;
  }
  closed_ = true;
  log::get("http2")->debug("client session closed peer={} reason={}",
                           stream_->remote_endpoint().address().to_string(), detail);
  auto streams = std::move(streams_);
  streams_.clear();
  forget_found();
  for (auto& [id, st] : streams) {
    if (options_.hooks.on_stream) {
      options_.hooks.on_stream(-1);
    }
    st->closed = true;
    if (!st->remote_ended) {
      fail(*st, ec, !st->headers_sent, 0, std::string(detail));
    }
    stop_pump(*st);
    st->signal.notify();
  }
  stream_->close();
  write_signal_.notify();
  watchdog_signal_.notify();
  count_closed();
}

void Connection::close() noexcept {
  if (closed_ || closing_) {
    return;
  }
  closing_ = true;
  // Every stream fails now; the GOAWAY goes out with what the writer flushes next.
  for (auto& [id, st] : streams_) {
    if (!st->remote_ended) {
      fail(*st, make_error_code(errc::upstream_reset), !st->headers_sent, 0,
           "session closed by the client");
    }
    stop_pump(*st);
    st->signal.notify();
  }
  if (session_ == nullptr || nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR) != 0) {
    shutdown(make_error_code(errc::upstream_reset), "session closed by the client");
    return;
  }
  close_deadline_ = Clock::now() + kCloseGrace;
  wake_writer();
  watchdog_signal_.notify();
}

void Connection::drain() noexcept {
  if (closed_ || closing_ || draining_) {
    return;
  }
  draining_ = true;
  // A client's GOAWAY names the last server-initiated stream: none, push is disabled.
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                        nullptr, 0);
  wake_writer();
}

}  // namespace meshd::http2::client_detail
