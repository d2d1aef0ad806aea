#pragma once

// Character classes of the JVM that Finagle's dtab parser relies on, applied to UTF-8 input.

#include <cstddef>
#include <string_view>

namespace meshd::dtab::detail {

/// One decoded UTF-8 code point and its length in bytes. Invalid bytes decode one at a time to
/// U+FFFD, which no character class below accepts.
struct CodePoint {
  char32_t value = 0;
  std::size_t size = 0;
};

/// Decodes the code point starting at `text[pos]`. Precondition: `pos < text.size()`.
CodePoint decode_utf8(std::string_view text, std::size_t pos);

/// Java `Character.isWhitespace` (Unicode space/line/paragraph separators except the three
/// non-breaking spaces, plus `\t \n \v \f \r` and U+001C–U+001F).
bool is_java_whitespace(char32_t c);

/// Java `Character.isDigit` for BMP code points (Unicode general category Nd).
bool is_java_digit(char32_t c);

/// True for `[0-9A-Fa-f]`.
bool is_hex_digit(char32_t c);

/// The value of a hex digit. Precondition: `is_hex_digit(c)`.
unsigned hex_value(char32_t c);

}  // namespace meshd::dtab::detail
