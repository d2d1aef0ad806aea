// The nghttp2 callbacks of the HTTP/2 client session: how frames from the server change the
// state of its streams (client_internal.h). They run inside nghttp2_session_mem_recv (the reader)
// or nghttp2_session_mem_send (the writer); they only record state and wake waiters, never await.

#include <charconv>
#include <cstring>
#include <string>
#include <vector>

#include "http2/client_internal.h"
#include "http2/header_block.h"
#include "meshd/core/log.h"
#include "meshd/http2/settings.h"

namespace meshd::http2::client_detail {
namespace {

Connection& conn_of(void* user_data) { return *static_cast<Connection*>(user_data); }

std::string_view view(const std::uint8_t* p, std::size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}

int begin_headers_cb(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  return conn_of(user_data).on_begin_headers(frame);
}

int header_cb(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
              std::size_t namelen, const std::uint8_t* value, std::size_t valuelen, std::uint8_t,
              void* user_data) {
  return conn_of(user_data).on_header(frame, view(name, namelen), view(value, valuelen));
}

int frame_recv_cb(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  return conn_of(user_data).on_frame_recv(frame);
}

int data_chunk_recv_cb(nghttp2_session*, std::uint8_t, std::int32_t stream_id,
                       const std::uint8_t* data, std::size_t len, void* user_data) {
  return conn_of(user_data).on_data_chunk_recv(stream_id, data, len);
}

int frame_send_cb(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  return conn_of(user_data).on_frame_send(frame);
}

int frame_not_send_cb(nghttp2_session*, const nghttp2_frame* frame, int lib_error,
                      void* user_data) {
  return conn_of(user_data).on_frame_not_send(frame, lib_error);
}

int stream_close_cb(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code,
                    void* user_data) {
  return conn_of(user_data).on_stream_close(stream_id, error_code);
}

int error_cb(nghttp2_session*, int lib_error, const char* msg, std::size_t len, void* user_data) {
  conn_of(user_data).on_error(lib_error, std::string_view(msg, len));
  return 0;
}

struct CallbacksDeleter {
  void operator()(nghttp2_session_callbacks* cbs) const noexcept {
    nghttp2_session_callbacks_del(cbs);
  }
};

std::unique_ptr<nghttp2_session_callbacks, CallbacksDeleter> make_callbacks() {
  nghttp2_session_callbacks* cbs = nullptr;
  if (nghttp2_session_callbacks_new(&cbs) != 0) {
    return nullptr;
  }
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, &begin_headers_cb);
  nghttp2_session_callbacks_set_on_header_callback(cbs, &header_cb);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &frame_recv_cb);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &data_chunk_recv_cb);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, &frame_send_cb);
  nghttp2_session_callbacks_set_on_frame_not_send_callback(cbs, &frame_not_send_cb);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &stream_close_cb);
  nghttp2_session_callbacks_set_error_callback2(cbs, &error_cb);
  return std::unique_ptr<nghttp2_session_callbacks, CallbacksDeleter>(cbs);
}

}  // namespace

nghttp2_session_callbacks* client_callbacks() {
  // nghttp2_session_client_new2 copies the table: one for the process is enough.
  static const auto callbacks = make_callbacks();
  return callbacks.get();
}

int Connection::on_begin_headers(const nghttp2_frame* frame) {
  ClientStream* st = find(frame->hd.stream_id);
  if (st == nullptr || frame->hd.type != NGHTTP2_HEADERS) {
    return 0;
  }
  st->block_bytes = 0;
  if (!st->head_ready) {  // a 1xx head before it left fields behind
    st->headers.clear();
    st->pending_status = 0;
  }
  return 0;
}

