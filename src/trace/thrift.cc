#include "trace/thrift_internal.h"

#include <bit>
#include <optional>

// Field ids and enum values from zipkinCore.thrift and scribe.thrift; message framing from
// Thrift's TBinaryProtocol (strict) and TFramedTransport.

namespace meshd::trace::detail {
namespace {

constexpr std::uint32_t kVersion1 = 0x80010000;
constexpr std::uint32_t kVersionMask = 0xffff0000;
constexpr std::uint8_t kMessageCall = 1;
constexpr std::uint8_t kMessageReply = 2;
constexpr std::uint8_t kMessageException = 3;
constexpr std::string_view kLogMethod = "Log";
constexpr int kMaxSkipDepth = 16;

// zipkinCore.thrift AnnotationType.
enum class AnnotationType : std::int32_t {
  Bool = 0,
  Bytes = 1,
  I16 = 2,
  I32 = 3,
  I64 = 4,
  Double = 5,
  String = 6
};

void put_be(std::string& out, std::uint64_t v, int bytes) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
    out += static_cast<char>((v >> shift) & 0xff);
  }
}

// zipkinCore `Endpoint`: ipv4 (0 for IPv6), port, service name, and the 16 bytes of an IPv6
// address. A v4-mapped IPv6 address is written as IPv4.
void write_endpoint(ThriftWriter& w, const Endpoint& endpoint) {
  auto address = endpoint.address.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  }
  w.field(ThriftType::I32, 1);
  w.i32(address.is_v4() ? static_cast<std::int32_t>(address.to_v4().to_uint()) : 0);
  w.field(ThriftType::I16, 2);
  w.i16(static_cast<std::int16_t>(endpoint.address.port()));
  w.field(ThriftType::String, 3);
  w.binary(endpoint.service_name);
  if (address.is_v6()) {
    auto bytes = address.to_v6().to_bytes();
    w.field(ThriftType::String, 4);
    w.binary(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }
  w.stop();
}

// A tag's TBinaryProtocol value and annotation type (how Finagle's RawZipkinTracer writes them).
struct EncodedValue {
  std::string bytes;
  AnnotationType type;
};
EncodedValue encode_value(const Tag::Value& value) {
  struct Visitor {
    EncodedValue operator()(const std::string& s) const { return {s, AnnotationType::String}; }
    EncodedValue operator()(bool b) const {
      return {std::string(1, b ? '\1' : '\0'), AnnotationType::Bool};
    }
    EncodedValue operator()(double d) const {
      std::string out;
      put_be(out, std::bit_cast<std::uint64_t>(d), 8);
      return {out, AnnotationType::Double};
    }
    EncodedValue operator()(std::int64_t i) const {
      std::string out;
      put_be(out, static_cast<std::uint64_t>(i), 8);
      return {out, AnnotationType::I64};
    }
  };
  return std::visit(Visitor{}, value);
}

void write_binary_annotation(ThriftWriter& w, std::string_view key, const EncodedValue& value,
                             const Endpoint& host) {
  w.field(ThriftType::String, 1);
  w.binary(key);
  w.field(ThriftType::String, 2);
  w.binary(value.bytes);
  w.field(ThriftType::I32, 3);
  w.i32(static_cast<std::int32_t>(value.type));
  w.field(ThriftType::Struct, 4);
  write_endpoint(w, host);
  w.stop();
}

/// Reads TBinaryProtocol values from a byte string; a failed read sets `ok` to false and every
/// later read returns zero values.
class ThriftReader {
 public:
  explicit ThriftReader(std::string_view data) : data_(data) {}

  bool ok() const noexcept { return ok_; }

