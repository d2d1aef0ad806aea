#include "router/verdict.h"

#include <boost/asio/steady_timer.hpp>

namespace meshd::router {
namespace {

using Clock = std::chrono::steady_clock;

/// What the classifier knows of an attempt from its response head, or from its error.
filters::Attempt head_attempt(const http::Request& req, bool chunked,
                              const Result<http::Response>& rsp) {
  filters::Attempt a;
  a.method = req.method;
  a.request_chunked = chunked;
  if (!rsp) {
    a.error = rsp.error();
    return a;
  }
  a.status = rsp->status;
  a.l5d_retryable = http::iequals(rsp->headers.get("l5d-retryable"), "true");
  auto grpc = rsp->headers.get("grpc-status");  // a trailers-only gRPC response
  if (!grpc.empty()) {
    a.grpc_status = filters::grpc_status_from(grpc, false);
  }
  return a;
}

}  // namespace

std::optional<filters::ResponseClass> verdict_now(const filters::ClassifierOptions& kind,
                                                  const http::Request& req, bool chunked,
                                                  const Result<http::Response>& rsp) {
  filters::Attempt a = head_attempt(req, chunked, rsp);
  if (auto early = filters::classify_early(kind, a)) {
    return early;
  }
  if (!rsp->body || rsp->body->arrived()) {
    auto grpc = rsp->body ? rsp->body->trailers().get("grpc-status") : std::string_view();
    if (!grpc.empty()) {
      a.grpc_status = filters::grpc_status_from(grpc, true);
    }
    return filters::classify(kind, a);
  }
  if (auto failure = rsp->body->failure()) {
    // Cut off before its end while held (a reset, a lost connection): the stream classifier
    // judges the error now, so that a retryable one is retried (Linkerd's ClassifiedRetryFilter
    // classifies the buffered stream's failure too).
    a.stream_error = failure;
    return filters::classify(kind, a);
  }
  return std::nullopt;
}

EndVerdict::EndVerdict(const filters::ClassifierOptions& kind, const http::Request& req,
                       bool chunked, const Result<http::Response>& rsp)
    : kind_(kind.kind), method_(req.method), head_(head_attempt(req, chunked, rsp)) {
  if (filters::is_grpc_kind(kind.kind)) {
    codes_.emplace(kind);  // only the gRPC kinds read the status code lists
  }
}

filters::ResponseClass EndVerdict::classify(const http::BodyEnd& end) const {
  filters::Attempt a = head_;
  a.method = method_;
  if (end.error) {
    a.stream_error = end.error;
  } else if (auto grpc = end.trailers.get("grpc-status"); !grpc.empty()) {
    a.grpc_status = filters::grpc_status_from(grpc, true);
  }
  return codes_ ? filters::classify(*codes_, a) : filters::classify(kind_, a);
}

asio::awaitable<void> await_stream_end(const Result<http::Response>& rsp,
                                       std::chrono::milliseconds limit, std::size_t max_bytes) {
  const auto deadline = Clock::now() + limit;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  // (A stream reset or a connection lost before the end is an end too: nothing more comes.)
  while (!rsp->body->arrived() && !rsp->body->failure() && rsp->body->buffered() <= max_bytes &&
         Clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(1));
    auto [ec] = co_await timer.async_wait(use_nothrow);
    if (ec) {
      break;  // cancelled: the request is going away
    }
  }
}

bool stream_end_pending(const filters::ClassifierOptions& kind, const http::Request& req,
                        bool chunked, const Result<http::Response>& rsp) {
  // (A response whose end could not make it retryable is not held: it would only be late.)
  return rsp && rsp->body && !rsp->body->arrived() && filters::may_retry_at_end(kind, req.method) &&
         !filters::classify_early(kind, head_attempt(req, chunked, rsp));
}

}  // namespace meshd::router
