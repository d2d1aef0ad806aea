#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "meshd/core/trace_id.h"
#include "meshd/dtab/dtab.h"
#include "meshd/dtab/path.h"
#include "meshd/http/body.h"
#include "meshd/http/headers.h"

namespace meshd::http {

/// HTTP version of a message as received (`1.0`, `1.1`; `2.0` for h2).
struct Version {
  int major = 1;
  int minor = 1;
  friend bool operator==(Version, Version) = default;
};

/// `HTTP/1.1` (`HTTP/2` for h2), as access logs and trace annotations print a version.
std::string show(Version v);

/// The value of a message's (first) `Content-Length` header when it is a valid decimal number;
/// nullopt when absent or not a number. The codecs have already rejected conflicting values.
std::optional<std::uint64_t> content_length(const Headers& headers);

/// Where a request failed, in Linkerd 1's terms (set by the failing layer, read by the error
/// responder and the access log).
enum class FailureStage { None, Identification, Binding, ClientAcquisition, Service };

struct Response;

/// Sends an interim (1xx) response head to the downstream client, ahead of the final response.
/// Set by the server codec; called on the request's worker while the request is in flight.
using InterimWriter = std::function<boost::asio::awaitable<void>(const Response&)>;

/// Per-request state that travels explicitly with the request through every filter: there is
/// no request-local storage (STYLE.md §1). Owned by the `Request`.
struct RequestContext {
  boost::asio::ip::tcp::endpoint remote;  ///< the downstream client's address
  boost::asio::ip::tcp::endpoint local;   ///< the server address it connected to
  std::chrono::steady_clock::time_point start{};
  /// `l5d-ctx-dtab` ++ `l5d-dtab` of this request; appended to the router dtab when binding and
  /// re-emitted downstream as `l5d-ctx-dtab`.
  dtab::Dtab local_dtab;
  /// The logical name once an identifier has produced one (`/svc/hello`).
  std::optional<dtab::Path> dst;
  /// `dst->show()`, computed once (stats scope, binding cache key, `l5d-dst-service`).
  std::string dst_show;
  /// Attempt number, 1 for the first try (retries increment it).
  int attempt = 1;
  /// The last try failed before the endpoint processed any of it (h2: its stream refused with
  /// REFUSED_STREAM, or above the last stream id of a GOAWAY), so it may be sent again whole.
  /// Set by the exchange.
  bool unprocessed = false;
  /// The RST_STREAM code the endpoint ended the last try's stream with before it answered (h2;
  /// a code above 0xff, which RFC 9113 defines none of, as INTERNAL_ERROR), for the server to
  /// reset its own stream with as Linkerd passes a stream reset on. Set by the exchange.
  std::optional<std::uint8_t> upstream_reset;
  /// The deadline the request arrived with (`l5d-ctx-deadline`, strictest of its values), in
  /// ns since the Unix epoch; nullopt when it carried none.
  std::optional<std::int64_t> inbound_deadline_ns;
  /// The server span's trace id (a child of the caller's, or a new root); each try to an
  /// endpoint is a child of it. Set by the router server.
  TraceId trace;
  /// When the answer is due: the stricter of the inbound deadline and the service's
  /// `totalTimeoutMs`; set by the router, propagated as `l5d-ctx-deadline`.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  /// Forwards upstream 1xx responses (103 Early Hints, …) to the client; empty when the client
  /// cannot take them (HTTP/1.0).
  InterimWriter interim;
  FailureStage failure_stage = FailureStage::None;
  std::string failure_detail;
};

/// An HTTP request whose body streams. Move-only.
struct Request {
  std::string method;
  std::string target;  ///< origin-form (`/path?q`) once the proxy rewrite has run
  Version version;
  Headers headers;
  BodyPtr body;  ///< never null once built by a codec; an empty BufferBody when there is none
  RequestContext ctx;
};

/// An HTTP response whose body streams. Move-only.
struct Response {
  int status = 200;
  std::string reason;  ///< empty means the standard phrase for `status`
  Version version;
  Headers headers;
  BodyPtr body;  ///< never null; an empty BufferBody when there is none

  /// A complete response with a text/plain body (errors, admin pages).
  static Response text(int status, std::string body, std::string_view content_type = "text/plain");
};

/// The standard reason phrase of `status` ("OK", "Bad Gateway"), or "Unknown".
std::string_view reason_phrase(int status) noexcept;

}  // namespace meshd::http