int Connection::on_header(const nghttp2_frame* frame, std::string_view name,
                          std::string_view value) {
  ClientStream* st = find(frame->hd.stream_id);
  if (st == nullptr || st->cancelled) {
    return 0;
  }
  // RFC 9113 §6.5.2 size: nghttp2 does not enforce our SETTINGS_MAX_HEADER_LIST_SIZE itself.
  st->block_bytes += name.size() + value.size() + 32;
  if (st->block_bytes > options_.settings.max_header_list_bytes) {
    fail(*st, make_error_code(errc::protocol_error), false, 0,
         "response header list over " + std::to_string(options_.settings.max_header_list_bytes) +
             " bytes");
    st->cancelled = true;  // nghttp2 resets the stream (INTERNAL_ERROR) and skips the rest
    stop_pump(*st);
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
  if (st->head_ready) {
    st->trailers.add(name, value);  // nghttp2 rejects pseudo-headers in trailers
  } else if (name == ":status") {
    int status = 0;
    std::from_chars(value.data(), value.data() + value.size(), status);
    st->pending_status = status;  // nghttp2 checked it is three digits
  } else if (name.empty() || name.front() != ':') {
    st->headers.add(name, value);
  }
  return 0;
}

int Connection::on_frame_recv(const nghttp2_frame* frame) {
  const std::int32_t id = frame->hd.stream_id;
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS: {
      ClientStream* st = find(id);
      if (st == nullptr) {
        break;
      }
      if (!st->head_ready && st->pending_status / 100 == 1) {
        st->headers.clear();  // an interim response: skipped
        st->pending_status = 0;
      } else if (!st->head_ready) {
        st->head_ready = true;
        st->status = st->pending_status;
        st->headers.mark_h2_checked();  // every field nghttp2 passed to on_header
      }
      if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
        st->remote_ended = true;
      }
      st->signal.notify();
      break;
    }
    case NGHTTP2_DATA: {
      ClientStream* st = find(id);
      if (st == nullptr) {
        break;
      }
      if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
        st->remote_ended = true;
        st->signal.notify();
      } else if (frame->data.padlen > 0 && !st->cancelled) {
        // nghttp2 counted the padding as consumed; hand it back at once so that its own
        // batching (half the window) never overlaps with ours.
        nghttp2_submit_window_update(session_, NGHTTP2_FLAG_NONE, id,
                                     static_cast<std::int32_t>(frame->data.padlen));
      }
      break;
    }
    case NGHTTP2_RST_STREAM:
      if (ClientStream* st = find(id)) {
        st->rst_code = frame->rst_stream.error_code;
      }
      break;
    case NGHTTP2_GOAWAY:
      goaway_received_ = true;
      goaway_last_id_ = frame->goaway.last_stream_id;
      goaway_code_ = frame->goaway.error_code;
      log::get("http2")->debug("goaway received last_stream_id={} code={}", goaway_last_id_,
                               error_code_name(goaway_code_));
      break;
    case NGHTTP2_PING:
      if ((frame->hd.flags & NGHTTP2_FLAG_ACK) != 0) {
        ping_outstanding_ = false;
      }
      break;
    default:
      break;
  }
  return 0;
}

int Connection::on_data_chunk_recv(std::int32_t stream_id, const std::uint8_t* data,
                                   std::size_t len) {
  // The connection window is refilled as data arrives (Finagle's AutoRefillConnectionWindow):
  // the stream windows alone bound what is buffered.
  nghttp2_session_consume_connection(session_, len);
  ClientStream* st = find(stream_id);
  if (st == nullptr || st->cancelled) {
    return 0;
  }
  st->rx.append(reinterpret_cast<const char*>(data), len);
  st->signal.notify();
  return 0;
}

int Connection::on_frame_send(const nghttp2_frame* frame) {
  if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    if (ClientStream* st = find(frame->hd.stream_id)) {
      st->headers_sent = true;
    }
  } else if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.error_code != NGHTTP2_NO_ERROR) {
    // nghttp2 ended the session because the server broke the protocol.
    protocol_failure(last_error_.empty() ? error_code_name(frame->goaway.error_code) : last_error_);
  }
  return 0;
}

