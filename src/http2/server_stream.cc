// The per-stream half of ServerSession: the request handed to the service, its body with flow
// control tied to the reader, and the response (HEADERS, DATA pulled from the body, trailers).

#include <boost/asio/cancellation_state.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>
#include <exception>
#include <new>
#include <utility>

#include "http2/block_pool.h"
#include "http2/header_block.h"
#include "http2/server_session_internal.h"
#include "meshd/core/errc.h"
#include "meshd/core/log.h"
#include "meshd/core/spawn.h"

namespace meshd::http2 {
namespace {

/// A stream's request body: DATA frames the session buffered, at most one window of them.
/// One per request stream: allocated from the codec's block cache.
class RequestBody final : public http::Body, public BlockPooled {
 public:
  RequestBody(std::shared_ptr<ServerSession> session, ServerStreamSharedPtr st,
              std::optional<std::uint64_t> length)
      : session_(std::move(session)), st_(std::move(st)), length_(length) {}
  ~RequestBody() override { session_->drop_body(*st_); }
  RequestBody(const RequestBody&) = delete;
  RequestBody& operator=(const RequestBody&) = delete;

  // http::Body
  asio::awaitable<Result<std::string_view>> read() override {
    return ServerSession::read_body(session_, st_);
  }
  std::optional<std::uint64_t> length() const override { return length_; }
  const http::Headers& trailers() const override { return st_->trailers; }
  std::optional<std::uint64_t> arrived() const override {
    if (!st_->end_stream || st_->body_failed) {
      return std::nullopt;
    }
    return st_->inbox.size();
  }
  std::uint64_t buffered() const override { return st_->inbox.size(); }

 private:
  std::shared_ptr<ServerSession> session_;
  ServerStreamSharedPtr st_;
  std::optional<std::uint64_t> length_;
};

/// RFC 9113 §8.2.2: fields that must not appear in HTTP/2 (their names lower-cased).
bool is_connection_specific(std::string_view name) {
  return name == "connection" || name == "keep-alive" || name == "proxy-connection" ||
         name == "transfer-encoding" || name == "upgrade" || name == "te";
}

/// Adds the regular fields of `headers` to `block`: pseudo and connection-specific fields and
/// fields nghttp2 deems invalid left out. The fields an upstream's HTTP/2 decoder checked (a
/// proxied response's) are not checked again.
void add_fields(HeaderBlock& block, const http::Headers& headers,
                HeaderBlock::Bytes bytes = HeaderBlock::Bytes::OutliveSubmit) {
  headers.for_each_checked([&block, bytes](http::Headers::Field f, bool checked) {
    if (f.name.empty() || f.name[0] == ':') {
      return;
    }
    if (checked) {
      if (f.name != "te") {  // (`te: trailers`, the one connection-specific field it lets by)
        block.add_lower(f.name, f.value, bytes);
      }
      return;
    }
    block.add(f.name, f.value, bytes);
    const nghttp2_nv& nv = block.back();
    const std::string_view name(reinterpret_cast<const char*>(nv.name), nv.namelen);
    if (is_connection_specific(name) || !valid_field_name(name) || !valid_field_value(f.value)) {
      block.pop_back();
    }
  });
}

/// `:status` as text, without the heap.
std::string_view status_text(int status, std::array<char, 4>& buf) {
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), status);
  (void)ec;
  return {buf.data(), static_cast<std::size_t>(end - buf.data())};
}

asio::awaitable<void> interim_sent() { co_return; }

ServerSession& self_of(void* user) { return *static_cast<ServerSession*>(user); }

/// The largest last piece of a response body copied so that the body's end can be read at once
/// (ServerSession::pump).
constexpr std::size_t kLastPieceCopy = 16 * 1024;

