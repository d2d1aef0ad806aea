#pragma once

#include <string>
#include <string_view>

#include "meshd/core/asio.h"
#include "meshd/core/result.h"
#include "meshd/http/message.h"
#include "meshd/transport/stream.h"

namespace meshd::http1 {

/// How a body is delimited on the wire.
enum class Framing {
  None,     ///< no body at all (HEAD, 1xx, 204, 304, bodiless requests)
  Length,   ///< Content-Length
  Chunked,  ///< Transfer-Encoding: chunked (with trailers)
  Close,    ///< until the connection closes (HTTP/1.0 peers only)
};

/// Appends `METHOD target HTTP/x.y\r\n` + headers + framing header + `\r\n` to `out`.
void serialize_request_head(const http::Request& req, Framing framing, std::string& out);

/// Appends `HTTP/x.y status reason\r\n` + headers + framing/connection headers + `\r\n`.
/// `version` is what we speak to this client (1.1, or 1.0 for a 1.0 client).
void serialize_response_head(const http::Response& rsp, http::Version version, Framing framing,
                             bool keep_alive, std::string& out);

/// Removes the message's own framing fields before serialisation when `framing` replaces them
/// (a Content-Length stays on HEAD and 304 responses, where it describes the omitted body).
void set_framing(http::Headers& headers, Framing framing, bool keep_length_without_body);

/// Writes `head` and then streams `body` with `framing`, one piece at a time (the next piece is
/// read only after the previous one was written); the head goes out with the first piece, in one
/// write. `head` may be empty when it was already sent; its bytes must stay valid until the
/// write completes. Errors from the body (a truncated upstream) and from the stream are returned
/// as they are; the caller must then close the stream so the peer sees the truncation.
asio::awaitable<Result<void>> write_message(transport::Stream& stream, std::string_view head,
                                            http::Body* body, Framing framing);

/// Removes the hop-by-hop fields of RFC 9110 §7.6.1 as Linkerd does: Connection and every
/// field it names, Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade, Proxy-Authenticate,
/// Proxy-Authorization, Proxy-Connection. Content-Length stays: the codec decides the framing
/// and drops it where it re-frames (see `set_framing`).
void strip_hop_by_hop(http::Headers& headers);

}  // namespace meshd::http1
