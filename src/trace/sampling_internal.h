#pragma once

#include <cstdint>

namespace meshd::trace::detail {

/// Finagle's sampler with an explicit `salt`: `|trace_id ^ salt| % 10000 < rate × 10000`, the
/// XOR read as a signed 64-bit value, `rate` clamped to [0, 1]. `sampled_at` uses the process's
/// salt; tests use this one to check the formula.
bool sampled_with_salt(double rate, std::uint64_t trace_id, std::uint64_t salt);

}  // namespace meshd::trace::detail