  std::uint64_t be(int bytes) {
    if (!ok_ || data_.size() - pos_ < static_cast<std::size_t>(bytes)) {
      ok_ = false;
      return 0;
    }
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) {
      v = (v << 8) | static_cast<std::uint8_t>(data_[pos_++]);
    }
    return v;
  }
  std::int32_t i32() { return static_cast<std::int32_t>(be(4)); }
  std::string_view binary() {
    std::int32_t size = i32();
    if (!ok_ || size < 0 || data_.size() - pos_ < static_cast<std::size_t>(size)) {
      ok_ = false;
      return {};
    }
    auto v = data_.substr(pos_, static_cast<std::size_t>(size));
    pos_ += static_cast<std::size_t>(size);
    return v;
  }

  /// Skips a value of `type`, nesting at most `depth` containers deep.
  void skip(ThriftType type, int depth) {
    if (depth <= 0) {
      ok_ = false;
      return;
    }
    switch (type) {
      case ThriftType::Bool:
      case ThriftType::Byte:
        be(1);
        return;
      case ThriftType::I16:
        be(2);
        return;
      case ThriftType::I32:
        be(4);
        return;
      case ThriftType::Double:
      case ThriftType::I64:
        be(8);
        return;
      case ThriftType::String:
        binary();
        return;
      case ThriftType::Struct:
        skip_struct(depth - 1);
        return;
      case ThriftType::Map: {
        auto key = static_cast<ThriftType>(be(1));
        auto value = static_cast<ThriftType>(be(1));
        std::int32_t n = i32();
        for (std::int32_t i = 0; ok_ && i < n; ++i) {
          skip(key, depth - 1);
          skip(value, depth - 1);
        }
        return;
      }
      case ThriftType::Set:
      case ThriftType::List: {
        auto element = static_cast<ThriftType>(be(1));
        std::int32_t n = i32();
        for (std::int32_t i = 0; ok_ && i < n; ++i) {
          skip(element, depth - 1);
        }
        return;
      }
      case ThriftType::Stop:
        break;
    }
    ok_ = false;  // not a Thrift type
  }

  void skip_struct(int depth) {
    while (ok_) {
      auto type = static_cast<ThriftType>(be(1));
      if (type == ThriftType::Stop) {
        return;
      }
      be(2);
      skip(type, depth);
    }
  }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// TApplicationException's message (field 1), for the error text.
std::string exception_message(ThriftReader& r) {
  std::string message;
  while (r.ok()) {
    auto type = static_cast<ThriftType>(r.be(1));
    if (type == ThriftType::Stop) {
      break;
    }
    auto id = static_cast<std::int16_t>(r.be(2));
    if (id == 1 && type == ThriftType::String) {
      message = std::string(r.binary());
    } else {
      r.skip(type, kMaxSkipDepth);
    }
  }
  return message;
}

}  // namespace

void ThriftWriter::field(ThriftType type, std::int16_t id) {
  out_ += static_cast<char>(type);
  put_be(out_, static_cast<std::uint16_t>(id), 2);
}
void ThriftWriter::stop() { out_ += static_cast<char>(ThriftType::Stop); }
void ThriftWriter::list(ThriftType element, std::int32_t size) {
  out_ += static_cast<char>(element);
  i32(size);
}
void ThriftWriter::boolean(bool v) { out_ += v ? '\1' : '\0'; }
void ThriftWriter::i16(std::int16_t v) { put_be(out_, static_cast<std::uint16_t>(v), 2); }
void ThriftWriter::i32(std::int32_t v) { put_be(out_, static_cast<std::uint32_t>(v), 4); }
void ThriftWriter::i64(std::int64_t v) { put_be(out_, static_cast<std::uint64_t>(v), 8); }
void ThriftWriter::f64(double v) { put_be(out_, std::bit_cast<std::uint64_t>(v), 8); }
void ThriftWriter::binary(std::string_view v) {
  i32(static_cast<std::int32_t>(v.size()));
  out_.append(v);
}

