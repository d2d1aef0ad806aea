#pragma once

// Protocol detection of the HTTP/2 server (server.h): the client preface, an HTTP/1.1
// `Upgrade: h2c` request, or anything else. Private to src/http2/server*.cc.

#include <cstddef>
#include <string>
#include <string_view>

#include "meshd/core/asio.h"
#include "meshd/http/message.h"
#include "meshd/http2/server.h"
#include "meshd/transport/stream.h"

namespace meshd::http2 {

/// What the first bytes of a connection asked for.
struct ServerDetection {
  enum class Kind {
    PriorKnowledge,  ///< the client connection preface: HTTP/2 from the first byte
    Upgrade,         ///< an HTTP/1.1 request with `Upgrade: h2c`: answer 101, then HTTP/2
    Done,            ///< answered over HTTP/1.1 (505, 413, 400), not HTTP, or gone: close
  };
  Kind kind = Kind::Done;
  /// Bytes read that nghttp2 must see first: the preface and what followed it, or what came
  /// after the upgrading request.
  std::string initial;
  /// Upgrade: the decoded `HTTP2-Settings` payload.
  std::string settings;
  /// Upgrade: the request, to be served as stream 1 (its body read whole).
  http::Request request;
  bool head = false;  ///< Upgrade: the request is a HEAD
};

/// The answer to an `Upgrade: h2c` request, before the server's first HTTP/2 frame.
inline constexpr std::string_view kSwitchingProtocols =
    "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n";

/// Reads from `stream` (which must outlive the coroutine; `first` holds the bytes read so far)
/// until it knows which protocol the client speaks. HTTP/1.x requests that do not upgrade are
/// answered here: 505 naming the ways in, 413 for an upgrade body over `max_upgrade_body`, 400
/// for a malformed `HTTP2-Settings`. On the stream's executor; a read error (the connection
/// closed by `preface_timeout`) ends it with `Done`.
asio::awaitable<ServerDetection> detect_protocol(transport::Stream& stream,
                                                 const ServerOptions& options, std::string first);

/// Reads and drops what the peer sends until it closes or `limit` bytes have come, so that a
/// close after an answer does not reset it (a close with unread input sends RST). Never fails.
asio::awaitable<Result<void>> discard_input(transport::Stream& stream, std::size_t limit);

}  // namespace meshd::http2
