#include "meshd/filters/classifier.h"

#include <boost/asio/error.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <span>
#include <utility>

#include "meshd/core/errc.h"

// Linkerd 1's HTTP classifiers (linkerd/protocol/http/.../ResponseClassifiers.scala, composed in
// HttpConfig.scala and SvcConfig.scala) are partial functions chained with `orElse`. Here each
// stage is a function returning nullopt where the Scala one is not defined. The h2 and gRPC
// classifiers (finagle/h2/.../H2Classifiers.scala, linkerd/protocol/h2/.../GrpcClassifier.scala)
// have two: `responseClassifier` on the response head (`*_early`) and `streamClassifier` once the
// stream ended (`*_stream`).

namespace meshd::filters {
namespace {

bool is_server_error(int status) noexcept { return status >= 500 && status <= 599; }

/// Finagle's `ReqRep(_, Return(rsp))`: the attempt produced a response.
bool has_response(const Attempt& a) noexcept { return a.status != 0; }

using K = ClassifierKind;

constexpr std::array<std::pair<std::string_view, ClassifierKind>, 15> kNames = {{
    {"io.l5d.http.nonRetryable5XX", K::NonRetryable5XX},
    {"io.l5d.http.retryableRead5XX", K::RetryableRead5XX},
    {"io.l5d.http.retryableIdempotent5XX", K::RetryableIdempotent5XX},
    {"io.l5d.http.retryableAll5XX", K::RetryableAll5XX},
    {"io.l5d.http.allSuccessful", K::AllSuccessful},
    {"io.l5d.h2.nonRetryable5XX", K::H2NonRetryable5XX},
    {"io.l5d.h2.retryableRead5XX", K::H2RetryableRead5XX},
    {"io.l5d.h2.retryableIdempotent5XX", K::H2RetryableIdempotent5XX},
    {"io.l5d.h2.retryableAll5XX", K::H2RetryableAll5XX},
    {"io.l5d.h2.allSuccessful", K::H2AllSuccessful},
    {"io.l5d.h2.grpc.default", K::GrpcDefault},
    {"io.l5d.h2.grpc.neverRetryable", K::GrpcNeverRetryable},
    {"io.l5d.h2.grpc.alwaysRetryable", K::GrpcAlwaysRetryable},
    {"io.l5d.h2.grpc.retryableStatusCodes", K::GrpcRetryableStatusCodes},
    {"io.l5d.h2.grpc.compliant", K::GrpcCompliant},
}};

/// gRPC UNAVAILABLE, the status `grpc.default` retries.
constexpr int kGrpcUnavailable = 14;
/// gRPC UNKNOWN, what a malformed grpc-status in headers reads as.
constexpr int kGrpcUnknown = 2;
/// `successStatusCodes` when a kind is used without options.
constexpr std::array<int, 1> kDefaultSuccessCodes = {0};

bool in_method_set(ClassifierKind kind, std::string_view method) noexcept {
  switch (kind) {
    case K::RetryableRead5XX:
    case K::H2RetryableRead5XX:
      return is_read_only_method(method);
    case K::RetryableIdempotent5XX:
    case K::H2RetryableIdempotent5XX:
      return is_idempotent_method(method);
    case K::RetryableAll5XX:
    case K::H2RetryableAll5XX:
      return is_idempotent_method(method) || method == "POST" || method == "PATCH";
    default:
      return false;
  }
}

/// `RetryableResult`: a 5xx response, or an error `TimeoutAndWriteExceptionsOnly orElse
/// ChannelClosedExceptionsOnly orElse FramingExceptionsOnly` accepts.
bool retryable_result(const Attempt& a) noexcept {
  return has_response(a) ? is_server_error(a.status) : is_retryable_error(a.error);
}

/// The configured HTTP kind's own partial function.
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
    default:
      return std::nullopt;  // not an HTTP kind
  }
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

/// Linkerd's wrapped HTTP classifier (see `classify(ClassifierKind, const Attempt&)`).
ResponseClass classify_http(ClassifierKind kind, const Attempt& attempt) noexcept {
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

/// H2Classifiers' `responseClassifier`: defined for errors and 5xx only.
std::optional<ResponseClass> h2_early(ClassifierKind kind, const Attempt& a) noexcept {
  const bool failed = !has_response(a) || is_server_error(a.status);
  if (kind == K::H2AllSuccessful) {
    return has_response(a) ? std::nullopt : std::optional{ResponseClass::NonRetryableFailure};
  }
  // `RetryableResult`: a 5xx, or an error h2's retryableThrow accepts.
  const bool retryable =
      has_response(a) ? is_server_error(a.status) : is_retryable_h2_error(a.error);
  if (in_method_set(kind, a.method) && retryable) {
    return ResponseClass::RetryableFailure;
  }
  return failed ? std::optional{ResponseClass::NonRetryableFailure} : std::nullopt;
}

/// H2Classifiers' `streamClassifier` for a response whose head was not classified early.
ResponseClass h2_stream(ClassifierKind kind, const Attempt& a) noexcept {
  if (!a.stream_error) {
    return ResponseClass::Success;
  }
  if (in_method_set(kind, a.method) && is_retryable_h2_error(a.stream_error)) {
    return ResponseClass::RetryableFailure;
  }
  return ResponseClass::NonRetryableFailure;
}

bool contains(std::span<const int> codes, int code) noexcept {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

/// GrpcClassifier's `retryable(GrpcStatus)` per kind.
bool grpc_retryable(ClassifierKind kind, std::span<const int> retryable_codes, int code) noexcept {
  switch (kind) {
    case K::GrpcAlwaysRetryable:
      return true;
    case K::GrpcRetryableStatusCodes:
      return contains(retryable_codes, code);
    case K::GrpcDefault:
    case K::GrpcCompliant:
      return code == kGrpcUnavailable;
    default:
      return false;
  }
}

/// GrpcClassifier's `responseClassifier`. `retryable(Throwable)` and `retryable(Status)` are
/// false for every kind 1.7.5 builds (`compliant` builds `default`), so errors and HTTP
/// 4xx/5xx without grpc-status are never retried.
std::optional<ResponseClass> grpc_early(ClassifierKind kind, std::span<const int> success_codes,
                                        std::span<const int> retryable_codes,
                                        const Attempt& a) noexcept {
  if (!has_response(a)) {
    return ResponseClass::NonRetryableFailure;
  }
  if (a.grpc_status) {
    if (contains(success_codes, *a.grpc_status)) {
      return ResponseClass::Success;
    }
    return grpc_retryable(kind, retryable_codes, *a.grpc_status)
               ? ResponseClass::RetryableFailure
               : ResponseClass::NonRetryableFailure;
  }
  if (a.status >= 400 && a.status <= 599) {
    return ResponseClass::NonRetryableFailure;
  }
  return std::nullopt;
}

std::optional<ResponseClass> early(ClassifierKind kind, std::span<const int> success_codes,
                                   std::span<const int> retryable_codes,
                                   const Attempt& a) noexcept {
  if (is_grpc_kind(kind)) {
    return grpc_early(kind, success_codes, retryable_codes, a);
  }
  if (is_h2_kind(kind)) {
    return h2_early(kind, a);
  }
  return classify_http(kind, a);  // total: always classifiable at once
}

ResponseClass final_class(ClassifierKind kind, std::span<const int> success_codes,
                          std::span<const int> retryable_codes, const Attempt& a) noexcept {
  if (auto c = early(kind, success_codes, retryable_codes, a)) {
    return *c;
  }
  // GrpcClassifier's `streamClassifier`: a stream error, or no grpc-status at all, fails.
  return is_grpc_kind(kind) ? ResponseClass::NonRetryableFailure : h2_stream(kind, a);
}

}  // namespace

std::string_view success_class_value(ResponseClass c) noexcept {
  return is_success(c) ? "1.0" : "0.0";
}

std::optional<ClassifierKind> parse_classifier_kind(std::string_view name) noexcept {
  for (const auto& [n, kind] : kNames) {
    if (n == name) {
      return kind;
    }
  }
  return std::nullopt;
}

std::string_view classifier_kind_name(ClassifierKind kind) noexcept {
  for (const auto& [n, k] : kNames) {
    if (k == kind) {
      return n;
    }
  }
  return {};
}

bool is_h2_kind(ClassifierKind kind) noexcept {
  return static_cast<int>(kind) >= static_cast<int>(K::H2NonRetryable5XX);
}

bool is_grpc_kind(ClassifierKind kind) noexcept {
  return static_cast<int>(kind) >= static_cast<int>(K::GrpcDefault);
}

ResponseClass classify(ClassifierKind kind, const Attempt& attempt) noexcept {
  return final_class(kind, kDefaultSuccessCodes, {}, attempt);
}

ResponseClass classify(const ClassifierOptions& options, const Attempt& attempt) noexcept {
  return final_class(options.kind, options.success_status_codes, options.retryable_status_codes,
                     attempt);
}

std::optional<ResponseClass> classify_early(const ClassifierOptions& options,
                                            const Attempt& attempt) noexcept {
  return early(options.kind, options.success_status_codes, options.retryable_status_codes, attempt);
}

std::optional<int> grpc_status_from(std::string_view value, bool in_trailers) noexcept {
  std::string_view digits = value;
  if (!digits.empty() && digits.front() == '+') {
    digits.remove_prefix(1);
  }
  int code = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), code);
  if (!digits.empty() && ec == std::errc{} && end == digits.data() + digits.size()) {
    return code;
  }
  return in_trailers ? std::nullopt : std::optional{kGrpcUnknown};
}

