#pragma once

// Just enough Thrift for Finagle's Zipkin tracer: the TBinaryProtocol encoding of zipkinCore's
// `Span` and of a Scribe `Log` call in a framed transport, and the parsing of its reply.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "meshd/core/result.h"
#include "meshd/trace/trace.h"

namespace meshd::trace::detail {

/// TBinaryProtocol type ids.
enum class ThriftType : std::uint8_t {
  Stop = 0,
  Bool = 2,
  Byte = 3,
  Double = 4,
  I16 = 6,
  I32 = 8,
  I64 = 10,
  String = 11,
  Struct = 12,
  Map = 13,
  Set = 14,
  List = 15,
};

/// Appends TBinaryProtocol values (big-endian) to a byte string.
class ThriftWriter {
 public:
  /// A field header: type and id.
  void field(ThriftType type, std::int16_t id);
  /// The end of a struct.
  void stop();
  /// A list header: element type and count.
  void list(ThriftType element, std::int32_t size);
  void boolean(bool v);
  void i16(std::int16_t v);
  void i32(std::int32_t v);
  void i64(std::int64_t v);
  void f64(double v);
  /// A string or binary: i32 length, then the bytes.
  void binary(std::string_view v);

  /// The bytes written so far.
  const std::string& bytes() const noexcept { return out_; }
  std::string take() noexcept { return std::move(out_); }

 private:
  std::string out_;
};

/// zipkinCore.thrift `Span` of `span`, as the struct's TBinaryProtocol bytes: ids, name,
/// annotations and binary annotations (each with the local endpoint as host, plus `ca` (server
/// span) or `sa` (client span) for the remote endpoint), debug, timestamp, duration and
/// `trace_id_high` for a 128-bit trace id.
std::string encode_zipkin_span(const Span& span);

/// The TBinaryProtocol bytes of `scribe.Log`'s argument struct: `messages` (field 1) as a list of
/// `LogEntry{1: category, 2: message}`.
std::string encode_scribe_log_args(const std::vector<std::string>& messages,
                                   std::string_view category);

/// A framed, strict TBinaryProtocol `Log` CALL message with `seqid` around `args`: a 4-byte
/// big-endian frame length, then the message.
std::string frame_scribe_call(std::string_view args, std::int32_t seqid);

/// Scribe's `ResultCode`.
enum class ScribeResult { Ok = 0, TryLater = 1 };

/// The largest reply frame accepted from a collector (a reply is about 20 bytes).
inline constexpr std::uint32_t kMaxScribeReplyFrame = 64 * 1024;

/// Parses the message of a reply frame (without its length prefix) to the `Log` call `seqid`.
/// Errors: `errc::protocol_error` with `*detail` saying what was wrong (not a strict reply, another
/// method or seqid, a Thrift exception with its message, an unknown result code, truncation).
Result<ScribeResult> parse_scribe_reply(std::string_view message, std::int32_t seqid,
                                        std::string* detail);

}  // namespace meshd::trace::detail