std::string encode_zipkin_span(const Span& span) {
  ThriftWriter w;
  w.field(ThriftType::I64, 1);
  w.i64(static_cast<std::int64_t>(span.id.trace_id));
  w.field(ThriftType::String, 3);
  w.binary(span.name);
  w.field(ThriftType::I64, 4);
  w.i64(static_cast<std::int64_t>(span.id.span_id));
  if (span.id.parent_id) {
    w.field(ThriftType::I64, 5);
    w.i64(static_cast<std::int64_t>(*span.id.parent_id));
  }
  w.field(ThriftType::List, 6);
  w.list(ThriftType::Struct, static_cast<std::int32_t>(span.annotations.size()));
  for (const auto& a : span.annotations) {
    w.field(ThriftType::I64, 1);
    w.i64(a.timestamp_us);
    w.field(ThriftType::String, 2);
    w.binary(a.value);
    w.field(ThriftType::Struct, 3);
    write_endpoint(w, span.local);
    w.stop();
  }
  w.field(ThriftType::List, 8);
  w.list(ThriftType::Struct, static_cast<std::int32_t>(span.tags.size() + (span.remote ? 1 : 0)));
  for (const auto& t : span.tags) {
    write_binary_annotation(w, t.key, encode_value(t.value), span.local);
  }
  if (span.remote) {
    // Finagle's ClientAddr / ServerAddr: where the other side of the RPC is.
    write_binary_annotation(w, span.kind == Span::Kind::server ? "ca" : "sa", encode_value(true),
                            *span.remote);
  }
  w.field(ThriftType::Bool, 9);
  w.boolean(span.id.debug);
  w.field(ThriftType::I64, 10);
  w.i64(span.timestamp_us);
  w.field(ThriftType::I64, 11);
  w.i64(span.duration_us);
  if (span.id.trace_id_high != 0) {
    w.field(ThriftType::I64, 12);
    w.i64(static_cast<std::int64_t>(span.id.trace_id_high));
  }
  w.stop();
  return w.take();
}

std::string encode_scribe_log_args(const std::vector<std::string>& messages,
                                   std::string_view category) {
  ThriftWriter w;
  w.field(ThriftType::List, 1);
  w.list(ThriftType::Struct, static_cast<std::int32_t>(messages.size()));
  for (const auto& m : messages) {
    w.field(ThriftType::String, 1);
    w.binary(category);
    w.field(ThriftType::String, 2);
    w.binary(m);
    w.stop();
  }
  w.stop();
  return w.take();
}

std::string frame_scribe_call(std::string_view args, std::int32_t seqid) {
  ThriftWriter w;
  w.i32(static_cast<std::int32_t>(kVersion1 | kMessageCall));
  w.binary(kLogMethod);
  w.i32(seqid);
  std::string message = w.take();
  message.append(args);
  std::string frame;
  frame.reserve(4 + message.size());
  put_be(frame, message.size(), 4);
  frame += message;
  return frame;
}

Result<ScribeResult> parse_scribe_reply(std::string_view message, std::int32_t seqid,
                                        std::string* detail) {
  auto fail = [detail](std::string why) {
    *detail = std::move(why);
    return Result<ScribeResult>(make_error_code(errc::protocol_error));
  };
  ThriftReader r(message);
  auto version = static_cast<std::uint32_t>(r.i32());
  std::string_view name = r.binary();
  std::int32_t reply_seqid = r.i32();
  if (!r.ok() || (version & kVersionMask) != kVersion1) {
    return fail("not a strict TBinaryProtocol message");
  }
  if (name != kLogMethod || reply_seqid != seqid) {
    return fail("reply to " + std::string(name) + " seqid " + std::to_string(reply_seqid) +
                ", expected Log seqid " + std::to_string(seqid));
  }
  auto type = static_cast<std::uint8_t>(version & 0xff);
  if (type == kMessageException) {
    std::string message_text = exception_message(r);
    return fail("exception: " +
                (message_text.empty() ? std::string("(no message)") : message_text));
  }
  if (type != kMessageReply) {
    return fail("message type " + std::to_string(type) + " is not a reply");
  }
  std::optional<std::int32_t> code;
  while (r.ok()) {
    auto field_type = static_cast<ThriftType>(r.be(1));
    if (field_type == ThriftType::Stop) {
      break;
    }
    auto id = static_cast<std::int16_t>(r.be(2));
    if (id == 0 && field_type == ThriftType::I32) {
      code = r.i32();
    } else {
      r.skip(field_type, kMaxSkipDepth);
    }
  }
  if (!r.ok() || !code) {
    return fail("truncated reply or no result");
  }
  if (*code != static_cast<std::int32_t>(ScribeResult::Ok) &&
      *code != static_cast<std::int32_t>(ScribeResult::TryLater)) {
    return fail("unknown result code " + std::to_string(*code));
  }
  return static_cast<ScribeResult>(*code);
}

}  // namespace meshd::trace::detail