/// The completion of a worker's coroutine: logs an escaped exception as `spawn` does, and
/// releases the worker (and its cancellation signal) only from a later handler, once Asio has
/// cleared the slot it bound to the coroutine (which happens after the coroutine frame is
/// destroyed).
struct WorkerCompletion {
  std::shared_ptr<ServerWorker> worker;
  asio::any_io_executor executor;

  void operator()(std::exception_ptr e) {
    detail::SpawnCompletion{"http2-server-stream"}(e);
    asio::post(executor, [keep = std::move(worker)] {});
  }
};

}  // namespace

class ServerSession::RunningGuard {
 public:
  RunningGuard(ServerSession& session, ServerStream& st) : session_(session), st_(st) {}
  ~RunningGuard() { release(); }
  RunningGuard(const RunningGuard&) = delete;
  RunningGuard& operator=(const RunningGuard&) = delete;

  /// The coroutine has nothing left to await: a close of the stream need not cancel it.
  void release() {
    if (std::exchange(released_, true)) {
      return;
    }
    --session_.running_;
    st_.running = false;
    st_.worker = nullptr;
    session_.mark_idle_if_quiet();
  }

 private:
  ServerSession& session_;
  ServerStream& st_;
  bool released_ = false;
};

void ServerSession::start_stream(const ServerStreamSharedPtr& st,
                                 std::optional<http::Response> canned) {
  if (canned) [[unlikely]] {
    // Built all the same (its body takes over the stream's DATA), then dropped.
    http::Request dropped;
    build_request(st, dropped);
    launch(st, &dropped, std::move(canned));
    return;
  }
  launch(st, nullptr, std::nullopt);
}

void ServerSession::start_upgraded() {
  if (!upgraded_) {
    return;
  }
  http::Request req = std::move(*upgraded_);
  upgraded_.reset();
  auto it = streams_.find(1);
  if (it == streams_.end()) {
    return;
  }
  set_context(req, it->second);
  launch(it->second, &req, std::nullopt);
}

void ServerSession::launch(const ServerStreamSharedPtr& st, http::Request* built,
                           std::optional<http::Response> canned) {
  std::shared_ptr<ServerWorker> w = workers_.take();
  const bool fresh = !w;
  if (fresh) [[unlikely]] {
    w = std::allocate_shared<ServerWorker>(PoolAllocator<ServerWorker>(), workers_);
  }
  bool is_head = built != nullptr && built->method == "HEAD";
  if (canned) [[unlikely]] {
    w->response = std::move(*canned);
  } else {
    try {
      // The request is made in the worker, which holds it for the service's call: the call's
      // frame (new memory for every request) has no copy of it, and none is moved here.
      if (built != nullptr) {
        w->request.emplace(std::move(*built));
      } else {
        build_request(st, w->request.emplace());
        is_head = w->request->method == "HEAD";
      }
      // (`w->response` holds client_gone here: a new worker starts with it, and `work` puts it
      // back at the end of every job.)
      w->call.emplace(service_->call_into(*w->request, w->response));
    } catch (...) {
      // (Building the request and making the call's frame can only fail to allocate.) A
      // worker taken from the pool goes back: it still waits there.
      w->request.reset();
      if (!fresh) {
        workers_.keep(w);
      }
      throw;
    }
  }
  ++running_;
  st->running = true;
  w->session = shared_from_this();
  w->stream = st;
  w->is_head = is_head;
  w->busy = true;
  st->worker = w.get();
  st->job = ++w->job;
  // The job starts here, as a spawned coroutine would: the request is still in cache.
  if (fresh) [[unlikely]] {
    asio::co_spawn(executor_, work(w),
                   asio::bind_cancellation_slot(w->cancel.slot(), WorkerCompletion{w, executor_}));
  } else {
    w->wakeup.notify_here();
  }
}

std::shared_ptr<ServerWorker> WorkerPool::take() {
  while (!idle_.empty()) {
    std::shared_ptr<ServerWorker> w = std::move(idle_.back());
    idle_.pop_back();
    if (w->wakeup.waiting()) {
      return w;
    }
    // (It ended without leaving the pool: cannot happen but for a bug.)
  }
  return nullptr;
}

