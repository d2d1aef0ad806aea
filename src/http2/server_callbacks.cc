// The nghttp2 callbacks of ServerSession: streams opening and closing, header fields, DATA,
// and what nghttp2 reports of the peer's mistakes. They run inside nghttp2_session_mem_recv and
// nghttp2_session_mem_send, so they never resume a coroutine nor re-enter the session.

#include "http2/block_pool.h"
#include "http2/server_session_internal.h"
#include "meshd/core/log.h"

namespace meshd::http2 {
namespace {

ServerSession& self_of(void* user) { return *static_cast<ServerSession*>(user); }

}  // namespace

ServerStream* ServerSession::find(std::int32_t id) {
  // The callbacks of one frame (a header block's fields, above all) ask for the same stream.
  if (id == found_id_ && found_ != nullptr) {
    return found_;
  }
  auto it = streams_.find(id);
  if (it == streams_.end()) {
    return nullptr;
  }
  found_id_ = id;
  found_ = it->second.get();
  return found_;
}

void ServerSession::open_stream(std::int32_t id) {
  auto st = std::allocate_shared<ServerStream>(PoolAllocator<ServerStream>(), id);
  streams_.emplace(id, st);
  if (options_.hooks.on_stream) {
    options_.hooks.on_stream(1);
  }
  // nghttp2 enforces the advertised limit on its open streams; services of streams already
  // reset (still unwinding) count here too, so they cannot pile up.
  if (running_ >= options_.settings.max_concurrent_streams) {
    st->refused = true;
    nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, id, NGHTTP2_REFUSED_STREAM);
    count_reset();
  }
}

void ServerSession::close_stream(const ServerStreamSharedPtr& st) {
  st->closed = true;
  st->body_wakeup.notify();
  st->pump_wakeup.notify();
  if (st->running && st->worker != nullptr) {
    // Posted: this runs inside nghttp2's callbacks, which must not re-enter the session. By
    // then the worker may have finished this stream's job and begun another: that one stays.
    asio::post(executor_, [w = st->worker->shared_from_this(), job = st->job] {
      if (w->busy && w->job == job) {
        w->cancel.emit(asio::cancellation_type::terminal);
      }
    });
  }
  if (options_.hooks.on_stream) {
    options_.hooks.on_stream(-1);
  }
  mark_idle_if_quiet();
}

void ServerSession::mark_idle_if_quiet() {
  if (streams_.empty() && running_ == 0) {
    idle_since_ = std::chrono::steady_clock::now();
  }
}

int ServerSession::add_field(ServerStream& st, nghttp2_headers_category cat, std::string_view name,
                             std::string_view value) {
  st.block_bytes += name.size() + value.size() + 32;
  if (st.block_bytes > bomb_bytes_) {
    abuse("header block over the limit");
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // stop handing out fields
  }
  if (st.block_bytes > options_.settings.max_header_list_bytes) {
    if (cat == NGHTTP2_HCAT_REQUEST) {
      st.too_large = true;  // answered 431 once the block ends
      st.fields.clear();
      return 0;
    }
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // trailers over the limit: reset
  }
  if (st.too_large || st.refused) {
    return 0;
  }
  if (cat != NGHTTP2_HCAT_REQUEST) {
    st.trailers.add(name, value);
    return 0;
  }
  if (name.empty() || name[0] != ':') {
    // Pseudo-header fields precede regular ones (nghttp2 checks): they are all known now.
    st.add_pseudo_fields();
    st.fields.add(name, value);
  } else if (name == ":method") {
    st.method = value;
  } else if (name == ":path") {
    st.path = value;
  } else if (name == ":scheme") {
    st.scheme = value;
  } else if (name == ":authority") {
    st.authority = value;
    st.has_authority = true;
  }
  return 0;
}

// nghttp2 callbacks.

int ServerSession::on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  auto& self = self_of(user);
  if (frame->hd.type != NGHTTP2_HEADERS) {
    return 0;
  }
  if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    self.open_stream(frame->hd.stream_id);
  } else if (auto* st = self.find(frame->hd.stream_id)) {
    st->block_bytes = 0;  // trailers: a block of their own
  }
  return 0;
}

