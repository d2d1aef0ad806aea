#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <boost/system/error_code.hpp>

#include "meshd/http/message.h"

namespace meshd::http2 {

/// The HTTP/2 settings keys of Linkerd's h2 servers and clients (inventory §13), resolved. One
/// struct for both sides: a server uses every field, a client ignores `max_concurrent_streams`
/// (it advertises 0 pushed streams: push is disabled) but honours the peer's.
struct Settings {
  /// Server `maxConcurrentStreamsPerConnection`: SETTINGS_MAX_CONCURRENT_STREAMS. Streams the
  /// peer opens beyond it are refused (RST_STREAM REFUSED_STREAM).
  std::uint32_t max_concurrent_streams = 1000;
  /// `initialStreamWindowBytes`: SETTINGS_INITIAL_WINDOW_SIZE, the receive window of each stream.
  std::uint32_t initial_stream_window = 65535;
  /// `windowUpdateRatio` in (0, 1): a WINDOW_UPDATE for a stream is sent once the reader has
  /// consumed `initial_stream_window * (1 - window_update_ratio)` bytes not yet acknowledged
  /// (at least one byte): the window is credited back as the reader — not the socket — takes the
  /// data, so a slow reader stops its sender. The connection window is refilled as data arrives
  /// (Finagle's AutoRefillConnectionWindow), bounded by the per-stream windows.
  double window_update_ratio = 0.99;
  /// `headerTableBytes`: SETTINGS_HEADER_TABLE_SIZE, the HPACK table the peer may make us keep.
  std::uint32_t header_table_bytes = 4096;
  /// `maxFrameBytes`: SETTINGS_MAX_FRAME_SIZE (16 384 – 16 777 215).
  std::uint32_t max_frame_bytes = 16384;
  /// `maxHeaderListBytes`: SETTINGS_MAX_HEADER_LIST_SIZE, and the limit enforced on every header
  /// block received (decoded size per RFC 9113 §6.5.2: name + value + 32 per field). Netty's
  /// default, which Linkerd inherits.
  std::uint32_t max_header_list_bytes = 8192;
};

/// Counters of one side's connections, for h2 metrics and tests. Each hook may be empty.
/// Called on the connection's worker.
struct Hooks {
  /// A connection opened (+1) or closed (-1): the `connections` gauge.
  std::function<void(int)> on_connection;
  /// A stream opened (+1) or closed (-1): the `open_streams` gauge.
  std::function<void(int)> on_stream;
  /// The connection was closed for abuse (rapid resets, floods, a header block over the limit,
  /// a protocol error from the peer); `reason` is a short phrase (`too many stream resets`).
  std::function<void(std::string_view reason)> on_protocol_error;
};

/// RST_STREAM / GOAWAY error codes (RFC 9113 §7) that callers name.
enum class ErrorCode : std::uint32_t {
  NoError = 0x0,
  ProtocolError = 0x1,
  InternalError = 0x2,
  FlowControlError = 0x3,
  StreamClosed = 0x5,
  FrameSizeError = 0x6,
  RefusedStream = 0x7,
  Cancel = 0x8,
  CompressionError = 0x9,
  EnhanceYourCalm = 0xb,
};

/// The RST_STREAM code a server sends when its service fails a request with `ec` instead of
/// answering (Linkerd's ErrorReseter): `errc::identification_failed` (unknown destination) and
/// `errc::overloaded` (rejected) → REFUSED_STREAM; `operation_aborted` / `errc::client_gone` →
/// CANCEL; anything else → INTERNAL_ERROR.
ErrorCode reset_code_for(boost::system::error_code ec) noexcept;
/// `reset_code_for` of a failed call, told how the request's last try ended at the endpoint
/// (Linkerd passes an endpoint's stream reset on as it is). With `errc::upstream_reset`: a try
/// refused before the endpoint processed any of it (`ctx.unprocessed`: REFUSED_STREAM, a
/// stream above a GOAWAY's last stream id, one never sent) → REFUSED_STREAM, so that the
/// client may send it again; a stream the endpoint reset (`ctx.upstream_reset`) → that code.
/// Else as above.
ErrorCode reset_code_for(boost::system::error_code ec, const http::RequestContext& ctx) noexcept;

/// `REFUSED_STREAM`, as logs and error details print a code; `0x1f` style for unknown codes.
std::string error_code_name(std::uint32_t code);

}  // namespace meshd::http2
