#include "meshd/dtab/name_tree.h"

#include <charconv>
#include <cmath>
#include <string_view>

#include "dtab/name_tree_parser_internal.h"

namespace meshd::dtab {

namespace detail {

namespace {

// Splits the shortest round-trip decimal of a finite, non-negative `w` into its significant
// digits and the position of the decimal point relative to them.
void shortest_digits(double w, std::string& digits, int& point) {
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, w, std::chars_format::scientific);
  const std::string_view s(buf, static_cast<std::size_t>(res.ptr - buf));
  const std::size_t e = s.find('e');
  for (char c : s.substr(0, e)) {
    if (c != '.') {
      digits += c;
    }
  }
  std::string_view exp = s.substr(e + 1);
  const bool negative_exp = exp.front() == '-';
  exp.remove_prefix(1);  // to_chars always writes a sign after `e`
  int value = 0;
  std::from_chars(exp.data(), exp.data() + exp.size(), value);
  point = (negative_exp ? -value : value) + 1;
}

// Adds one unit in the last place to a string of decimal digits.
void increment(std::string& number) {
  for (auto it = number.rbegin(); it != number.rend(); ++it) {
    if (*it != '9') {
      ++*it;
      return;
    }
    *it = '0';
  }
  number.insert(number.begin(), '1');
}

}  // namespace

std::string format_weight(double w) {
  if (std::isnan(w)) {
    return "NaN";
  }
  if (std::isinf(w)) {
    return w > 0 ? "Infinity" : "-Infinity";
  }
  std::string digits;
  int point = 0;
  shortest_digits(std::fabs(w), digits, point);
  std::string int_part = "0";
  std::string frac;
  if (point <= 0) {
    frac = std::string(static_cast<std::size_t>(-point), '0') + digits;
  } else if (static_cast<std::size_t>(point) >= digits.size()) {
    int_part = digits + std::string(static_cast<std::size_t>(point) - digits.size(), '0');
  } else {
    int_part = digits.substr(0, static_cast<std::size_t>(point));
    frac = digits.substr(static_cast<std::size_t>(point));
  }
  if (frac.size() < 3) {
    frac.resize(3, '0');
  }
  std::string number = int_part + frac.substr(0, 2);
  if (frac[2] >= '5') {  // HALF_UP on the shortest digits, as java.util.Formatter does
    increment(number);
  }
  number.insert(number.size() - 2, ".");
  return std::signbit(w) ? "-" + number : number;
}

}  // namespace detail

ParseResult<NameTree<Path>> read_name_tree(std::string_view text) {
  return detail::NameTreeParser(text).read_tree();
}

}  // namespace meshd::dtab