int ServerSession::on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                             std::size_t namelen, const std::uint8_t* value, std::size_t valuelen,
                             std::uint8_t, void* user) {
  auto& self = self_of(user);
  if (frame->hd.type != NGHTTP2_HEADERS) {
    return 0;
  }
  auto* st = self.find(frame->hd.stream_id);
  if (st == nullptr) {
    return 0;
  }
  return self.add_field(*st, frame->headers.cat, {reinterpret_cast<const char*>(name), namelen},
                        {reinterpret_cast<const char*>(value), valuelen});
}

int ServerSession::on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  auto& self = self_of(user);
  const bool end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS:
    case NGHTTP2_DATA: {
      auto* st = self.find(frame->hd.stream_id);
      if (st == nullptr) {
        break;
      }
      if (end) {
        st->end_stream = true;
        st->body_wakeup.notify();
      }
      if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        self.ready_.push_back(st->id);
      }
      break;
    }
    case NGHTTP2_RST_STREAM:
      self.count_reset();
      break;
    default:
      break;
  }
  return 0;
}

int ServerSession::on_data_chunk_recv(nghttp2_session* s, std::uint8_t, std::int32_t stream_id,
                                      const std::uint8_t* data, std::size_t len, void* user) {
  auto& self = self_of(user);
  // The connection window is refilled as data arrives; the stream windows bound what waits.
  nghttp2_session_consume_connection(s, len);
  auto* st = self.find(stream_id);
  if (st == nullptr) {
    return 0;
  }
  if (st->body_dropped || st->too_large || st->refused) {
    self.credit(*st, len);  // nobody reads it: discard
    return 0;
  }
  st->inbox.append(reinterpret_cast<const char*>(data), len);
  st->body_wakeup.notify();
  return 0;
}

int ServerSession::on_stream_close(nghttp2_session*, std::int32_t stream_id, std::uint32_t,
                                   void* user) {
  auto& self = self_of(user);
  auto it = self.streams_.find(stream_id);
  if (it == self.streams_.end()) {
    return 0;
  }
  auto st = std::move(it->second);
  self.streams_.erase(it);
  self.found_ = nullptr;
  self.close_stream(st);
  return 0;
}

int ServerSession::on_frame_send(nghttp2_session* s, const nghttp2_frame* frame, void* user) {
  auto& self = self_of(user);
  const bool end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (end && (frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS)) {
    // RFC 9113 §8.1: the response is complete before the request; ask the client to stop
    // sending it, without error.
    auto* st = self.find(frame->hd.stream_id);
    if (st != nullptr && !st->end_stream) {
      nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_NO_ERROR);
    }
  } else if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.error_code != NGHTTP2_NO_ERROR) {
    self.terminated_ = true;
    const auto& g = frame->goaway;
    self.report_protocol_error(
        self.describe_error({reinterpret_cast<const char*>(g.opaque_data), g.opaque_data_len}));
  }
  return 0;
}

int ServerSession::on_frame_not_send(nghttp2_session* s, const nghttp2_frame* frame, int error,
                                     void* user) {
  auto& self = self_of(user);
  if (frame->hd.type == NGHTTP2_HEADERS && frame->hd.stream_id != 0) {
    log::get("http2")->debug("response head not sent peer={} stream={} error={}",
                             self.remote_.address().to_string(), frame->hd.stream_id,
                             nghttp2_strerror(error));
    nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_INTERNAL_ERROR);
  }
  return 0;
}

int ServerSession::on_invalid_frame_recv(nghttp2_session*, const nghttp2_frame* frame, int error,
                                         void* user) {
  auto& self = self_of(user);
  self.last_lib_error_ = error;
  // Streams reset for the client's mistakes count like resets it sent (MadeYouReset).
  if (frame->hd.stream_id != 0) {
    self.count_reset();
  }
  return 0;
}

int ServerSession::on_error(nghttp2_session*, int code, const char* msg, std::size_t len,
                            void* user) {
  auto& self = self_of(user);
  self.last_error_.assign(msg, len);
  log::get("http2")->debug("nghttp2 error peer={} code={} message={}",
                           self.remote_.address().to_string(), code, self.last_error_);
  return 0;
}

}  // namespace meshd::http2
