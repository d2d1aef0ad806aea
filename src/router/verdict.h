#pragma once

// How the service's classifier judges a try from its response (forward.cc's path stack): at the
// response head when it can, after waiting a little for a response that is nearly whole, or at
// the end of an h2 stream. Private to src/router.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "meshd/core/asio.h"
#include "meshd/core/result.h"
#include "meshd/filters/classifier.h"
#include "meshd/http/body.h"
#include "meshd/http/message.h"

namespace meshd::router {

/// The service classifier's verdict on one attempt (or on the request's final outcome) from
/// what has arrived: from the response head when the kind can decide there (every HTTP kind;
/// the h2 and gRPC kinds for errors, 5xx and trailers-only responses); else from the trailers
/// when the whole response has already arrived (a unary gRPC answer, see `await_stream_end`),
/// or from the error that cut it off when it has already failed. Nothing while an h2 response
/// still streams: `EndVerdict` decides at its end.
std::optional<filters::ResponseClass> verdict_now(const filters::ClassifierOptions& kind,
                                                  const http::Request& req, bool chunked,
                                                  const Result<http::Response>& rsp);

/// The verdict on an h2 response that is decided at the end of its stream (Linkerd's stream
/// classifier): what the classifier knew from the head, completed by the trailers' grpc-status
/// or by the error that cut the stream off.
class EndVerdict {
 public:
  EndVerdict(const filters::ClassifierOptions& kind, const http::Request& req, bool chunked,
             const Result<http::Response>& rsp);

  filters::ResponseClass classify(const http::BodyEnd& end) const;

 private:
  filters::ClassifierKind kind_;
  std::optional<filters::ClassifierOptions> codes_;  ///< the whole classifier, for gRPC kinds
  std::string method_;
  filters::Attempt head_;  ///< its `method` views the request: re-pointed at `method_`
};

/// h2 (Linkerd's classificationTimeoutMs and retryBufferSize.responseBytes): when a retryable
/// request's verdict depends on how its response ends, waits up to `limit` for the rest of the
/// response to arrive (its windows allowing) while no more than `max_bytes` of it are held, so
/// that the classifier sees the trailers. A response that outgrows the buffer or the time
/// streams on and is classified at its end, without a retry. One whose stream fails meanwhile
/// ends the wait at once: `verdict_now` judges its error (retried when that is retryable). Woken
/// by what arrives (`Body::await_progress`), not by polling; a body that cannot tell is not
/// waited for. Only for a response `stream_end_pending`.
asio::awaitable<void> await_stream_end(const Result<http::Response>& rsp,
                                       std::chrono::milliseconds limit, std::size_t max_bytes);

/// Whether `await_stream_end` has anything to wait for: a response still streaming whose
/// verdict its head does not decide, and whose end could make it retryable (the default
/// nonRetryable5XX never holds a response). Asked first, so that the usual response (whole by the
/// time its head is handled) costs no coroutine.
bool stream_end_pending(const filters::ClassifierOptions& kind, const http::Request& req,
                        bool chunked, const Result<http::Response>& rsp);

}  // namespace meshd::router
