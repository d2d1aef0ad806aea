#pragma once

#include <time.h>

#include <chrono>

namespace meshd {

/// `std::chrono::steady_clock::now()` to the kernel's timer tick: the same clock
/// (CLOCK_MONOTONIC), up to one tick (1 to 10 ms) behind, read without the time counter
/// (CLOCK_MONOTONIC_COARSE), several times cheaper. For idle times and expiries counted in
/// seconds, which are stamped and read on every request; never for latencies.
inline std::chrono::steady_clock::time_point coarse_now() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)));
}

}  // namespace meshd
