#include <charconv>
#include <limits>
#include <utility>
#include <vector>

#include "dtab/java_chars_internal.h"
#include "dtab/name_tree_parser_internal.h"

namespace meshd::dtab::detail {

namespace {

// Finagle's end-of-input sentinel, Char.MaxValue; a literal U+FFFF reads as end of input too.
constexpr char32_t kEoi = 0xFFFF;

bool is_label_char(char32_t c) { return c < 0x80 && Path::is_showable(static_cast<char>(c)); }

bool is_label_start(char32_t c) { return is_label_char(c) || c == '\\'; }

bool is_number_char(char32_t c) { return c == '.' || is_java_digit(c); }

// Java Double.parseDouble for what the number scanner accepted: ASCII digits with at most one
// dot. Anything else (Unicode digits) fails as a NumberFormatException would.
std::optional<double> parse_java_double(std::string_view s) {
  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (end != s.data() + s.size()) {
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range) {
    // Java rounds overflow to Infinity and underflow to zero instead of failing.
    const bool large = s.find_first_of("123456789") < s.find('.');
    return large ? std::numeric_limits<double>::infinity() : 0.0;
  }
  if (ec != std::errc()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

char32_t NameTreeParser::peek() const {
  if (pos_ >= input_.size()) {
    return kEoi;
  }
  return decode_utf8(input_, pos_).value;
}

void NameTreeParser::next() {
  if (pos_ < input_.size()) {
    pos_ += decode_utf8(input_, pos_).size;
  }
}

void NameTreeParser::fail_expected(std::string_view expected) {
  if (failed()) {
    return;
  }
  std::string found = "end of input";
  std::string display = std::string(input_) + "[]";
  if (pos_ < input_.size()) {
    const std::string_view here = input_.substr(pos_, decode_utf8(input_, pos_).size);
    if (peek() != kEoi) {
      found = "'" + std::string(here) + "'";
    }
    display = std::string(input_.substr(0, pos_)) + "[" + std::string(here) + "]" +
              std::string(input_.substr(pos_ + here.size()));
  }
  error_ =
      ParseError{std::string(expected) + " expected but " + found + " found at '" + display + "'"};
}

bool NameTreeParser::eat(char c) {
  if (failed()) {
    return false;
  }
  if (peek() != static_cast<char32_t>(c)) {
    fail_expected(std::string("'") + c + "'");
    return false;
  }
  next();
  return true;
}

void NameTreeParser::eat_whitespace() {
  for (;;) {
    const char32_t c = peek();
    if (c == '#') {
      skip_comment();
    } else if (c != kEoi && is_java_whitespace(c)) {
      next();
    } else {
      return;
    }
  }
}

void NameTreeParser::skip_comment() {
  while (peek() != kEoi && peek() != '\n') {
    next();
  }
  next();
}

template <class T>
ParseResult<T> NameTreeParser::finish(T value) {
  if (!failed()) {
    eat_whitespace();
    if (peek() != kEoi) {
      fail_expected("end of input");
    }
  }
  if (failed()) {
    return *error_;
  }
  return value;
}

ParseResult<Path> NameTreeParser::read_path() { return finish(parse_path()); }

ParseResult<Prefix> NameTreeParser::read_prefix() { return finish(parse_prefix()); }

ParseResult<NameTree<Path>> NameTreeParser::read_tree() { return finish(parse_tree()); }

ParseResult<Dentry> NameTreeParser::read_dentry() { return finish(parse_dentry()); }

ParseResult<Dtab> NameTreeParser::read_dtab() {
  eat_whitespace();
  std::vector<Dentry> dentries;
  while (!failed() && peek() != kEoi) {
    dentries.push_back(parse_dentry());
    eat_whitespace();
    if (failed() || peek() != ';') {
      break;
    }
    next();
    eat_whitespace();
  }
  return finish(Dtab(std::move(dentries)));
}

Path NameTreeParser::parse_path() {
  eat_whitespace();
  if (!eat('/')) {
    return {};
  }
  std::vector<std::string> elems;
  if (!is_label_start(peek())) {
    return {};
  }
  for (;;) {
    elems.push_back(parse_label());
    if (failed() || peek() != '/') {
      break;
    }
    next();
    if (!is_label_start(peek())) {
      fail_expected("label char");
      break;
    }
  }
  return failed() ? Path() : Path(std::move(elems));
}

std::string NameTreeParser::parse_label() {
  std::string label;
  while (!failed()) {
    const char32_t c = peek();
    if (is_label_char(c)) {
      label += static_cast<char>(c);
      next();
    } else if (c == '\\') {
      next();
      if (!eat('x')) {
        break;
      }
      const unsigned hi = parse_hex();
      const unsigned lo = parse_hex();
      label += static_cast<char>((hi << 4) | lo);
    } else {
      break;
    }
  }
  return label;
}

unsigned NameTreeParser::parse_hex() {
  if (failed()) {
    return 0;
  }
  const char32_t c = peek();
  if (!is_hex_digit(c)) {
    fail_expected("hex char");
    return 0;
  }
  next();
  return hex_value(c);
}

Prefix NameTreeParser::parse_prefix() {
  eat_whitespace();
  if (!eat('/')) {
    return {};
  }
  std::vector<Prefix::Elem> elems;
  if (!is_label_start(peek()) && peek() != '*') {
    return {};
  }
  for (;;) {
    if (peek() == '*') {
      next();
      elems.push_back(Prefix::Elem::any());
    } else {
      std::string label = parse_label();
      if (failed()) {
        return {};
      }
      elems.push_back(Prefix::Elem::label(std::move(label)));
    }
    if (peek() != '/') {
      break;
    }
    next();
    if (!is_label_start(peek()) && peek() != '*') {
      fail_expected("label char");
      return {};
    }
  }
  return Prefix(std::move(elems));
}

NameTreeParser::Tree NameTreeParser::parse_tree() {
  std::vector<Tree> alts{parse_tree1()};
  for (;;) {
    eat_whitespace();
    if (failed() || peek() != '|') {
      break;
    }
    next();
    alts.push_back(parse_tree1());
  }
  return alts.size() == 1 ? alts.front() : Tree::alt(std::move(alts));
}

NameTreeParser::Tree NameTreeParser::parse_tree1() {
  std::vector<Tree::Weighted> members{parse_weighted()};
  for (;;) {
    eat_whitespace();
    if (failed() || peek() != '&') {
      break;
    }
    next();
    members.push_back(parse_weighted());
  }
  // A single member's weight is dropped, as Finagle does (`2 * /a` is `/a`).
  return members.size() == 1 ? members.front().tree : Tree::union_(std::move(members));
}

NameTreeParser::Tree::Weighted NameTreeParser::parse_weighted() {
  eat_whitespace();
  double weight = Tree::kDefaultWeight;
  if (!failed() && is_number_char(peek())) {
    weight = parse_number();
    eat_whitespace();
    eat('*');
    eat_whitespace();
  }
  return {weight, parse_simple()};
}

double NameTreeParser::parse_number() {
  std::string digits;
  bool seen_dot = false;
  while (is_number_char(peek())) {
    if (peek() == '.') {
      if (seen_dot) {
        fail_expected("number char");
        return 0;
      }
      seen_dot = true;
    }
    digits += input_.substr(pos_, decode_utf8(input_, pos_).size);
    next();
  }
  if (digits == ".") {
    fail_expected("weight");
    return 0;
  }
  const std::optional<double> value = parse_java_double(digits);
  if (!value) {
    // Java's NumberFormatException text, which Finagle lets through unchanged.
    error_ = ParseError{"For input string: \"" + digits + "\""};
    return 0;
  }
  return *value;
}

NameTreeParser::Tree NameTreeParser::parse_simple() {
  eat_whitespace();
  if (failed()) {
    return {};
  }
  switch (peek()) {
    case '(': {
      next();
      Tree tree = parse_tree();
      eat_whitespace();
      eat(')');
      return tree;
    }
    case '/':
      return Tree::leaf(parse_path());
    case '!':
      next();
      return Tree::fail();
    case '~':
      next();
      return Tree::neg();
    case '$':
      next();
      return Tree::empty();
    default:
      fail_expected("simple");
      return {};
  }
}

Dentry NameTreeParser::parse_dentry() {
  Prefix prefix = parse_prefix();
  eat_whitespace();
  eat('=');
  eat('>');
  if (failed()) {
    return {};
  }
  return {std::move(prefix), parse_tree()};
}

}  // namespace meshd::dtab::detail
