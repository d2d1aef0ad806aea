#pragma once

#include <optional>
#include <string_view>

#include "meshd/core/result.h"
#include "meshd/http/body.h"

namespace meshd::http1::detail {

/// A body of this codec that streams from a connection's read buffer, whose next piece is often
/// buffered already: `write_message` takes such pieces with `poll()` and awaits `read()` (a
/// coroutine) only when the body must wait for the peer.
class PollableBody : public http::Body {
 public:
  /// What `read()` would return when it needs no wait (and consumes it likewise); nullopt when
  /// `read()` must be awaited.
  virtual std::optional<Result<std::string_view>> poll() = 0;
};

}  // namespace meshd::http1::detail