bool WorkerPool::keep(const std::shared_ptr<ServerWorker>& w) {
  if (shut_down_ || idle_.size() >= kMaxIdle) {
    return false;
  }
  idle_.push_back(w);
  return true;
}

void WorkerPool::shutdown() {
  // Woken, an idle worker ends; when the io_context is past running handlers, the wake-up's
  // handler is destroyed instead, and the worker's coroutine with it.
  shut_down_ = true;
  auto idle = std::move(idle_);
  idle_.clear();
  for (auto& w : idle) {
    w->quit = true;
    w->wakeup.notify();
  }
}

void ServerSession::build_request(const ServerStreamSharedPtr& st, http::Request& req) {
  req.method = std::move(st->method);
  req.target = std::move(st->path);
  req.version = http::Version{2, 0};
  st->add_pseudo_fields();  // when no regular field came
  req.headers = std::move(st->fields);
  st->fields.clear();
  if (req.headers.contains("expect")) [[unlikely]] {
    // Answered here, as the HTTP/1.1 server does: 100 when the body is first read.
    st->expect_continue =
        !st->end_stream && http::iequals(req.headers.get("expect"), "100-continue");
    req.headers.remove("expect");
  }
  if (st->end_stream && st->inbox.empty()) {
    // (The request may be built after its DATA arrived with the same read: then it has a body.)
    req.body = http::empty_body();
  } else {
    req.body =
        std::make_unique<RequestBody>(shared_from_this(), st, http::content_length(req.headers));
  }
  set_context(req, st);
}

void ServerSession::set_context(http::Request& req, const ServerStreamSharedPtr& st) {
  req.ctx.remote = remote_;
  req.ctx.local = local_;
  req.ctx.start = std::chrono::steady_clock::now();
  // Raw pointers (small enough for std::function's inline storage): the writer is only called
  // while the request is in flight (http::InterimWriter), and the stream's coroutine holds the
  // session and the stream until then.
  req.ctx.interim = [self = this, stream = st.get()](const http::Response& rsp) {
    self->submit_interim(*stream, rsp);
    return interim_sent();
  };
}

asio::awaitable<void> ServerSession::work(std::shared_ptr<ServerWorker> w) {
  for (;;) {
    {
      std::shared_ptr<ServerSession> self = std::move(w->session);
      ServerStreamSharedPtr st = std::move(w->stream);
      RunningGuard guard(*self, *st);
      Result<http::Response>& rsp = w->response;
      bool failed = false;
      std::uint32_t code = NGHTTP2_INTERNAL_ERROR;  // the reset of a failed call
      if (w->call) [[likely]] {
        try {
          auto call = std::move(*w->call);
          w->call.reset();
          co_await std::move(call);
        } catch (const boost::system::system_error&) {
          // Asio surfaces the cancellation of a reset stream as an exception at the next
          // co_await.
          rsp = make_error_code(errc::client_gone);
        } catch (const std::exception& e) {
          count_internal_error();
          log::get("http2")->error("service failed stream={} error={}", st->id, e.what());
          failed = true;
        }
        if (!rsp && !failed) [[unlikely]] {
          // How the endpoint ended the request's last try decides the reset (Linkerd passes an
          // endpoint's reset on): read before the request goes.
          code =
              static_cast<std::uint32_t>(w->request ? reset_code_for(rsp.error(), w->request->ctx)
                                                    : reset_code_for(rsp.error()));
        }
        // The request ends with the call, as if the call had owned it: its body holds the
        // stream and the session, which an idle worker must not.
        w->request.reset();
      } else if (!rsp) [[unlikely]] {
        code = static_cast<std::uint32_t>(reset_code_for(rsp.error()));
      }
      if (st->closed || self->stopped_) [[unlikely]] {
        // nothing to send
      } else if (failed || !rsp) [[unlikely]] {
        self->reset(*st, code);
      } else {
        // A body that has arrived whole (the usual short response) is queued here; the pump,
        // a coroutine of its own, is for a body that still streams.
        if (self->submit_response(*st, std::move(*rsp), w->is_head) && !self->pump_arrived(*st)) {
          try {
            co_await pump(self, st);
          } catch (const boost::system::system_error&) {
            // cancelled: the stream was reset or the connection closed
          }
        }
        // The response is queued whole, or as far as the pump got: encode it now, while this
        // stream's memory is warm (a short response ends the stream, freed when `st` is).
        guard.release();
        self->stage();
      }
      // What is left of the response (all of it, if it was not sent) holds its stream's and
      // session's memory: an idle worker holds nothing.
      rsp = make_error_code(errc::client_gone);
      w->busy = false;
    }
    // The stream and the session are let go (an idle worker holds neither) before the worker
    // goes back to the pool: what their destructors do cannot find it there, not yet waiting.
    // The next job starts uncancelled. (Unconditionally: with this await inside an `if` on the
    // state's `cancelled()`, the sanitizer build of GCC 12 threw at the worker's next await.)
    co_await asio::this_coro::reset_cancellation_state();
    if (!w->pool->keep(w)) [[unlikely]] {
      co_return;
    }
    auto [ec] = co_await w->wakeup.wait(await_nothrow);
    if (ec || w->quit) [[unlikely]] {
      co_return;
    }
  }
}

