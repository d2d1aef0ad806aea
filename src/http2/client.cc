#include "meshd/http2/client.h"

#include <boost/asio/error.hpp>

#include <new>
#include <utility>

#include "http2/block_pool.h"
#include "http2/client_internal.h"

namespace meshd::http2 {

using client_detail::ClientStream;
using client_detail::ClientStreamSharedPtr;
using client_detail::Connection;

struct ClientSession::Impl final : Connection {
  using Connection::Connection;
};

namespace {

/// Stands in for a request body that the session took over because its stream still reads it
/// after exchange() returned: same length, not readable again.
class TakenBody final : public http::Body {
 public:
  explicit TakenBody(std::optional<std::uint64_t> length) : length_(length) {}
  asio::awaitable<Result<std::string_view>> read() override {
    co_return boost::system::error_code(asio::error::already_started);
  }
  std::optional<std::uint64_t> length() const override { return length_; }

 private:
  std::optional<std::uint64_t> length_;
};

/// The response body of a stream: takes what the stream received, crediting the stream window
/// as it goes, so that a slow reader stops the server. Dropping it before its end resets the
/// stream (CANCEL).
/// One per exchange: allocated from the codec's block cache.
class ResponseBody final : public http::Body, public BlockPooled {
 public:
  ResponseBody(std::shared_ptr<Connection> conn, ClientStreamSharedPtr st,
               std::optional<std::uint64_t> length)
      : conn_(std::move(conn)), st_(std::move(st)), length_(length) {}
  ~ResponseBody() override {
    if (!st_->remote_ended) {
      conn_->cancel_stream(*st_, NGHTTP2_CANCEL);
    }
  }
  ResponseBody(const ResponseBody&) = delete;
  ResponseBody& operator=(const ResponseBody&) = delete;

  // http::Body
  asio::awaitable<Result<std::string_view>> read() override {
    for (;;) {
      if (auto ready = poll()) {
        co_return *ready;
      }
      asio::cancellation_state cs = co_await asio::this_coro::cancellation_state;
      if (cs.cancelled() != asio::cancellation_type::none) {
        // Poisoned: the stream is reset, later reads fail.
        conn_->cancel_stream(*st_, NGHTTP2_CANCEL);
        Connection::fail(*st_, asio::error::operation_aborted, false, 0, "body read cancelled");
        st_->rx.clear();
        co_return boost::system::error_code(asio::error::operation_aborted);
      }
      co_await st_->signal.wait(await_nothrow);
    }
  }
  std::optional<Result<std::string_view>> poll() override {
    if (!st_->rx.empty()) {
      current_.clear();
      current_.swap(st_->rx);
      conn_->credit(*st_, current_.size());
      return Result<std::string_view>(std::string_view(current_));
    }
    if (st_->remote_ended) {
      return Result<std::string_view>(std::string_view());
    }
    if (st_->error) {
      return Result<std::string_view>(st_->error);
    }
    return std::nullopt;
  }
  std::optional<std::uint64_t> length() const override { return length_; }
  const http::Headers& trailers() const override { return st_->trailers; }
  std::optional<std::uint64_t> arrived() const override {
    if (!st_->remote_ended || st_->error) {
      return std::nullopt;
    }
    return st_->rx.size();
  }
  std::uint64_t buffered() const override { return st_->rx.size(); }
  boost::system::error_code failure() const override {
    return st_->remote_ended ? boost::system::error_code() : st_->error;
  }
  std::optional<std::uint32_t> reset_code() const override {
    return st_->error ? st_->rst_code : std::nullopt;
  }
  asio::awaitable<bool> await_progress() override {
    if (st_->remote_ended || st_->error) {
      co_return false;  // nothing more comes
    }
    // The stream's wake-up, notified for every DATA frame, the end and a failure: nobody else
    // waits on it now (the exchange has its head; a read would be a second waiter).
    auto [ec] = co_await st_->signal.wait(await_nothrow);
    co_return !ec;
  }

