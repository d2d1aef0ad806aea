#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace meshd::admin {

/// Parses a duration in twitter-util's `Duration.parse` form, as `/admin/shutdown?grace=` takes
/// it: `<integer>.<unit>` with unit one of nanosecond(s), microsecond(s), millisecond(s),
/// second(s), minute(s), hour(s), day(s) (case-insensitive), several joined with `+`
/// (`1.minute+30.seconds`). Rounds down to milliseconds. Returns nullopt on anything else,
/// including negative values and overflow.
// TODO(meshd): move to core::parse_duration once core owns the duration grammars (STYLE.md §7).
std::optional<std::chrono::milliseconds> parse_twitter_duration(std::string_view text);

}  // namespace meshd::admin
