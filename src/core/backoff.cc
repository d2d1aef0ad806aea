#include "meshd/core/backoff.h"

#include <algorithm>
#include <cstdint>
#include <limits>

// Finagle's stream-based `com.twitter.finagle.service.Backoff` (the one Linkerd 1 links), step by
// step: every stream starts with `start` (our `min`); the jittered kinds draw from the caller's
// generator, in milliseconds rather than Finagle's nanoseconds.

namespace meshd {

namespace {

using std::chrono::milliseconds;
using Rep = milliseconds::rep;

constexpr Rep kMaxRep = std::numeric_limits<Rep>::max();
// Finagle never shifts by more than 62 bits, so `1L << shift` stays a positive Long.
constexpr std::uint32_t kMaxBitShift = 62;

// Uniform in [0, bound), Finagle's `rng.nextLong(bound)`; 0 when the range is empty.
Rep random_below(Rep bound, std::minstd_rand& rng) {
  if (bound <= 0) {
    return 0;
  }
  return std::uniform_int_distribution<Rep>(0, bound - 1)(rng);
}

// `decorrelatedJittered`: uniform in [start, 3 × previous), capped at `maximum`. The upper end
// saturates instead of overflowing; the cap then makes the result `maximum` either way.
Rep decorrelated(Rep start, Rep maximum, Rep previous, std::minstd_rand& rng) {
  Rep upper = previous > kMaxRep / 3 ? kMaxRep : previous * 3;
  Rep range = upper >= start ? upper - start : start - upper;  // Finagle's math.abs
  Rep next = range == 0 ? start : start + random_below(range, rng);
  return std::min(maximum, next);
}

// `equalJittered`, attempt n ≥ 1: halfExp = start × 2^(n-1), delay = halfExp + uniform in
// [0, halfExp), capped at `maximum`. Once halfExp alone reaches `maximum` the delay is `maximum`,
// which also keeps the doubling from overflowing.
Rep equal_jittered(Rep start, Rep maximum, std::uint32_t attempt, std::minstd_rand& rng) {
  std::uint32_t shift = std::min(attempt - 1, kMaxBitShift);
  Rep factor = Rep{1} << shift;
  if (start > maximum / factor) {
    return maximum;
  }
  Rep half_exp = start * factor;
  Rep jitter = random_below(half_exp, rng);
  // half_exp + jitter < 2 × half_exp ≤ 2 × maximum: compare without adding.
  return jitter >= maximum - half_exp ? maximum : half_exp + jitter;
}

}  // namespace

milliseconds Backoff::next(std::minstd_rand& rng) {
  // Finagle requires 0 < start ≤ maximum for the jittered kinds; config validation enforces it,
  // and here a negative bound is read as 0 and a maximum below the start as the start.
  Rep start = std::max<Rep>(0, options_.min.count());
  Rep maximum = std::max(start, options_.max.count());
  Rep delay = start;
  if (attempt_ > 0) {
    switch (options_.kind) {
      case BackoffOptions::Kind::Constant:
        break;
      case BackoffOptions::Kind::DecorrelatedJittered:
        delay = decorrelated(start, maximum, previous_.count(), rng);
        break;
      case BackoffOptions::Kind::EqualJittered:
        delay = equal_jittered(start, maximum, attempt_, rng);
        break;
    }
  }
  previous_ = milliseconds(delay);
  if (attempt_ < std::numeric_limits<std::uint32_t>::max()) {
    ++attempt_;
  }
  return previous_;
}

}  // namespace meshd