bool is_retryable_error(boost::system::error_code ec) noexcept {
  return ec == make_error_code(errc::timeout) || ec == boost::asio::error::timed_out ||
         ec == make_error_code(errc::connect_failed) ||
         ec == make_error_code(errc::upstream_reset) || ec == make_error_code(errc::protocol_error);
}

bool is_retryable_h2_error(boost::system::error_code ec) noexcept {
  return is_retryable_error(ec) && ec != make_error_code(errc::protocol_error);
}

bool may_retry_at_end(const ClassifierOptions& options, std::string_view method) noexcept {
  switch (options.kind) {
    case K::GrpcNeverRetryable:
      return false;
    case K::GrpcRetryableStatusCodes:
      return !options.retryable_status_codes.empty();
    default:
      break;
  }
  if (is_grpc_kind(options.kind)) {
    return true;  // a retryable grpc-status in the trailers (14, or any for alwaysRetryable)
  }
  // The h2 kinds retry a stream error for the methods of their set; the HTTP kinds never wait.
  return is_h2_kind(options.kind) && in_method_set(options.kind, method);
}

bool is_read_only_method(std::string_view method) noexcept {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE";
}

bool is_idempotent_method(std::string_view method) noexcept {
  return is_read_only_method(method) || method == "PUT" || method == "DELETE";
}

}  // namespace meshd::filters
