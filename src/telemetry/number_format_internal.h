#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>

namespace meshd::telemetry {

inline void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

/// Appends the shortest representation of finite `v` that reads back exactly, always marked as
/// a float the way Java prints one (`1.0`, `0.25`, `1e+20`). The caller handles NaN/infinity.
inline void append_double(std::string& out, double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  std::string_view s(buf, static_cast<std::size_t>(end - buf));
  out.append(s);
  if (s.find_first_of(".e") == std::string_view::npos) {
    out.append(".0");
  }
}

}  // namespace meshd::telemetry
