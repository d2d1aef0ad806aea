#pragma once

#include <boost/system/error_code.hpp>

#include <optional>
#include <string_view>
#include <vector>

namespace meshd::filters {

/// Finagle's ResponseClass.
enum class ResponseClass { Success, NonRetryableFailure, RetryableFailure };

inline bool is_success(ResponseClass c) noexcept { return c == ResponseClass::Success; }

/// The `l5d-success-class` value of a class: `1.0` for success, `0.0` for failure.
std::string_view success_class_value(ResponseClass c) noexcept;

/// `service.responseClassifier.kind` (inventory §12.4, §12.5). The HTTP kinds are those of
/// http routers; the h2 and gRPC kinds those of h2 routers.
enum class ClassifierKind {
  NonRetryable5XX,           ///< `io.l5d.http.nonRetryable5XX` (http default)
  RetryableRead5XX,          ///< `io.l5d.http.retryableRead5XX`
  RetryableIdempotent5XX,    ///< `io.l5d.http.retryableIdempotent5XX`
  RetryableAll5XX,           ///< `io.l5d.http.retryableAll5XX`
  AllSuccessful,             ///< `io.l5d.http.allSuccessful`
  H2NonRetryable5XX,         ///< `io.l5d.h2.nonRetryable5XX` (h2 default)
  H2RetryableRead5XX,        ///< `io.l5d.h2.retryableRead5XX`
  H2RetryableIdempotent5XX,  ///< `io.l5d.h2.retryableIdempotent5XX`
  H2RetryableAll5XX,         ///< `io.l5d.h2.retryableAll5XX`
  H2AllSuccessful,           ///< `io.l5d.h2.allSuccessful`
  GrpcDefault,               ///< `io.l5d.h2.grpc.default`: retries grpc-status 14 (UNAVAILABLE)
  GrpcNeverRetryable,        ///< `io.l5d.h2.grpc.neverRetryable`
  GrpcAlwaysRetryable,       ///< `io.l5d.h2.grpc.alwaysRetryable`: retries every failed status
  GrpcRetryableStatusCodes,  ///< `io.l5d.h2.grpc.retryableStatusCodes`
  /// `io.l5d.h2.grpc.compliant`: exactly `GrpcDefault`, as in Linkerd 1.7.5 (whose initializer
  /// decodes the default classifier's config).
  GrpcCompliant,
};

/// The kind named `name` (`io.l5d.http.retryableRead5XX`, `io.l5d.h2.grpc.default`, …), or
/// nullopt for a name that is not a classifier kind.
std::optional<ClassifierKind> parse_classifier_kind(std::string_view name) noexcept;

/// The config name of `kind` (the inverse of `parse_classifier_kind`).
std::string_view classifier_kind_name(ClassifierKind kind) noexcept;

/// True for the `io.l5d.h2.*` and `io.l5d.h2.grpc.*` kinds.
bool is_h2_kind(ClassifierKind kind) noexcept;
/// True for the `io.l5d.h2.grpc.*` kinds.
bool is_grpc_kind(ClassifierKind kind) noexcept;

/// A configured classifier: its kind and, for the gRPC kinds, the status code lists of
/// `service.responseClassifier` (config::ResponseClassifierConfig).
struct ClassifierOptions {
  ClassifierKind kind = ClassifierKind::NonRetryable5XX;
  /// gRPC kinds: the grpc-status values that are successes (`successStatusCodes`).
  std::vector<int> success_status_codes{0};
  /// `GrpcRetryableStatusCodes` only: the failed grpc-status values that may be retried.
  std::vector<int> retryable_status_codes;
};

/// One attempt (or a whole request) as a classifier sees it.
struct Attempt {
  std::string_view method;       ///< case-sensitive, as HTTP methods are
  bool request_chunked = false;  ///< the request body streams without a known length
  /// The response status; 0 when the attempt ended without a response (`error` says why).
  int status = 0;
  bool l5d_retryable = false;  ///< the response carries `l5d-retryable: true`
  boost::system::error_code error;
  /// h2 (gRPC kinds): the `grpc-status` of the response, from its trailers or, for a
  /// trailers-only response, its headers; nullopt when there is none (yet). A value in the
  /// headers that is not an integer counts as 2 (UNKNOWN); one in the trailers as none.
  std::optional<int> grpc_status;
  /// h2 kinds: the error that ended the response stream after the response head arrived (a
  /// stream reset, the connection lost mid-body); empty when the stream ended cleanly or has
  /// not ended yet.
  boost::system::error_code stream_error;
};

/// Linkerd's wrapped HTTP classifier: `NonRetryableChunked(HeaderRetryable(kind orElse
/// nonRetryable5XX))`. The method sets: ReadOnly = GET HEAD OPTIONS TRACE; Idempotent =
/// ReadOnly + PUT DELETE; All = Idempotent + POST PATCH. A retrying kind makes a 5xx or a
/// retryable error (`is_retryable_error`) RetryableFailure when the method is in its set; any
/// other 5xx or error is NonRetryableFailure; allSuccessful makes every response Success and
/// every error NonRetryableFailure. `l5d-retryable: true` on a response (never an error)
/// upgrades NonRetryableFailure to RetryableFailure; a chunked request is never
/// RetryableFailure.
ResponseClass classify(ClassifierKind kind, const Attempt& attempt) noexcept;

/// Classifies `attempt` once its response stream has ended (or it failed without a response):
/// Linkerd's `responseClassifier orElse streamClassifier`. The HTTP kinds are `classify(kind,
/// attempt)`. The h2 kinds (H2Classifiers.scala) ignore `l5d_retryable` and `request_chunked`:
/// a 5xx or an error is a failure, retryable when the kind's method set holds the method and
/// it is a 5xx or a retryable h2 error (`is_retryable_h2_error`), and so is a `stream_error`;
/// allSuccessful fails errors and stream errors only. The gRPC kinds (GrpcClassifier.scala):
/// an error or a stream error is NonRetryableFailure; a `grpc_status` in
/// `success_status_codes` is Success, else RetryableFailure when the kind retries it (default
/// and compliant: 14; alwaysRetryable: any; retryableStatusCodes: the listed ones), else
/// NonRetryableFailure; without grpc-status, a 4xx or 5xx, and any other response, is
/// NonRetryableFailure.
ResponseClass classify(const ClassifierOptions& options, const Attempt& attempt) noexcept;

/// Linkerd's early classification (`responseClassifier` alone), from the response head: the
/// class when it is already known, nullopt when it depends on the rest of the stream (then
/// call `classify` at its end). `attempt.grpc_status` must only come from the headers here.
/// Always a value for the HTTP kinds; for the h2 kinds only for errors and 5xx; for the gRPC
/// kinds for errors, a grpc-status in the headers, and 4xx/5xx responses. The h2 router sets
/// `l5d-success-class` in the response headers when this has a value, else in the trailers.
std::optional<ResponseClass> classify_early(const ClassifierOptions& options,
                                            const Attempt& attempt) noexcept;

/// Errors Linkerd's classifiers may retry: timeouts (`errc::timeout`, attempt timeouts,
/// `asio::error::timed_out`), writes known not to have reached the endpoint
/// (`errc::connect_failed`), a connection closed under the exchange (`errc::upstream_reset`) and
/// a malformed response (`errc::protocol_error`).
bool is_retryable_error(boost::system::error_code ec) noexcept;

/// A `grpc-status` field value as `Attempt::grpc_status` takes it (Linkerd's GrpcStatus
/// extractors): its decimal integer; a value that is not one is 2 (UNKNOWN) in the response
/// headers and none (nullopt) in the trailers (`in_trailers`).
std::optional<int> grpc_status_from(std::string_view value, bool in_trailers) noexcept;

/// The errors the h2 classifiers may retry (Finagle's `TimeoutAndWriteExceptionsOnly orElse
/// ChannelClosedExceptionsOnly`): `is_retryable_error` without the malformed-response case
/// (`errc::protocol_error`).
bool is_retryable_h2_error(boost::system::error_code ec) noexcept;

/// Whether the class of a response to a `method` request could be RetryableFailure once its
/// stream has ended (its trailers' grpc-status, or an error that cut it off), with a head that
/// left it open: false for the kinds that never retry there (h2 nonRetryable5XX and
/// allSuccessful, a method outside an h2 kind's set, grpc.neverRetryable, retryableStatusCodes
/// without codes, and the HTTP kinds, which decide at the head). Holding such a response for its
/// end could never lead to a retry.
bool may_retry_at_end(const ClassifierOptions& options, std::string_view method) noexcept;

bool is_read_only_method(std::string_view method) noexcept;
bool is_idempotent_method(std::string_view method) noexcept;

}  // namespace meshd::filters
