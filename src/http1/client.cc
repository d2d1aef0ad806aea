#include "meshd/http1/client.h"

#include <boost/asio/write.hpp>

#include <tuple>
#include <utility>

#include "meshd/http1/writer.h"

namespace meshd::http1 {
namespace {

/// A connection handed to exchange(), with the promise made to its pool: `release` is called
/// exactly once, with the connection when it may be reused or with nullptr once it is closed,
/// whichever way the exchange ends (including the destruction of an abandoned coroutine frame
/// or response body).
class Lease {
 public:
  Lease(ClientConnectionPtr conn, Release release)
      : conn_(std::move(conn)), release_(std::move(release)), pending_(conn_ != nullptr) {}
  Lease(Lease&& other) noexcept
      : conn_(std::move(other.conn_)),
        release_(std::move(other.release_)),
        pending_(std::exchange(other.pending_, false)) {}
  Lease& operator=(Lease&&) = delete;
  ~Lease() { close(); }

  bool holds() const noexcept { return pending_; }
  ClientConnection& conn() noexcept { return *conn_; }

  /// Returns the connection for another exchange.
  void reuse() {
    if (!std::exchange(pending_, false)) {
      return;
    }
    conn_->count_use();
    release_(std::move(conn_));
    conn_.reset();
  }

  /// Closes the connection and reports it closed.
  void close() {
    if (!std::exchange(pending_, false)) {
      return;
    }
    conn_.reset();
    release_(nullptr);
  }

 private:
  ClientConnectionPtr conn_;
  Release release_;
  bool pending_;
};

/// A response body that streams from the connection and gives it back at its end.
class ResponseBody final : public http::Body {
 public:
  /// `reusable`: the request went out whole, so the connection may serve another exchange.
  ResponseBody(Lease lease, bool reusable) : lease_(std::move(lease)), reusable_(reusable) {
    Parser& p = lease_.conn().reader().parser();
    length_ = p.chunked() ? std::nullopt : p.content_length();
  }

  asio::awaitable<Result<std::string_view>> read() override {
    auto polled = poll();
    if (polled) {
      co_return *polled;
    }
    auto piece = co_await lease_.conn().reader().read_body();
    co_return took(std::move(piece));
  }

  std::optional<Result<std::string_view>> poll() override {
    if (!lease_.holds()) {
      return done_ ? Result<std::string_view>(std::string_view{})
                   : Result<std::string_view>(make_error_code(errc::upstream_reset));
    }
    auto piece = lease_.conn().reader().poll_body();
    if (!piece) {
      return std::nullopt;
    }
    return took(std::move(*piece));
  }

  std::optional<std::uint64_t> length() const override { return length_; }
  const http::Headers& trailers() const override { return trailers_; }

 private:
  Result<std::string_view> took(Result<std::string_view> piece) {
    if (!piece) {
      lease_.close();  // the rest of this response cannot be recovered
    } else if (piece->empty()) {
      finish();
    }
    return piece;
  }

  void finish() {
    done_ = true;
    ClientConnection& conn = lease_.conn();
    Parser& p = conn.reader().parser();
    trailers_ = std::move(p.trailers());
    if (reusable_ && p.keep_alive() && !conn.reader().has_buffered()) {
      lease_.reuse();
    } else {
      lease_.close();
    }
  }

  Lease lease_;  // closed (reported to the pool) if the body is dropped before its end
  bool reusable_;
  std::optional<std::uint64_t> length_;
  http::Headers trailers_;
  bool done_ = false;
};

Framing request_framing(const http::Request& req) {
  auto length = req.body->length();
  if (!length) {
    return Framing::Chunked;
  }
  if (*length > 0) {
    return Framing::Length;
  }
  // An empty body: say so explicitly only for methods that normally carry one.
  bool carries_body = req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
  return carries_body ? Framing::Length : Framing::None;
}

}  // namespace

ClientConnection::ClientConnection(transport::StreamPtr stream, Limits limits)
    // The next read for a new response always follows a request written here, which a peer
    // that closed meanwhile answers with a reset (see DrainBuffer).
    : stream_(std::move(stream)), reader_(*stream_, Parser::Kind::Response, limits) {}

asio::awaitable<Result<http::Response>> exchange(ClientConnectionPtr conn, http::Request& req,
                                                 Release release, ExchangeFailure* failure) {
  // Every way out of this coroutine, including the destruction of its frame, ends the lease.
  Lease lease(std::move(conn), std::move(release));
  Framing framing = request_framing(req);
  set_framing(req.headers, framing, false);
  std::string& head = lease.conn().head_buffer();
  head.clear();
  serialize_request_head(req, framing, head);
  bool bodyless = framing == Framing::None;
  transport::Stream& stream = lease.conn().stream();
  Result<void> written;
  if (auto* socket = stream.plain_socket(); socket != nullptr && bodyless) {
    // The common bodiless request: sent at once, or the rest awaited on the socket itself.
    boost::system::error_code ec;
    const std::size_t sent = transport::send_now(*socket, asio::buffer(head), ec);
    if (!ec && sent < head.size()) {
      std::tie(ec, std::ignore) = co_await asio::async_write(
          *socket, asio::buffer(head.data() + sent, head.size() - sent), transport::direct);
    }
    if (ec) {
      written = ec;
    }
  } else {
    written = co_await write_message(stream, head, req.body.get(), framing);
  }
  if (!written && written.error() == make_error_code(errc::client_gone)) {
    lease.close();
    co_return written.error();
  }
  // A write error may still leave an early response to read (e.g. 413 then close).
  bool skip_body = req.method == "HEAD";
  for (;;) {
    auto rh = co_await lease.conn().reader().read_head(skip_body);
    if (!rh) {
      ClientConnection& c = lease.conn();
      if (failure) {
        failure->replayable = bodyless && c.uses() > 0 && !c.reader().parser().started();
        failure->detail = rh.error() == make_error_code(errc::protocol_error)
                              ? c.reader().parser().failure().reason
                              : rh.error().message();
      }
      lease.close();
      co_return rh.error() == asio::error::eof ? make_error_code(errc::upstream_reset) : rh.error();
    }
    int status = lease.conn().reader().parser().status();
    if (status / 100 != 1 || status == 101) {
      break;
    }
    // An interim response: pass it on (a proxy must forward 1xx, RFC 9110 §15.2), except 100
    // Continue, which meshd answers itself and so never asks the endpoint for.
    if (status != 100 && req.ctx.interim) {
      Parser& p = lease.conn().reader().parser();
      http::Response interim;
      interim.status = status;
      interim.reason = p.reason();
      interim.headers = std::move(p.headers());
      strip_hop_by_hop(interim.headers);
      co_await req.ctx.interim(interim);
    }
  }
  Parser& p = lease.conn().reader().parser();
  http::Response rsp;
  rsp.status = p.status();
  rsp.reason = p.reason();
  rsp.version = p.version();
  rsp.headers = std::move(p.headers());
  bool no_body = p.message_done() && p.pieces().empty();
  if (no_body) {
    rsp.body = http::empty_body();
    if (written && p.keep_alive() && !lease.conn().reader().has_buffered()) {
      lease.reuse();
    } else {
      lease.close();
    }
  } else {
    rsp.body = std::make_unique<ResponseBody>(std::move(lease), written.has_value());
  }
  co_return rsp;
}

}  // namespace meshd::http1
