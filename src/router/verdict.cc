#include "router/verdict.h"

#include "meshd/core/timeout.h"

namespace meshd::router {
namespace {

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

/// Whether a held response is still worth waiting for: not whole, not failed, and within the
/// bytes a retry may hold. (A stream reset or a connection lost before the end is an end too:
/// nothing more comes.)
bool still_streaming(const http::Body& body, std::size_t max_bytes) {
  return !body.arrived() && !body.failure() && body.buffered() <= max_bytes;
}

asio::awaitable<Result<void>> until_end(http::Body& held, std::size_t most) {
  // (GCC 12 miscompiles `co_await` inside an `if`/`while` condition: the await is a statement.)
  bool more = true;
  while (more && still_streaming(held, most)) {
    more = co_await held.await_progress();  // false: nothing more to see, or cancelled
  }
  co_return Result<void>();
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
  if (limit <= std::chrono::milliseconds::zero() || !still_streaming(*rsp->body, max_bytes)) {
    co_return;
  }
  co_await with_timeout(until_end(*rsp->body, max_bytes), limit);
}

bool stream_end_pending(const filters::ClassifierOptions& kind, const http::Request& req,
                        bool chunked, const Result<http::Response>& rsp) {
  // (A response whose end could not make it retryable is not held: it would only be late.)
  return rsp && rsp->body && !rsp->body->arrived() && filters::may_retry_at_end(kind, req.method) &&
         !filters::classify_early(kind, head_attempt(req, chunked, rsp));
}

}  // namespace meshd::router