 private:
  std::shared_ptr<Connection> conn_;
  ClientStreamSharedPtr st_;
  std::optional<std::uint64_t> length_;
  std::string current_;  ///< the piece returned last; valid until the next read
};

/// The response body's length as announced: none for HEAD and bodiless statuses.
std::optional<std::uint64_t> response_length(const http::Request& req, const ClientStream& st) {
  if (req.method == "HEAD" || st.status == 204 || st.status == 304) {
    return 0;
  }
  return http::content_length(st.headers);
}

}  // namespace

ClientSession::ClientSession(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

ClientSession::~ClientSession() {
  // Nobody can start an exchange any more: finish the open ones, then close.
  impl_->drain();
}

std::shared_ptr<ClientSession> ClientSession::start(transport::StreamPtr stream,
                                                    const ClientOptions& options) {
  auto impl = std::make_shared<Impl>(std::move(stream), options);
  impl->begin();
  return std::shared_ptr<ClientSession>(new ClientSession(std::move(impl)));
}

asio::awaitable<Result<http::Response>> ClientSession::exchange(http::Request& req,
                                                                ExchangeFailure* failure) {
  ExchangeFailure ignored;
  ExchangeFailure& f = failure != nullptr ? *failure : ignored;
  auto opened = open(req, f);
  if (!opened) {
    co_return opened.error();
  }
  while (!opened->ready()) {
    asio::cancellation_state cs = co_await asio::this_coro::cancellation_state;
    if (cs.cancelled() != asio::cancellation_type::none) {
      break;  // finish() gives the exchange up
    }
    co_await opened->wait();
  }
  co_return opened->finish(f);
}

Result<ClientSession::Exchange> ClientSession::open(http::Request& req, ExchangeFailure& failure) {
  auto opened = impl_->open_stream(req, failure);
  if (!opened) {
    return opened.error();
  }
  return Exchange(impl_, std::move(*opened), req);
}

ClientSession::Exchange::Exchange(std::shared_ptr<Connection> conn, ClientStreamSharedPtr st,
                                  http::Request& req) noexcept
    : conn_(std::move(conn)), st_(std::move(st)), req_(&req), signal_(&st_->signal) {}

ClientSession::Exchange::Exchange(Exchange&& other) noexcept
    : conn_(std::move(other.conn_)),
      st_(std::move(other.st_)),
      req_(other.req_),
      signal_(other.signal_),
      committed_(other.committed_) {}

ClientSession::Exchange::~Exchange() { release(); }

bool ClientSession::Exchange::ready() const noexcept { return st_->head_ready || st_->error; }

void ClientSession::Exchange::release() noexcept {
  if (!st_) {
    return;  // moved from, or finished
  }
  if (!committed_) {
    conn_->cancel_stream(*st_, NGHTTP2_CANCEL);  // also stops the pump
  }
  keep_body();
  st_.reset();
  conn_.reset();
}

void ClientSession::Exchange::keep_body() noexcept {
  // The body object must outlive the pump's pending read, or its further reads.
  bool needed = committed_ ? st_->pump_running : st_->pump_reading;
  if (needed && req_->body) {
    auto length = req_->body->length();
    st_->owned_body = std::move(req_->body);
    req_->body = std::make_unique<TakenBody>(length);
  }
}

Result<http::Response> ClientSession::Exchange::finish(ExchangeFailure& failure) {
  if (!ready()) [[unlikely]] {
    failure.detail = "exchange cancelled";
    release();  // resets the stream
    return boost::system::error_code(asio::error::operation_aborted);
  }
  ClientStream& st = *st_;
  if (!st.head_ready) [[unlikely]] {
    failure = st.failure;
    boost::system::error_code error = st.error;
    release();
    return error;
  }
  const auto length = response_length(*req_, st);  // (from the head's fields, before they move)
  Result<http::Response> rsp(boost::system::in_place_value);
  rsp->status = st.status;
  rsp->version = http::Version{2, 0};
  rsp->headers = std::move(st.headers);
  committed_ = true;
  keep_body();
  if (st.remote_ended && st.rx.empty()) {
    rsp->body = std::make_unique<http::BufferBody>(std::string(), std::move(st.trailers));
    st_.reset();
    conn_.reset();
  } else {
    rsp->body = std::make_unique<ResponseBody>(std::move(conn_), std::move(st_), length);
  }
  return rsp;
}

bool ClientSession::is_open() const noexcept { return impl_->is_open(); }

std::size_t ClientSession::active_streams() const noexcept { return impl_->active_streams(); }

std::uint32_t ClientSession::max_concurrent_streams() const noexcept {
  return impl_->max_concurrent_streams();
}

void ClientSession::close() noexcept { impl_->close(); }

void ClientSession::drain() noexcept { impl_->drain(); }

}  // namespace meshd::http2