asio::awaitable<void> ServerSession::pump(std::shared_ptr<ServerSession> self,
                                          ServerStreamSharedPtr st) {
  // One piece at a time: the next is read once the data provider has taken the previous one,
  // which it does only as the client's windows allow.
  for (;;) {
    while (!st->pending.empty() && !st->closed && !self->stopped_) {
      co_await st->pump_wakeup.wait();
    }
    if (st->closed || self->stopped_) {
      co_return;
    }
    std::optional<Result<std::string_view>> piece = st->response_body->poll();
    if (!piece) {
      auto read = co_await st->response_body->read();
      if (st->closed || self->stopped_) {
        co_return;
      }
      piece.emplace(read);
    }
    BodyStep step = self->take_piece(*st, *piece);
    if (step == BodyStep::NeedEnd) {
      std::optional<Result<std::string_view>> end = st->response_body->poll();
      if (!end) {
        auto read = co_await st->response_body->read();
        if (st->closed || self->stopped_) {
          co_return;
        }
        end.emplace(read);
      }
      step = self->take_end(*st, end);
    }
    if (step != BodyStep::Queued) {
      co_return;
    }
  }
}

namespace {

/// The reset of a stream whose response body failed: the endpoint's own RST_STREAM code when
/// that ended the body (Linkerd passes it on), else INTERNAL_ERROR.
std::uint32_t body_reset_code(const ServerStream& st) {
  return st.response_body->reset_code().value_or(NGHTTP2_INTERNAL_ERROR);
}

}  // namespace

bool ServerSession::pump_arrived(ServerStream& st) {
  // Only the first piece is looked at: once one is queued, the next waits for the provider.
  std::optional<Result<std::string_view>> piece = st.response_body->poll();
  if (!piece) {
    return false;
  }
  BodyStep step = take_piece(st, *piece);
  if (step == BodyStep::NeedEnd) {
    step = take_end(st, st.response_body->poll());
  }
  return step != BodyStep::Queued;
}

