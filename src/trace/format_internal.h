#pragma once

// Text forms shared by the trace module's encoders and sinks: lower-hex ids, Base64, tag values
// and endpoints.

#include <boost/asio/ip/tcp.hpp>

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

/// The trace id in hex: 32 digits (high then low) for a 128-bit id, else 16.
std::string trace_id_hex(const TraceId& id);

/// Parses 1–16 hex digits (either case) as Finagle's `SpanId.fromString` does for one 64-bit id.
std::optional<std::uint64_t> parse_hex64(std::string_view text);

/// Standard Base64 with padding.
std::string base64_encode(std::string_view bytes);
/// Standard Base64, padding optional (Java's basic decoder); nullopt for any other character or
/// an impossible length.
std::optional<std::string> base64_decode(std::string_view text);

/// A tag value as Zipkin shows it (Java's `toString`): strings as they are, `true`/`false`,
/// integers in decimal, doubles like Java's `Double.toString` for ordinary values (`1.0`,
/// `0.25`).
std::string tag_text(const Tag::Value& value);

/// `ip:port`, with brackets around an IPv6 address.
std::string endpoint_text(const boost::asio::ip::tcp::endpoint& endpoint);

/// Microseconds since the Unix epoch.
std::int64_t epoch_us(std::chrono::system_clock::time_point t);

}  // namespace meshd::trace::detail
