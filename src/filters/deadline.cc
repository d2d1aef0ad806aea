#include "meshd/filters/deadline.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <ratio>

// `l5d-ctx-deadline` as Linkerd 1 reads and writes it (LinkerdHeaders.scala, `Ctx.Deadline`):
// `<timestamp_ns> <deadline_ns>`, every value of the header combined with Finagle's
// `Deadline.combined` (the latest timestamp, the earliest deadline). Linkerd splits on spaces
// and parses with Long.parseLong; meshd is stricter and takes exactly two numbers.

namespace meshd::filters {
namespace {

constexpr std::string_view kHeader = "l5d-ctx-deadline";

/// Long.parseLong: an optional sign, then one or more decimal digits, within int64.
std::optional<std::int64_t> parse_int64(std::string_view s) noexcept {
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
    if (s.empty() || s.front() < '0' || s.front() > '9') {
      return std::nullopt;  // `+-1`, `+`
    }
  }
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return std::nullopt;  // empty, not a number, trailing bytes, or out of range
  }
  return v;
}

}  // namespace

std::optional<Deadline> parse_deadline(std::string_view value) noexcept {
  auto space = value.find(' ');
  if (space == std::string_view::npos) {
    return std::nullopt;
  }
  auto timestamp = parse_int64(value.substr(0, space));
  auto deadline = parse_int64(value.substr(space + 1));  // a second space fails here
  if (!timestamp || !deadline) {
    return std::nullopt;
  }
  return Deadline{*timestamp, *deadline};
}

std::optional<Deadline> read_deadline(const http::Headers& headers) {
  std::optional<Deadline> combined;
  for (std::string_view value : headers.get_all(kHeader)) {
    auto d = parse_deadline(value);
    if (!d) {
      continue;
    }
    if (!combined) {
      combined = d;
      continue;
    }
    combined->timestamp_ns = std::max(combined->timestamp_ns, d->timestamp_ns);
    combined->deadline_ns = std::min(combined->deadline_ns, d->deadline_ns);
  }
  return combined;
}

std::string show_deadline(const Deadline& d) {
  return std::to_string(d.timestamp_ns) + " " + std::to_string(d.deadline_ns);
}

std::int64_t wall_now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::chrono::steady_clock::time_point to_steady(std::int64_t deadline_ns, std::int64_t wall_now_ns,
                                                std::chrono::steady_clock::time_point steady_now) {
  using Steady = std::chrono::steady_clock;
  // A nanosecond count converts to a coarser or equal tick without overflow.
  static_assert(std::ratio_greater_equal_v<Steady::period, std::nano>);
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  std::int64_t remaining_ns = 0;
  if (__builtin_sub_overflow(deadline_ns, wall_now_ns, &remaining_ns)) {
    remaining_ns = deadline_ns > wall_now_ns ? kMax : kMin;
  }
  const auto remaining =
      std::chrono::duration_cast<Steady::duration>(std::chrono::nanoseconds(remaining_ns));
  Steady::rep ticks = 0;
  if (__builtin_add_overflow(steady_now.time_since_epoch().count(), remaining.count(), &ticks)) {
    return remaining.count() > 0 ? Steady::time_point::max() : Steady::time_point::min();
  }
  return Steady::time_point(Steady::duration(ticks));
}

}  // namespace meshd::filters
