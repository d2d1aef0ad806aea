// Streams of the HTTP/2 client session: opening one for a request (pseudo-headers, header
// filtering, the body pump), resetting it, and crediting its window (client_internal.h).

#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include "http2/block_pool.h"
#include "http2/client_internal.h"
#include "http2/header_block.h"
#include "meshd/core/log.h"
#include "meshd/http/headers.h"

namespace meshd::http2::client_detail {
namespace {

/// The request's fields as HTTP/2 sends them: pseudo-headers first, then the regular fields
/// lower-cased, minus connection-specific ones (client.h). Names that had to be lower-cased live
/// here (nghttp2 copies those when the request is submitted); the other names and every value
/// are the request's, and nghttp2 encodes them in place when it writes the frame (see `add`).
class RequestHead {
 public:
  RequestHead(const http::Request& req, std::string_view default_scheme) {
    const http::Headers& h = req.headers;
    // One pass for the fields the pseudo-headers come from (the first of each counts).
    std::optional<std::string_view> scheme;
    std::optional<std::string_view> authority;
    std::optional<std::string_view> host;
    bool has_connection = false;
    // (The length first: most fields are none of these, and cost one switch.)
    h.for_each([&](const http::Headers::Field& f) {
      switch (f.name.size()) {
        case 4:
          if (!host && http::iequals(f.name, "host")) {
            host = f.value;
          }
          break;
        case 7:
          if (!scheme && http::iequals(f.name, ":scheme")) {
            scheme = f.value;
          }
          break;
        case 10:
          if (!authority && http::iequals(f.name, ":authority")) {
            authority = f.value;
          } else if (!has_connection && http::iequals(f.name, "connection")) {
            has_connection = true;
          }
          break;
        default:
          break;
      }
    });
    add_pseudo(":method", req.method);
    add_pseudo(":scheme", scheme.value_or(default_scheme));
    if (authority || host) {
      add_pseudo(":authority", authority ? *authority : *host);
    }
    add_pseudo(":path", req.target);
    std::vector<std::string_view> connection_named;
    if (has_connection) [[unlikely]] {
      connection_named = connection_tokens(h);
    }
    h.for_each([&](const http::Headers::Field& f) {
      if (!excluded(f, connection_named)) {
        add(f.name, f.value);
      }
    });
  }

  nghttp2_nv* data() noexcept { return block_.data(); }
  std::size_t size() const noexcept { return block_.size(); }

 private:
  /// The fields the Connection header names (`Connection: close, x-foo`).
  static std::vector<std::string_view> connection_tokens(const http::Headers& h) {
    std::vector<std::string_view> tokens;
    for (std::string_view value : h.get_all("Connection")) {
      while (!value.empty()) {
        auto comma = value.find(',');
        std::string_view token = value.substr(0, comma);
        while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) {
          token.remove_prefix(1);
        }
        while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) {
          token.remove_suffix(1);
        }
        if (!token.empty()) {
          tokens.push_back(token);
        }
        value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
      }
    }
    return tokens;
  }

  static bool excluded(const http::Headers::Field& f,
                       const std::vector<std::string_view>& connection_named) {
    if (f.name.empty() || f.name.front() == ':') {
      return true;
    }
    // The connection-specific fields, and Host (`:authority` says it). `iequals` compares the
    // lengths first: a field that is none of them costs seven integer comparisons.
    const std::string_view n = f.name;
    if (http::iequals(n, "te")) {
      return f.value != "trailers";
    }
    if (http::iequals(n, "host") || http::iequals(n, "upgrade") || http::iequals(n, "connection") ||
        http::iequals(n, "keep-alive") || http::iequals(n, "proxy-connection") ||
        http::iequals(n, "transfer-encoding")) {
      return true;
    }
    for (std::string_view named : connection_named) {
      if (http::iequals(f.name, named)) {
        return true;
      }
    }
    return false;
  }

  /// Every name and value outlives the HEADERS frame: they are the request's (in its fields,
  /// method and target, which nobody changes while the exchange runs) or the session's scheme,
  /// and a request that ends before its HEADERS went out resets its stream
  /// (ClientSession::Exchange), which makes nghttp2 drop the queued frame unwritten.
  void add(std::string_view name, std::string_view value) {
    block_.add(name, value, HeaderBlock::Bytes::OutliveFrame);
  }
  void add_pseudo(std::string_view name, std::string_view value) {
    block_.add_pseudo(name, value, HeaderBlock::Bytes::OutliveFrame);
  }

  HeaderBlock block_;
};

ssize_t read_request_body_cb(nghttp2_session*, std::int32_t stream_id, std::uint8_t* buf,
                             std::size_t length, std::uint32_t* flags, nghttp2_data_source* source,
                             void* user_data) {
  return static_cast<Connection*>(user_data)->read_request_body(
      stream_id, buf, length, flags, *static_cast<ClientStream*>(source->ptr));
}

}  // namespace

ClientStream* Connection::find(std::int32_t stream_id) const noexcept {
  // The callbacks of one frame (a header block's fields, above all) ask for the same stream.
  if (stream_id == found_id_ && found_ != nullptr) {
    return found_;
  }
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) {
    return nullptr;
  }
  found_id_ = stream_id;
  found_ = it->second.get();
  return found_;
}

