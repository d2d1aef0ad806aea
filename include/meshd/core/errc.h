#pragma once

#include <boost/system/error_code.hpp>
#include <type_traits>

namespace meshd {

/// Outcomes of a request that produce no response (STYLE.md §6). An upstream 5xx is a response,
/// never one of these. `filters::ErrorResponder` alone maps them to HTTP statuses.
enum class errc {
  ok = 0,
  no_route,                ///< the dtab and namers bound the name to nothing (Neg/Empty)
  identification_failed,   ///< no identifier produced a logical name
  binding_failed,          ///< the name could not be bound (namer failure, depth exceeded)
  no_endpoints,            ///< the bound client has no ready addresses
  connect_failed,          ///< TCP connect to the chosen endpoint failed or timed out
  tls_handshake_failed,    ///< TLS handshake with the endpoint failed
  timeout,                 ///< a configured timeout fired
  deadline_exceeded,       ///< the propagated deadline passed
  upstream_reset,          ///< the endpoint closed or reset the connection mid-exchange
  protocol_error,          ///< the peer sent bytes that are not valid HTTP
  retry_budget_exhausted,  ///< a retry was wanted but the budget had no balance
  overloaded,              ///< rejected by a concurrency limit
  client_gone,             ///< the downstream client went away; the request is abandoned
  body_too_large,          ///< a buffered body exceeded its limit
};

/// The category of `meshd::errc`; its messages are short lower-case phrases.
const boost::system::error_category& meshd_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), meshd_category()};
}

}  // namespace meshd

namespace boost::system {
template <>
struct is_error_code_enum<meshd::errc> : std::true_type {};
}  // namespace boost::system
