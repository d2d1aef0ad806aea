#include "meshd/core/duration.h"

#include <array>
#include <cstdint>
#include <limits>
#include <string_view>

namespace meshd {

namespace {

struct Unit {
  std::string_view name;  // twitter-util prints `TimeUnit.name.toLowerCase`: always plural
  std::int64_t nanos;
};

// Largest first, as `Duration.timeUnits`.
constexpr std::array<Unit, 7> kUnits{{
    {"days", 86'400'000'000'000},
    {"hours", 3'600'000'000'000},
    {"minutes", 60'000'000'000},
    {"seconds", 1'000'000'000},
    {"milliseconds", 1'000'000},
    {"microseconds", 1'000},
    {"nanoseconds", 1},
}};

}  // namespace

// twitter-util's `Duration.toString`: each non-zero unit, largest first, as `<count>.<unit>`;
// positive terms after the first are joined with `+`, negative ones carry their own `-`
// (`TimeUnit.convert` truncates toward zero, so every term of a negative duration is negative:
// `-1.minutes-30.seconds`). `Long.MaxValue`/`MinValue` are the sentinels `Top` and `Bottom`.
std::string show_twitter_duration(std::chrono::nanoseconds d) {
  std::int64_t ns = d.count();
  if (ns == 0) {
    return "0.seconds";
  }
  if (ns == std::numeric_limits<std::int64_t>::max()) {
    return "Duration.Top";
  }
  if (ns == std::numeric_limits<std::int64_t>::min()) {
    return "Duration.Bottom";
  }
  std::string out;
  for (const Unit& unit : kUnits) {
    std::int64_t count = ns / unit.nanos;
    if (count == 0) {
      continue;
    }
    ns -= count * unit.nanos;
    if (count > 0 && !out.empty()) {
      out += '+';
    }
    out += std::to_string(count);
    out += '.';
    out += unit.name;
  }
  return out;
}

}  // namespace meshd
