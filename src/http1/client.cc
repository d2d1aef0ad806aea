#include "meshd/http1/client.h"

#include "meshd/http1/writer.h"

namespace meshd::http1 {
namespace {

/// A response body that streams from the connection and returns it to the pool at its end.
class ResponseBody final : public http::Body {
 public:
  ResponseBody(ClientConnectionPtr conn, Release release)
      : conn_(std::move(conn)), release_(std::move(release)) {
    Parser& p = conn_->reader().parser();
    length_ = p.chunked() ? std::nullopt : p.content_length();
  }

  asio::awaitable<Result<std::string_view>> read() override {
    if (!conn_) {
      co_return done_ ? Result<std::string_view>(std::string_view{})
                      : Result<std::string_view>(make_error_code(errc::upstream_reset));
    }
    auto piece = co_await conn_->reader().read_body();
    if (!piece) {
      conn_.reset();  // closes: the rest of this response cannot be recovered
      co_return piece.error();
    }
    if (piece->empty()) {
      finish();
    }
    co_return piece;
  }

  std::optional<std::uint64_t> length() const override { return length_; }
  const http::Headers& trailers() const override { return trailers_; }

 private:
  void finish() {
    done_ = true;
    Parser& p = conn_->reader().parser();
    trailers_ = std::move(p.trailers());
    if (p.keep_alive() && !conn_->reader().has_buffered() && release_) {
      conn_->count_use();
      release_(std::move(conn_));
    }
    conn_.reset();
  }

  ClientConnectionPtr conn_;
  Release release_;
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
    : stream_(std::move(stream)), reader_(*stream_, Parser::Kind::Response, limits) {}

asio::awaitable<Result<http::Response>> exchange(ClientConnectionPtr conn, http::Request& req,
                                                 Release release, ExchangeFailure* failure) {
  Framing framing = request_framing(req);
  set_framing(req.headers, framing, false);
  std::string head;
  head.reserve(256 + req.headers.size() * 32);
  serialize_request_head(req, framing, head);
  bool bodyless = framing == Framing::None;
  auto written = co_await write_message(conn->stream(), std::move(head), req.body.get(), framing);
  if (!written && written.error() == make_error_code(errc::client_gone)) {
    co_return written.error();
  }
  // A write error may still leave an early response to read (e.g. 413 then close).
  bool skip_body = req.method == "HEAD";
  for (;;) {
    auto rh = co_await conn->reader().read_head(skip_body);
    if (!rh) {
      if (failure) {
        failure->replayable = bodyless && conn->uses() > 0 && !conn->reader().parser().started();
        failure->detail = rh.error() == make_error_code(errc::protocol_error)
                              ? conn->reader().parser().failure().reason
                              : rh.error().message();
      }
      co_return rh.error() == asio::error::eof ? make_error_code(errc::upstream_reset)
                                               : rh.error();
    }
    int status = conn->reader().parser().status();
    if (status / 100 != 1 || status == 101) {
      break;
    }
    // An interim response: pass it on (a proxy must forward 1xx, RFC 9110 §15.2), except 100
    // Continue, which meshd answers itself and so never asks the endpoint for.
    if (status != 100 && req.ctx.interim) {
      http::Response interim;
      interim.status = status;
      interim.reason = conn->reader().parser().reason();
      interim.headers = std::move(conn->reader().parser().headers());
      strip_hop_by_hop(interim.headers);
      co_await req.ctx.interim(interim);
    }
  }
  Parser& p = conn->reader().parser();
  http::Response rsp;
  rsp.status = p.status();
  rsp.reason = p.reason();
  rsp.version = p.version();
  rsp.headers = std::move(p.headers());
  bool no_body = p.message_done() && p.pieces().empty();
  if (no_body) {
    rsp.body = std::make_unique<http::BufferBody>(std::string());
    if (p.keep_alive() && !conn->reader().has_buffered() && written && release) {
      conn->count_use();
      release(std::move(conn));
    }
  } else {
    rsp.body = std::make_unique<ResponseBody>(std::move(conn), written ? std::move(release)
                                                                       : Release{});
  }
  co_return rsp;
}

}  // namespace meshd::http1
