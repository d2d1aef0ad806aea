#include <array>
#include <charconv>
#include <cmath>
#include <string>

#include "trace/format_internal.h"

namespace meshd::trace::detail {
namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";
constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

int base64_value(char c) {
  auto pos = kBase64Alphabet.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

// Java's `Double.toString`: plain decimal in [1e-3, 1e7), else `<mantissa>E<exponent>`; always a
// fractional part. Both use the shortest digits that read back as the same double.
std::string java_double(double v) {
  if (std::isnan(v)) {
    return "NaN";
  }
  if (std::isinf(v)) {
    return v > 0 ? "Infinity" : "-Infinity";
  }
  std::array<char, 64> buf{};
  double magnitude = std::fabs(v);
  bool plain = magnitude == 0.0 || (magnitude >= 1e-3 && magnitude < 1e7);
  auto format = plain ? std::chars_format::fixed : std::chars_format::scientific;
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v, format);
  std::string text(buf.data(), end);
  if (plain) {
    return text.find('.') == std::string::npos ? text + ".0" : text;
  }
  auto e = text.find('e');
  std::string mantissa = text.substr(0, e);
  if (mantissa.find('.') == std::string::npos) {
    mantissa += ".0";
  }
  int exponent = std::stoi(text.substr(e + 1));
  return mantissa + "E" + std::to_string(exponent);
}

}  // namespace

void hex16_into(std::uint64_t id, char* out) noexcept {
  for (int i = 15; i >= 0; --i) {
    out[i] = kHexDigits[id & 0xf];
    id >>= 4;
  }
}

std::string hex16(std::uint64_t id) {
  std::string out(16, '0');
  hex16_into(id, out.data());
  return out;
}

std::string trace_id_hex(const TraceId& id) {
  return id.trace_id_high != 0 ? hex16(id.trace_id_high) + hex16(id.trace_id) : hex16(id.trace_id);
}

std::optional<std::uint64_t> parse_hex64(std::string_view text) {
  if (text.empty() || text.size() > 16) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  for (char c : text) {
    int digit = hex_value(c);
    if (digit < 0) {
      return std::nullopt;
    }
    value = (value << 4) | static_cast<std::uint64_t>(digit);
  }
  return value;
}

std::size_t base64_encode_into(std::string_view bytes, char* out) noexcept {
  char* o = out;
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t n = static_cast<std::uint8_t>(bytes[i]) << 16 |
                      static_cast<std::uint8_t>(bytes[i + 1]) << 8 |
                      static_cast<std::uint8_t>(bytes[i + 2]);
    *o++ = kBase64Alphabet[n >> 18];
    *o++ = kBase64Alphabet[(n >> 12) & 0x3f];
    *o++ = kBase64Alphabet[(n >> 6) & 0x3f];
    *o++ = kBase64Alphabet[n & 0x3f];
  }
  std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t n = static_cast<std::uint8_t>(bytes[i]) << 16;
    if (rest == 2) {
      n |= static_cast<std::uint8_t>(bytes[i + 1]) << 8;
    }
    *o++ = kBase64Alphabet[n >> 18];
    *o++ = kBase64Alphabet[(n >> 12) & 0x3f];
    *o++ = rest == 2 ? kBase64Alphabet[(n >> 6) & 0x3f] : '=';
    *o++ = '=';
  }
  return static_cast<std::size_t>(o - out);
}

std::string base64_encode(std::string_view bytes) {
  std::string out((bytes.size() + 2) / 3 * 4, '\0');
  out.resize(base64_encode_into(bytes, out.data()));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  // Padding, when present, must complete the last group of four.
  std::size_t padding = 0;
  if (text.size() % 4 == 0) {
    while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') {
      ++padding;
    }
  }
  std::string_view data = text.substr(0, text.size() - padding);
  if (data.size() % 4 == 1) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(data.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : data) {
    int v = base64_value(c);
    if (v < 0) {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

std::string tag_text(const Tag::Value& value) {
  struct Visitor {
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(double d) const { return java_double(d); }
    std::string operator()(std::int64_t i) const { return std::to_string(i); }
  };
  return std::visit(Visitor{}, value);
}

std::string endpoint_text(const boost::asio::ip::tcp::endpoint& endpoint) {
  auto address = endpoint.address();
  std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(endpoint.port());
}

std::int64_t epoch_us(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

}  // namespace meshd::trace::detail
