#pragma once

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>
#include <string>

namespace meshd::dtab {

/// Why a path, prefix, name tree, dentry or dtab did not parse. `message` is Finagle's exact
/// IllegalArgumentException text, e.g. `'=' expected but '>' found at '/a[>]/b'`, so it can be
/// returned to clients as is (`l5d-dtab` 400 responses, `/delegator.json`).
struct ParseError {
  /// Finagle's text: `{expected} expected but {found} found at '{input with [offender]}'`.
  std::string message;

  /// Equal when the messages are equal.
  bool operator==(const ParseError&) const = default;
};

/// Makes `ParseResult<T>::value()` throw `std::invalid_argument(e.message)` on error (found by
/// ADL from `boost::system::result`). Only for callers that already handle exceptions (config).
[[noreturn]] void throw_exception_from_error(const ParseError& e,
                                             const boost::source_location& loc);

/// The outcome of every dtab parser entry point. Parsers never throw.
template <class T>
using ParseResult = boost::system::result<T, ParseError>;

}  // namespace meshd::dtab