int Connection::on_frame_not_send(const nghttp2_frame* frame, int lib_error) {
  if (frame->hd.type == NGHTTP2_HEADERS) {
    if (ClientStream* st = find(frame->hd.stream_id)) {
      st->not_sent_error = lib_error;  // the stream is closed right after
    }
  }
  return 0;
}

int Connection::on_stream_close(std::int32_t stream_id, std::uint32_t error_code) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) {
    return 0;
  }
  ClientStreamSharedPtr st = std::move(it->second);
  streams_.erase(it);
  forget_found();
  if (options_.hooks.on_stream) {
    options_.hooks.on_stream(-1);
  }
  st->closed = true;
  if (!st->remote_ended) {
    explain_close(*st, error_code);
  }
  stop_pump(*st);
  st->signal.notify();
  wake_writer();  // a draining session may be done now
  return 0;
}

void Connection::on_error(int lib_error, std::string_view message) {
  last_error_ = std::string(message);
  log::get("http2")->debug("nghttp2 client error code={} message={}", lib_error, message);
}

void Connection::explain_close(ClientStream& st, std::uint32_t error_code) {
  auto reset = make_error_code(errc::upstream_reset);
  if (st.rst_code) {
    const bool first = !st.error;
    fail(st, reset, *st.rst_code == NGHTTP2_REFUSED_STREAM, *st.rst_code,
         "stream reset by the server: " + error_code_name(*st.rst_code));
    st.failure.stream_reset = first;
  } else if (goaway_received_ && st.id > goaway_last_id_) {
    fail(st, reset, true, goaway_code_,
         "stream refused by the server's GOAWAY: " + error_code_name(goaway_code_));
  } else if (st.cancelled) {
    fail(st, asio::error::operation_aborted, false, error_code, "stream reset by the client");
  } else if (st.not_sent_error == NGHTTP2_ERR_FRAME_SIZE_ERROR) {
    fail(st, make_error_code(errc::protocol_error), false, 0, "request header block too large");
  } else if (!st.headers_sent) {
    fail(st, reset, true, 0,
         std::string("request not sent: ") +
             (st.not_sent_error != 0 ? nghttp2_strerror(st.not_sent_error) : "stream closed"));
  } else if (error_code != NGHTTP2_NO_ERROR) {
    // nghttp2 reset the stream itself: the response broke HTTP/2's message rules.
    fail(st, make_error_code(errc::protocol_error), false, 0,
         "malformed response: stream reset with " + error_code_name(error_code) +
             (last_error_.empty() ? std::string() : " (" + last_error_ + ")"));
  } else {
    fail(st, reset, false, 0, "stream closed before the response ended");
  }
}

ssize_t Connection::read_request_body(std::int32_t stream_id, std::uint8_t* buf, std::size_t length,
                                      std::uint32_t* flags, ClientStream& st) {
  if (!st.out_piece.empty()) {
    std::size_t n = std::min(length, st.out_piece.size());
    std::memcpy(buf, st.out_piece.data(), n);
    st.out_piece.remove_prefix(n);
    if (st.out_piece.empty()) {
      st.pump_signal.notify();  // read the next piece
    }
    return static_cast<ssize_t>(n);
  }
  if (st.out_eof) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    if (st.out_trailers.empty()) {
      return 0;
    }
    HeaderBlock nva;
    st.out_trailers.for_each([&](const http::Headers::Field& f) {
      if (f.name.empty() || f.name.front() == ':') {
        return;
      }
      nva.add(f.name, f.value);
    });
    if (nghttp2_submit_trailer(session_, stream_id, nva.data(), nva.size()) == 0) {
      *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;  // the trailers' HEADERS ends the stream
    }
    return 0;
  }
  if (st.pump_stop || !st.pump_running) {
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // the body failed: reset the stream
  }
  st.pump_signal.notify();
  return NGHTTP2_ERR_DEFERRED;  // resumed by resume() once the pump has a piece
}

}  // namespace meshd::http2::client_detail
