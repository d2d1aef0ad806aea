#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "meshd/core/asio.h"
#include "meshd/core/service.h"
#include "meshd/http/message.h"
#include "meshd/http2/settings.h"
#include "meshd/transport/drain.h"
#include "meshd/transport/stream.h"

namespace meshd::http2 {

using HttpService = Service<http::Request, http::Response>;
using HttpServiceSharedPtr = std::shared_ptr<HttpService>;

/// Settings, limits and hooks of the HTTP/2 server codec. Shared by every connection of a
/// server (must outlive them).
struct ServerOptions {
  Settings settings;
  Hooks hooks;
  /// Accept HTTP/1.1 `Upgrade: h2c` (plaintext servers). False on TLS, where only ALPN `h2` or
  /// the prior-knowledge preface lead to HTTP/2.
  bool allow_upgrade = true;
  /// An `Upgrade: h2c` request's body is read whole before switching (it becomes stream 1's
  /// body); a larger one is refused with 413 on HTTP/1.1.
  std::size_t max_upgrade_body = 65536;
  /// A connection without open streams for this long gets GOAWAY(NO_ERROR) and closes; zero:
  /// never. (Finagle servers default to no idle limit; a proxy holding thousands of idle
  /// client connections wants one.)
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(10)};
  /// How long the first bytes (preface or HTTP/1.1 request head) may take; zero: forever.
  std::chrono::milliseconds preface_timeout{std::chrono::seconds(10)};
  /// Rapid reset (CVE-2023-44487): streams the client may cancel (RST_STREAM, or opened and
  /// refused) per second, with a burst; past it the connection gets GOAWAY(ENHANCE_YOUR_CALM).
  std::uint32_t reset_burst = 1000;
  std::uint32_t reset_rate_per_second = 100;
  /// CONTINUATION flood (CVE-2024-27316 family): CONTINUATION frames allowed per header block.
  std::size_t max_continuations = 8;
  /// SETTINGS entries per frame, and queued outbound PING/SETTINGS ACKs, before GOAWAY.
  std::size_t max_settings = 32;
  std::size_t max_outbound_ack = 1000;
  /// Bytes of response data queued per connection beyond what the socket took before the
  /// codec stops pulling response bodies (backpressure towards the upstream).
  std::size_t max_outbound_buffer = 64 * 1024;
};

/// Serves HTTP/2 on one accepted connection (nghttp2): prior knowledge (the client preface),
/// HTTP/1.1 `Upgrade: h2c` (answered with 101, the upgrading request becomes stream 1) when
/// `allow_upgrade`, and TLS connections whose ALPN chose `h2`. Anything else that speaks
/// HTTP/1.x gets `505 HTTP Version Not Supported` with a text body naming the ways in, then
/// a close; bytes that are neither close the connection.
///
/// Each stream becomes an `http::Request` handed to `service` on a coroutine of its own while it
/// runs (streams run concurrently; the coroutines of finished streams are reused by the next
/// streams on the same io_context, which must be run by one thread). The request stays the server's
/// until the call ends: `method` = `:method`, `target` = `:path`, `version` = 2.0, `headers` =
/// `:authority` (when sent) and `:scheme` as its first fields, in that order, followed by the
/// regular fields as received (lower-case names, cookies kept as sent); `ctx.remote/local/start`
/// set. The request body streams from the stream's DATA frames with flow control tied to the reader
/// (see `Settings::window_update_ratio`); its trailers are the HEADERS frame that ends the stream.
/// A client RST_STREAM cancels the service call and fails a pending body read with
/// `errc::client_gone`. `expect: 100-continue` is answered with a 100 when the body is first read
/// (and removed from the fields), as the HTTP/1.1 server does. A request whose header block is over
/// `max_header_list_bytes` is answered 431 without calling the service. A response complete before
/// its request gets RST_STREAM(NO_ERROR) (RFC 9113 §8.1).
///
/// The response goes out as HEADERS (`:status` and the response's fields minus pseudo and
/// connection-specific ones: Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding,
/// Upgrade, TE) and DATA pulled from the body one piece at a time as the peer's windows allow,
/// then the body's trailers (a HEADERS frame with END_STREAM) when there are any. A response
/// body that fails mid-way resets the stream (INTERNAL_ERROR). A service error resets the
/// stream with `reset_code_for(error)`; a 1xx from `ctx.interim` is sent as informational
/// HEADERS.
///
/// Protection: the options' limits (rapid reset, CONTINUATION count, header list size via
/// nghttp2's HPACK limits, SETTINGS flood, stream count) end abusive connections with GOAWAY
/// and a `hooks.on_protocol_error` call; memory per connection is bounded by the stream windows
/// and `max_outbound_buffer`. Resets counted against `reset_burst`/`reset_rate_per_second` are
/// the client's RST_STREAMs, refused streams and streams reset for the client's errors; past
/// the budget: GOAWAY(ENHANCE_YOUR_CALM). A header block decoding past 4 × the header list
/// limit (at least 64 KiB: an HPACK bomb) ends the connection the same way. Streams beyond
/// `max_concurrent_streams` are refused while our SETTINGS are unacknowledged, or while reset
/// streams' service calls are still unwinding; a client that exceeds the acknowledged limit
/// gets nghttp2's connection error (GOAWAY PROTOCOL_ERROR). Drain sends GOAWAY (last stream
/// id), lets open streams finish, then closes. A closing connection flushes its last frames
/// and reads what the client still sends for up to a second (a FIN, not a reset that could
/// destroy the GOAWAY). Timeouts are enforced from `tick()`. Lives on one worker.
class ServerConnection final : public transport::Drainable,
                               public std::enable_shared_from_this<ServerConnection> {
 public:
  /// `alpn_h2`: the TLS handshake negotiated `h2` (skip HTTP/1.1 detection; the preface must
  /// follow).
  ServerConnection(transport::StreamPtr stream, HttpServiceSharedPtr service,
                   const ServerOptions& options, transport::DrainGroup& drain_group,
                   bool alpn_h2 = false);
  ~ServerConnection() override;
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;

  /// Starts serving on the stream's executor; the connection keeps itself alive until closed.
  void start();

  // transport::Drainable
  void drain() noexcept override;
  void tick(std::chrono::steady_clock::time_point now) noexcept override;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace meshd::http2
