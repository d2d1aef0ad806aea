#pragma once

// Text forms shared by the trace module's encoders and sinks: lower-hex ids, Base64, tag values
// and endpoints.

#include <boost/asio/ip/tcp.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "meshd/core/trace_id.h"
#include "meshd/trace/trace.h"

namespace meshd::trace::detail {

/// `id` as 16 lower-case hex digits (Finagle's `SpanId.toString`).
std::string hex16(std::uint64_t id);
/// `hex16` into `out` (16 characters, no terminator), without allocating.
void hex16_into(std::uint64_t id, char* out) noexcept;

/// The trace id in hex: 32 digits (high then low) for a 128-bit id, else 16.
std::string trace_id_hex(const TraceId& id);

/// Parses 1–16 hex digits (either case) as Finagle's `SpanId.fromString` does for one 64-bit id.
std::optional<std::uint64_t> parse_hex64(std::string_view text);

/// Standard Base64 with padding.
std::string base64_encode(std::string_view bytes);
/// `base64_encode` into `out`, which holds at least `(bytes.size() + 2) / 3 * 4` characters;
/// returns how many were written.
std::size_t base64_encode_into(std::string_view bytes, char* out) noexcept;
/// Standard Base64, padding optional (Java's basic decoder); nullopt for any other character or
/// an impossible length.
std::optional<std::string> base64_decode(std::string_view text);

/// Room for `l5d-ctx-trace` of a 128-bit id: Base64 of 40 bytes.
using CtxTraceText = std::array<char, 56>;
/// `encode_ctx_trace` into `out`, without allocating; the view points into `out`.
std::string_view encode_ctx_trace_into(const TraceId& id, CtxTraceText& out) noexcept;

/// A tag value as Zipkin shows it (Java's `toString`): strings as they are, `true`/`false`,
/// integers in decimal, doubles like Java's `Double.toString` for ordinary values (`1.0`,
/// `0.25`).
std::string tag_text(const Tag::Value& value);

/// `ip:port`, with brackets around an IPv6 address.
std::string endpoint_text(const boost::asio::ip::tcp::endpoint& endpoint);

/// Microseconds since the Unix epoch.
std::int64_t epoch_us(std::chrono::system_clock::time_point t);

}  // namespace meshd::trace::detail