ServerSession::BodyStep ServerSession::take_piece(ServerStream& st,
                                                  const Result<std::string_view>& piece) {
  if (!piece) {
    log::get("http2")->debug("response body failed stream={} error={}", st.id,
                             piece.error().message());
    reset(st, body_reset_code(st));
    return BodyStep::Failed;
  }
  if (piece->empty()) {
    st.body_eof = true;
  } else if (piece->size() <= kLastPieceCopy &&
             st.response_body->arrived() == std::optional<std::uint64_t>{0}) {
    // The rest of the body (its end and trailers) is already here: with the end taken now,
    // the piece goes out with END_STREAM (or the trailers) without another turn of the pump.
    st.last_piece.assign(piece->data(), piece->size());
    return BodyStep::NeedEnd;
  } else {
    st.pending = *piece;
  }
  nghttp2_session_resume_data(session_.get(), st.id);
  writer_wakeup_.notify();
  return st.body_eof ? BodyStep::Ended : BodyStep::Queued;
}

ServerSession::BodyStep ServerSession::take_end(
    ServerStream& st, const std::optional<Result<std::string_view>>& end) {
  if (end && !*end) [[unlikely]] {
    log::get("http2")->debug("response body failed stream={} error={}", st.id,
                             end->error().message());
    reset(st, body_reset_code(st));
    return BodyStep::Failed;
  }
  if (end) {
    st.last_piece.append((*end)->data(), (*end)->size());  // empty unless the body misreported
    st.body_eof = (*end)->empty();
  }  // else the end could not be taken without a wait: the pump reads it after this piece
  st.pending = std::string_view(st.last_piece.data(), st.last_piece.size());
  nghttp2_session_resume_data(session_.get(), st.id);
  writer_wakeup_.notify();
  return st.body_eof ? BodyStep::Ended : BodyStep::Queued;
}

bool ServerSession::submit_response(ServerStream& st, http::Response rsp, bool is_head) {
  if (rsp.status < 200 || rsp.status > 999) [[unlikely]] {
    log::get("http2")->debug("invalid final status stream={} status={}", st.id, rsp.status);
    reset(st, NGHTTP2_INTERNAL_ERROR);
    return false;
  }
  st.response_body = rsp.body ? std::move(rsp.body) : http::empty_body();
  // A body already known to be empty, without trailers, ends the stream with the HEADERS: a
  // gRPC trailers-only response must stay one HEADERS frame with END_STREAM.
  const bool empty =
      st.response_body->arrived() == std::optional<std::uint64_t>{0} &&
      st.response_body->trailers().empty();
  const bool no_body = is_head || rsp.status == 204 || rsp.status == 304 || empty;
  // The stream keeps the fields: nghttp2 encodes them in place when it writes the HEADERS frame
  // (the stream outlives that, or nghttp2 drops the frame when the stream closes first), where
  // it would copy and lower-case every name and value of the block again.
  st.response_headers = std::move(rsp.headers);
  HeaderBlock nv;
  std::array<char, 4> status_buf{};
  nv.add_pseudo(":status", status_text(rsp.status, status_buf));
  add_fields(nv, st.response_headers, HeaderBlock::Bytes::OutliveFrame);
  nghttp2_data_provider provider;
  provider.source.ptr = &st;
  provider.read_callback = &read_data;
  int rv = nghttp2_submit_response(session_.get(), st.id, nv.data(), nv.size(),
                                   no_body ? nullptr : &provider);
  st.responded = true;
  if (rv != 0) [[unlikely]] {
    log::get("http2")->debug("response not submitted stream={} error={}", st.id,
                             nghttp2_strerror(rv));
    reset(st, NGHTTP2_INTERNAL_ERROR);
    return false;
  }
  writer_wakeup_.notify();
  return !no_body;
}

bool ServerSession::submit_trailers(ServerStream& st, const http::Headers& trailers) {
  HeaderBlock nv;
  add_fields(nv, trailers);
  if (nv.size() == 0) {
    return false;
  }
  return nghttp2_submit_trailer(session_.get(), st.id, nv.data(), nv.size()) == 0;
}