void Connection::fail(ClientStream& st, boost::system::error_code ec, bool replayable,
                      std::uint32_t reset_code, std::string detail) {
  if (st.error) {
    return;
  }
  st.error = ec;
  st.failure.replayable = replayable;
  st.failure.reset_code = reset_code;
  st.failure.detail = std::move(detail);
  st.signal.notify();
}

Result<ClientStreamSharedPtr> Connection::open_stream(http::Request& req,
                                                      ExchangeFailure& failure) {
  if (!is_open()) [[unlikely]] {
    failure.replayable = true;
    failure.detail = goaway_received_ ? "the server sent GOAWAY" : "session closed";
    return make_error_code(errc::upstream_reset);
  }
  std::uint32_t max = max_concurrent_streams();
  if (streams_.size() >= max) [[unlikely]] {
    failure.detail = "the server's " + std::to_string(max) + " concurrent streams are in use";
    return make_error_code(errc::overloaded);
  }
  auto st = std::allocate_shared<ClientStream>(PoolAllocator<ClientStream>());
  // An empty body needs no DATA, unless it has trailers to send (known up front then).
  auto length = req.body ? req.body->length() : std::optional<std::uint64_t>(0);
  bool has_body = !length || *length > 0 || (req.body && !req.body->trailers().empty());
  st->out_body = has_body ? req.body.get() : nullptr;
  nghttp2_data_provider provider{};
  provider.source.ptr = st.get();
  provider.read_callback = &read_request_body_cb;
  RequestHead head(req, options_.scheme);
  std::int32_t id = nghttp2_submit_request(session_, nullptr, head.data(), head.size(),
                                           has_body ? &provider : nullptr, st.get());
  if (id < 0) [[unlikely]] {
    if (id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE) {
      drain();  // stream ids exhausted: this connection has served its time
      failure.replayable = true;
    }
    failure.detail = std::string("cannot open a stream: ") + nghttp2_strerror(id);
    return make_error_code(failure.replayable ? errc::upstream_reset : errc::protocol_error);
  }
  st->id = id;
  if (streams_.empty()) {
    active_since_ = Clock::now();
    watchdog_signal_.notify();  // keepalive applies from now
  }
  streams_.emplace(id, st);
  if (options_.hooks.on_stream) {
    options_.hooks.on_stream(1);
  }
  if (has_body) {
    st->pump_running = true;
    spawn_task(pump(shared_from_this(), st), "http2-client-request-body", st->pump_cancel.slot());
  }
  stage();
  return st;
}

asio::awaitable<void> Connection::pump(std::shared_ptr<Connection> self, ClientStreamSharedPtr st) {
  // Our own cancellation (stop_pump) must come back as an error code, not an exception.
  co_await asio::this_coro::throw_if_cancelled(false);
  while (!st->pump_stop) {
    if (!st->out_piece.empty()) {
      // Until nghttp2 has taken the piece (window allowing).
      co_await st->pump_signal.wait(await_nothrow);
      continue;
    }
    st->pump_reading = true;
    auto piece = co_await st->out_body->read();
    st->pump_reading = false;
    if (st->pump_stop) {
      break;
    }
    if (!piece) {
      fail(*st, make_error_code(errc::client_gone), false, 0,
           "reading the request body failed: " + piece.error().message());
      self->cancel_stream(*st, NGHTTP2_CANCEL);
      break;
    }
    if (piece->empty()) {
      st->out_trailers = st->out_body->trailers();
      st->out_eof = true;
      self->resume(*st);
      break;
    }
    st->out_piece = *piece;
    self->resume(*st);
  }
  st->pump_running = false;
  st->out_body = nullptr;
  st->owned_body.reset();
}

void Connection::resume(ClientStream& st) noexcept {
  if (closed_ || st.closed) {
    return;
  }
  nghttp2_session_resume_data(session_, st.id);  // fails harmlessly when not deferred
  wake_writer();
}

void Connection::stop_pump(ClientStream& st) noexcept {
  if (!st.pump_running || st.pump_stop) {
    return;
  }
  st.pump_stop = true;
  st.pump_cancel.emit(asio::cancellation_type::terminal);  // aborts a pending body read
  st.pump_signal.notify();
}

void Connection::cancel_stream(ClientStream& st, std::uint32_t code) noexcept {
  stop_pump(st);
  if (closed_ || st.closed || st.cancelled) {
    return;
  }
  st.cancelled = true;
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, st.id, code);
  wake_writer();
}

void Connection::credit(ClientStream& st, std::size_t n) noexcept {
  if (closed_ || st.closed || st.remote_ended || st.cancelled) {
    return;  // no more DATA will come on this stream
  }
  st.unacked += static_cast<std::uint32_t>(n);
  if (st.unacked < credit_threshold_) {
    return;
  }
  nghttp2_submit_window_update(session_, NGHTTP2_FLAG_NONE, st.id,
                               static_cast<std::int32_t>(st.unacked));
  st.unacked = 0;
  wake_writer();
}

}  // namespace meshd::http2::client_detail
