#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <limits>
#include <string>

#include "admin/twitter_duration_internal.h"

namespace meshd::admin {
namespace {

struct Unit {
  std::string_view name;  // singular; the plural adds "s"
  std::int64_t nanos;
};

constexpr std::array<Unit, 7> kUnits{{
    {"nanosecond", 1},
    {"microsecond", 1'000},
    {"millisecond", 1'000'000},
    {"second", 1'000'000'000},
    {"minute", 60'000'000'000},
    {"hour", 3'600'000'000'000},
    {"day", 86'400'000'000'000},
}};

std::optional<std::int64_t> unit_nanos(std::string_view unit) {
  std::string lower(unit);
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  std::string_view u(lower);
  if (u.ends_with('s')) {
    u.remove_suffix(1);
  }
  for (const auto& known : kUnits) {
    if (u == known.name) {
      return known.nanos;
    }
  }
  return std::nullopt;
}

// One `<integer>.<unit>` term, in nanoseconds.
std::optional<std::int64_t> parse_term(std::string_view term) {
  auto dot = term.find('.');
  if (dot == std::string_view::npos || dot == 0) {
    return std::nullopt;
  }
  std::int64_t count = 0;
  auto [end, ec] = std::from_chars(term.data(), term.data() + dot, count);
  if (ec != std::errc() || end != term.data() + dot || count < 0) {
    return std::nullopt;
  }
  auto nanos = unit_nanos(term.substr(dot + 1));
  if (!nanos || count > std::numeric_limits<std::int64_t>::max() / *nanos) {
    return std::nullopt;
  }
  return count * *nanos;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_twitter_duration(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
  std::int64_t total = 0;
  for (;;) {
    auto plus = text.find('+');
    auto nanos = parse_term(text.substr(0, plus));
    if (!nanos || total > std::numeric_limits<std::int64_t>::max() - *nanos) {
      return std::nullopt;
    }
    total += *nanos;
    if (plus == std::string_view::npos) {
      break;
    }
    text.remove_prefix(plus + 1);
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::nanoseconds(total));
}

}  // namespace meshd::admin