void ServerSession::submit_interim(ServerStream& st, const http::Response& rsp) {
  if (stopped_ || st.closed || st.responded || rsp.status < 100 || rsp.status > 199 ||
      rsp.status == 101) {
    return;
  }
  HeaderBlock nv;
  std::array<char, 4> status_buf{};
  nv.add_pseudo(":status", status_text(rsp.status, status_buf));
  add_fields(nv, rsp.headers);
  nghttp2_submit_headers(session_.get(), NGHTTP2_FLAG_NONE, st.id, nullptr, nv.data(), nv.size(),
                         nullptr);
  writer_wakeup_.notify();
}

void ServerSession::reset(ServerStream& st, std::uint32_t code) {
  if (stopped_ || st.closed) {
    return;
  }
  nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, st.id, code);
  writer_wakeup_.notify();
}

ssize_t ServerSession::read_data(nghttp2_session*, std::int32_t, std::uint8_t* buf,
                                 std::size_t length, std::uint32_t* flags,
                                 nghttp2_data_source* source, void* user) {
  auto& st = *static_cast<ServerStream*>(source->ptr);
  std::size_t n = 0;
  if (!st.pending.empty()) {
    n = std::min(length, st.pending.size());
    std::memcpy(buf, st.pending.data(), n);
    st.pending.remove_prefix(n);
    if (!st.pending.empty()) {
      return static_cast<ssize_t>(n);
    }
    if (!st.body_eof) {
      st.pump_wakeup.notify();
      return static_cast<ssize_t>(n);
    }
    // The last piece: it ends the stream in the same DATA frame.
  } else if (!st.body_eof) {
    return NGHTTP2_ERR_DEFERRED;  // the pump resumes the stream with the next piece
  }
  *flags |= NGHTTP2_DATA_FLAG_EOF;
  const http::Headers& trailers = st.response_body->trailers();
  if (!trailers.empty() && self_of(user).submit_trailers(st, trailers)) {
    *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
  }
  return static_cast<ssize_t>(n);
}

asio::awaitable<Result<std::string_view>> ServerSession::read_body(
    std::shared_ptr<ServerSession> self, ServerStreamSharedPtr st) {
  if (st->expect_continue) {
    st->expect_continue = false;
    http::Response proceed;
    proceed.status = 100;
    self->submit_interim(*st, proceed);
  }
  for (;;) {
    if (st->body_failed) {
      co_return make_error_code(errc::client_gone);
    }
    if (!st->inbox.empty()) {
      st->current.swap(st->inbox);
      st->inbox.clear();
      self->credit(*st, st->current.size());
      co_return std::string_view(st->current);
    }
    if (st->end_stream) {
      co_return std::string_view{};
    }
    if (st->closed || self->stopped_) {
      st->body_failed = true;
      co_return make_error_code(errc::client_gone);
    }
    co_await st->body_wakeup.wait();
    asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none) {
      st->body_failed = true;
      co_return make_error_code(asio::error::operation_aborted);
    }
  }
}

void ServerSession::drop_body(ServerStream& st) {
  st.body_dropped = true;
  const std::size_t unread = st.inbox.size();
  std::string().swap(st.inbox);
  std::string().swap(st.current);
  credit(st, unread);
}

void ServerSession::credit(ServerStream& st, std::size_t n) {
  // Nothing more can arrive once the client ended the stream: no WINDOW_UPDATE then.
  if (stopped_ || st.closed || st.end_stream || n == 0) {
    return;
  }
  st.unacked += n;
  if (st.unacked < credit_batch_) {
    return;
  }
  // nghttp2_session_consume_stream would batch at half the window whatever the ratio says;
  // with automatic updates off, submitting the update ourselves credits exactly what was read.
  nghttp2_submit_window_update(session_.get(), NGHTTP2_FLAG_NONE, st.id,
                               static_cast<std::int32_t>(st.unacked));
  st.unacked = 0;
  writer_wakeup_.notify();
}

}  // namespace meshd::http2
