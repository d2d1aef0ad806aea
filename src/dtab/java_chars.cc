#include <array>

#include "dtab/java_chars_internal.h"

namespace meshd::dtab::detail {

namespace {

constexpr char32_t kReplacement = 0xFFFD;

// The zero of every BMP run of ten decimal digits (general category Nd) known to Java 8, whose
// Unicode 6.2 tables Linkerd 1.7 runs with.
constexpr std::array<char32_t, 35> kDigitZeros = {
    0x0030, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
    0x0D66, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xAA50, 0xABF0, 0xFF10,
};

bool is_continuation(unsigned char b) { return (b & 0xC0) == 0x80; }

}  // namespace

CodePoint decode_utf8(std::string_view text, std::size_t pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  if (lead < 0x80) {
    return {lead, 1};
  }
  std::size_t size = 0;
  char32_t value = 0;
  if ((lead & 0xE0) == 0xC0) {
    size = 2;
    value = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    size = 3;
    value = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    size = 4;
    value = lead & 0x07;
  } else {
    return {kReplacement, 1};
  }
  if (pos + size > text.size()) {
    return {kReplacement, 1};
  }
  for (std::size_t i = 1; i < size; ++i) {
    const auto b = static_cast<unsigned char>(text[pos + i]);
    if (!is_continuation(b)) {
      return {kReplacement, 1};
    }
    value = (value << 6) | (b & 0x3F);
  }
  return {value, size};
}

bool is_java_whitespace(char32_t c) {
  if (c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F)) {
    return true;
  }
  if (c == 0x1680 || c == 0x205F || c == 0x3000 || c == 0x2028 || c == 0x2029) {
    return true;
  }
  return c >= 0x2000 && c <= 0x200A && c != 0x2007;
}

bool is_java_digit(char32_t c) {
  for (char32_t zero : kDigitZeros) {
    if (c >= zero && c < zero + 10) {
      return true;
    }
  }
  return false;
}

bool is_hex_digit(char32_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

unsigned hex_value(char32_t c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return c - 'A' + 10;
}

}  // namespace meshd::dtab::detail
