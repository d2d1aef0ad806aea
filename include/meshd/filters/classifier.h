#pragma once

#include <boost/system/error_code.hpp>

#include <string_view>

namespace meshd::filters {

/// Finagle's ResponseClass.
enum class ResponseClass { Success, NonRetryableFailure, RetryableFailure };

inline bool is_success(ResponseClass c) noexcept { return c == ResponseClass::Success; }

/// The `l5d-success-class` value of a class: `1.0` for success, `0.0` for failure.
std::string_view success_class_value(ResponseClass c) noexcept;

/// `service.responseClassifier.kind` (inventory §12.4).
enum class ClassifierKind {
  NonRetryable5XX,         ///< `io.l5d.http.nonRetryable5XX` (default)
  RetryableRead5XX,        ///< `io.l5d.http.retryableRead5XX`
  RetryableIdempotent5XX,  ///< `io.l5d.http.retryableIdempotent5XX`
  RetryableAll5XX,         ///< `io.l5d.http.retryableAll5XX`
  AllSuccessful,           ///< `io.l5d.http.allSuccessful`
};

/// One attempt (or a whole request) as a classifier sees it.
struct Attempt {
  std::string_view method;       ///< case-sensitive, as HTTP methods are
  bool request_chunked = false;  ///< the request body streams without a known length
  /// The response status; 0 when the attempt ended without a response (`error` says why).
  int status = 0;
  bool l5d_retryable = false;  ///< the response carries `l5d-retryable: true`
  boost::system::error_code error;
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

/// Errors Linkerd's classifiers may retry: timeouts (`errc::timeout`, attempt timeouts,
/// `asio::error::timed_out`), writes known not to have reached the endpoint
/// (`errc::connect_failed`), a connection closed under the exchange (`errc::upstream_reset`) and
/// a malformed response (`errc::protocol_error`).
bool is_retryable_error(boost::system::error_code ec) noexcept;

bool is_read_only_method(std::string_view method) noexcept;
bool is_idempotent_method(std::string_view method) noexcept;

}  // namespace meshd::filters
