#include "meshd/filters/classifier.h"

#include <boost/asio/error.hpp>

#include <optional>

#include "meshd/core/errc.h"

// Linkerd 1's HTTP classifiers (linkerd/protocol/http/.../ResponseClassifiers.scala, composed in
// HttpConfig.scala and SvcConfig.scala) are partial functions chained with `orElse`. Here each
// stage is a function returning nullopt where the Scala one is not defined.

namespace meshd::filters {
namespace {

bool is_server_error(int status) noexcept { return status >= 500 && status <= 599; }

/// Finagle's `ReqRep(_, Return(rsp))`: the attempt produced a response.
bool has_response(const Attempt& a) noexcept { return a.status != 0; }

bool in_method_set(ClassifierKind kind, std::string_view method) noexcept {
  switch (kind) {
    case ClassifierKind::RetryableRead5XX:
      return is_read_only_method(method);
    case ClassifierKind::RetryableIdempotent5XX:
      return is_idempotent_method(method);
    case ClassifierKind::RetryableAll5XX:
      return is_idempotent_method(method) || method == "POST" || method == "PATCH";
    case ClassifierKind::NonRetryable5XX:
    case ClassifierKind::AllSuccessful:
      return false;
  }
  return false;
}

/// `RetryableResult`: a 5xx response, or an error `TimeoutAndWriteExceptionsOnly orElse
/// ChannelClosedExceptionsOnly orElse FramingExceptionsOnly` accepts.
bool retryable_result(const Attempt& a) noexcept {
  return has_response(a) ? is_server_error(a.status) : is_retryable_error(a.error);
}

/// The configured kind's own partial function.
std::optional<ResponseClass> kind_classifier(ClassifierKind kind, const Attempt& a) noexcept {
  switch (kind) {
    case ClassifierKind::NonRetryable5XX:
      // HttpResponseClassifier.ServerErrorsAsFailures: defined only for 5xx responses.
      if (has_response(a) && is_server_error(a.status)) {
        return ResponseClass::NonRetryableFailure;
      }
      return std::nullopt;
    case ClassifierKind::RetryableRead5XX:
    case ClassifierKind::RetryableIdempotent5XX:
    case ClassifierKind::RetryableAll5XX:
      // `case ReqRep(Requests.X(), RetryableResult()) => RetryableFailure`, nothing else.
      if (in_method_set(kind, a.method) && retryable_result(a)) {
        return ResponseClass::RetryableFailure;
      }
      return std::nullopt;
    case ClassifierKind::AllSuccessful:
      // ClassifiedRetries.Default: total.
      return has_response(a) ? ResponseClass::Success : ResponseClass::NonRetryableFailure;
  }
  return std::nullopt;
}

/// `kind orElse NonRetryableServerFailures orElse ClassifiedRetries.Default`.
ResponseClass base_classifier(ClassifierKind kind, const Attempt& a) noexcept {
  if (auto c = kind_classifier(kind, a)) {
    return *c;
  }
  if (auto c = kind_classifier(ClassifierKind::NonRetryable5XX, a)) {
    return *c;
  }
  return has_response(a) ? ResponseClass::Success : ResponseClass::NonRetryableFailure;
}

}  // namespace

std::string_view success_class_value(ResponseClass c) noexcept {
  return is_success(c) ? "1.0" : "0.0";
}

ResponseClass classify(ClassifierKind kind, const Attempt& attempt) noexcept {
  ResponseClass c = base_classifier(kind, attempt);
  // HeaderRetryable: only a response (never an error) can carry `l5d-retryable`.
  if (c == ResponseClass::NonRetryableFailure && has_response(attempt) && attempt.l5d_retryable) {
    c = ResponseClass::RetryableFailure;
  }
  // NonRetryableChunked: a streamed request body cannot be replayed.
  if (c == ResponseClass::RetryableFailure && attempt.request_chunked) {
    c = ResponseClass::NonRetryableFailure;
  }
  return c;
}

bool is_retryable_error(boost::system::error_code ec) noexcept {
  return ec == make_error_code(errc::timeout) || ec == boost::asio::error::timed_out ||
         ec == make_error_code(errc::connect_failed) ||
         ec == make_error_code(errc::upstream_reset) || ec == make_error_code(errc::protocol_error);
}

bool is_read_only_method(std::string_view method) noexcept {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE";
}

bool is_idempotent_method(std::string_view method) noexcept {
  return is_read_only_method(method) || method == "PUT" || method == "DELETE";
}

}  // namespace meshd::filters
