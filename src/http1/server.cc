#include "meshd/http1/server.h"

#include <sys/socket.h>

#include "meshd/core/log.h"
#include "meshd/core/spawn.h"
#include "meshd/http1/reader.h"
#include "meshd/http1/writer.h"

namespace meshd::http1 {

/// The body of a request being served: pulls pieces from the connection's reader.
class ServerConnection::RequestBody final : public http::Body {
 public:
  explicit RequestBody(std::shared_ptr<ServerConnection> conn) : conn_(std::move(conn)) {}
  asio::awaitable<Result<std::string_view>> read() override { return conn_->read_body(); }
  std::optional<Result<std::string_view>> poll() override {
    if (conn_->expect_continue_) {
      return std::nullopt;  // read() answers the expectation first
    }
    return conn_->reader_->poll_body();  // a buffered piece is no reset: nothing to map
  }
  std::optional<std::uint64_t> length() const override { return conn_->body_length(); }
  const http::Headers& trailers() const override { return conn_->trailers(); }

 private:
  std::shared_ptr<ServerConnection> conn_;
};

ServerConnection::ServerConnection(transport::StreamPtr stream, HttpServiceSharedPtr service,
                                   const ServerOptions& options, transport::DrainGroup& drain_group)
    : stream_(std::move(stream)),
      service_(std::move(service)),
      options_(options),
      drain_group_(drain_group),
      // The reader does not see a FIN that came with a request (see DrainBuffer): the tick
      // checks a connection that stays idle (kIdleCheckTicks), and the watch of a request in
      // flight peeks at once (watch_client).
      reader_(std::make_unique<MessageReader>(*stream_, Parser::Kind::Request, options.limits)) {
  drain_group_.add(this);
  if (options_.on_connection) {
    options_.on_connection(1);
  }
}

ServerConnection::~ServerConnection() {
  if (options_.on_connection) {
    options_.on_connection(-1);
  }
  drain_group_.remove(this);
}

void ServerConnection::start() {
  draining_ = drain_group_.draining();
  // The stream was created on this worker; its socket's executor is the worker's. The
  // coroutine owns a reference to the connection through its parameter.
  spawn(stream_->socket().get_executor(), run(shared_from_this()), "http1-server",
        cancel_.slot());
}

void ServerConnection::drain() noexcept {
  draining_ = true;
  if (idle_ && !reader_->has_buffered()) {
    stream_->cancel();
  }
}

asio::awaitable<Result<std::string_view>> ServerConnection::read_body() {
  if (expect_continue_) {
    expect_continue_ = false;
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    std::array<asio::const_buffer, 1> bufs{asio::buffer(kContinue.data(), kContinue.size())};
    auto w = co_await stream_->write(bufs);
    if (!w) {
      co_return make_error_code(errc::client_gone);
    }
  }
  auto piece = co_await reader_->read_body();
  if (!piece && piece.error() == make_error_code(errc::upstream_reset)) {
    co_return make_error_code(errc::client_gone);
  }
  co_return piece;
}

const http::Headers& ServerConnection::trailers() { return reader_->parser().trailers(); }

std::optional<std::uint64_t> ServerConnection::body_length() {
  return reader_->parser().chunked() ? std::nullopt : reader_->parser().content_length();
}

asio::awaitable<void> ServerConnection::run(std::shared_ptr<ServerConnection> self) {
  // GCC 12 miscompiles `co_await` inside an `if`/`while` condition: keep awaits in statements.
  ServerConnection& c = *self;
  while (!c.draining_ || c.reader_->has_buffered()) {
    c.idle_ = true;
    auto head = co_await c.reader_->read_head();
    c.idle_ = false;
    ++c.requests_;
    if (!head) {
      if (head.error() == make_error_code(errc::protocol_error)) {
        co_await c.write_parse_failure();
      }
      break;
    }
    Parser& p = c.reader_->parser();
    bool keep_alive = p.keep_alive();
    http::Version version = p.version();
    bool is_head = p.method() == "HEAD";
    // While the request is in flight with its body fully read, the client may leave: then cancel
    // the request so the upstream exchange is abandoned and its connection freed. Most requests
    // finish quickly, so the watch starts only from the worker's tick once one has been in
    // flight for kWatchAfter (no syscall on the fast path).
    Result<http::Response> rsp = make_error_code(errc::client_gone);
    {
      // The request ends with the call, as if the call had owned it (its body goes with it).
      http::Request req = c.build_request();
      if (c.reader_->message_done() && !c.reader_->has_buffered()) {
        c.watchable_since_ = req.ctx.start;
      }
      try {
        co_await c.service_->call_into(req, rsp);
      } catch (const boost::system::system_error&) {
        // Asio surfaces the cancellation we emitted as an exception at the next co_await.
        rsp = make_error_code(errc::client_gone);
      }
    }
    if (!c.end_watch() || !rsp) {
      break;  // the client went away, or an unmapped error: nothing to answer
    }
    if (!c.reader_->message_done()) {
      keep_alive = false;  // the request body was not read to its end; its bytes cannot be skipped
    }
    keep_alive = keep_alive && !c.draining_;
    Framing framing = c.prepare_response(*rsp, version, is_head, keep_alive);
    auto w = co_await write_message(*c.stream_, c.head_, rsp->body.get(), framing);
    if (!w) {
      log::get("http1")->debug("response not completed peer={} error={}",
                               c.stream_->remote_endpoint().address().to_string(),
                               w.error().message());
      break;  // closing tells the client the body was cut short
    }
    if (!keep_alive) {
      break;
    }
    // The response's header storage serves the next request's head.
    p.reuse_headers(std::move(rsp->headers));
  }
  c.stream_->close();
}

bool ServerConnection::end_watch() {
  watchable_since_.reset();
  if (watching_) {
    watching_ = false;
    stream_->socket().cancel();
  }
  if (client_gone_) {
    log::get("http1")->debug("client went away mid-request peer={}",
                             stream_->remote_endpoint().address().to_string());
    return false;
  }
  return true;
}

http::Request ServerConnection::build_request() {
  Parser& p = reader_->parser();
  http::Request req;
  req.method.assign(p.method());
  req.target = p.target();
  req.version = p.version();
  req.headers = std::move(p.headers());
  req.ctx.remote = stream_->remote_endpoint();
  req.ctx.local = stream_->local_endpoint();
  req.ctx.start = std::chrono::steady_clock::now();
  bool has_body = p.chunked() || p.content_length().value_or(0) > 0;
  if (has_body) {
    req.body = std::make_unique<RequestBody>(shared_from_this());
  } else {
    req.body = http::empty_body();
  }
  // RFC 9110 §10.1.1: an HTTP/1.0 client does not know 1xx; ignore its expectation.
  if (req.version.minor >= 1) {
    // `this` outlives the request: run() holds the connection until the call returns.
    req.ctx.interim = [this](const http::Response& rsp) { return write_interim(rsp); };
  }
  expect_continue_ = false;
  if (req.headers.contains("Expect")) {
    expect_continue_ = has_body && req.version.minor >= 1 &&
                       http::iequals(req.headers.get("Expect"), "100-continue");
    req.headers.remove("Expect");
  }
  return req;
}

void ServerConnection::tick(std::chrono::steady_clock::time_point now) noexcept {
  if (watchable_since_ && !watching_ && now - *watchable_since_ >= kWatchAfter) {
    watch_client();
  }
  // Idle since the last tick at least: once per idle spell, look for a FIN that came with the
  // last request (a FIN that comes later raises its own event and ends the read).
  if (idle_ && requests_ == requests_at_tick_) {
    if (idle_ticks_ < kIdleCheckTicks && ++idle_ticks_ == kIdleCheckTicks && peek_client() == 0) {
      stream_->cancel();  // the pending read ends; run() closes the connection
    }
  } else {
    idle_ticks_ = 0;
  }
  requests_at_tick_ = requests_;
}

int ServerConnection::peek_client() noexcept {
  const ssize_t n =
      ::recv(stream_->socket().native_handle(), &peek_byte_, 1, MSG_PEEK | MSG_DONTWAIT);
  return n > 0 ? 1 : n == 0 ? 0 : -1;
}

void ServerConnection::watch_client() {
  // First a look at once: a FIN that came with the request raises no event of its own.
  if (peek_client() == 0) {
    watchable_since_.reset();
    client_gone_ = true;
    cancel_.emit(asio::cancellation_type::terminal);
    return;
  }
  // A peeking receive: it completes when the client sends bytes (left in the socket for the next
  // request) or closes (eof/reset), without consuming anything. Unlike a readiness wait it needs
  // no epoll_ctl per request.
  watching_ = true;
  auto& socket = stream_->socket();
  socket.async_receive(asio::buffer(&peek_byte_, 1), asio::socket_base::message_peek,
                       [self = shared_from_this(), id = ++watch_id_](
                           boost::system::error_code ec, std::size_t n) {
                         if (id != self->watch_id_ || !self->watching_ ||
                             ec == asio::error::operation_aborted || (!ec && n > 0)) {
                           return;  // finished, or a pipelined request: the client is there
                         }
                         self->client_gone_ = true;
                         self->cancel_.emit(asio::cancellation_type::terminal);
                       });
}

Framing ServerConnection::prepare_response(http::Response& rsp, http::Version version, bool is_head,
                                           bool& keep_alive) {
  Framing framing;
  bool no_body = is_head || rsp.status / 100 == 1 || rsp.status == 204 || rsp.status == 304;
  if (no_body) {
    framing = Framing::None;
  } else if (rsp.body->length()) {
    framing = Framing::Length;
  } else if (version.minor >= 1) {
    framing = Framing::Chunked;
  } else {
    framing = Framing::Close;
    keep_alive = false;
  }
  set_framing(rsp.headers, framing, is_head || rsp.status == 304);
  http::Version ours{1, version.minor >= 1 ? 1 : 0};
  head_.clear();
  serialize_response_head(rsp, ours, framing, keep_alive, head_);
  return framing;
}

asio::awaitable<void> ServerConnection::write_interim(const http::Response& rsp) {
  std::string head;
  serialize_response_head(rsp, http::Version{1, 1}, Framing::None, true, head);
  std::array<asio::const_buffer, 1> bufs{asio::buffer(head)};
  co_await stream_->write(bufs);  // a failure shows again when the final response is written
}

asio::awaitable<void> ServerConnection::write_parse_failure() {
  const ParseFailure& f = reader_->parser().failure();
  log::get("http1")->debug("bad request peer={} status={} reason={}",
                           stream_->remote_endpoint().address().to_string(), f.status, f.reason);
  auto rsp = http::Response::text(f.status, f.reason + "\n");
  bool keep_alive = false;
  Framing framing = prepare_response(rsp, http::Version{1, 1}, false, keep_alive);
  co_await write_message(*stream_, head_, rsp.body.get(), framing);
}

}  // namespace meshd::http1
