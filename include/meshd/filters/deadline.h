#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "meshd/http/headers.h"

namespace meshd::filters {

/// Finagle's Deadline as `l5d-ctx-deadline` carries it: when it was set and when it passes, in
/// nanoseconds since the Unix epoch.
struct Deadline {
  std::int64_t timestamp_ns = 0;
  std::int64_t deadline_ns = 0;
  friend bool operator==(const Deadline&, const Deadline&) = default;
};

/// Parses one value: two decimal signed 64-bit integers separated by one space.
std::optional<Deadline> parse_deadline(std::string_view value) noexcept;

/// Combines every `l5d-ctx-deadline` value of `headers` into the strictest (the latest
/// timestamp, the earliest deadline); values that do not parse are ignored. nullopt when none
/// does.
std::optional<Deadline> read_deadline(const http::Headers& headers);

/// The header value: `<timestamp_ns> <deadline_ns>`.
std::string show_deadline(const Deadline& d);

/// The wall clock in ns since the epoch (what `Deadline` is measured in).
std::int64_t wall_now_ns() noexcept;

/// The steady-clock instant of `deadline_ns`, given the same moment on both clocks.
std::chrono::steady_clock::time_point to_steady(std::int64_t deadline_ns, std::int64_t wall_now_ns,
                                                std::chrono::steady_clock::time_point steady_now);

}  // namespace meshd::filters
