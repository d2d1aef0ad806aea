#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace meshd {

/// What a backoff stream is made of (Finagle's `Backoff`), as configured.
struct BackoffOptions {
  enum class Kind {
    Constant,              ///< always `min` (`{kind: constant, ms}`)
    DecorrelatedJittered,  ///< `{kind: jittered, minMs, maxMs}`: random in [min, min(max, 3 ×
                           ///< previous)]
    EqualJittered,         ///< failure accrual's default: `start = min`, doubling up to `max`,
                           ///< each delay = half of it + a random share of the other half
  };
  Kind kind = Kind::Constant;
  std::chrono::milliseconds min{0};  ///< the constant delay, or the first/smallest one
  std::chrono::milliseconds max{0};  ///< jittered kinds: the largest delay
};

/// A stream of delays between tries (retries, failure accrual probes). A value type holding its
/// own position in the stream; `reset()` goes back to the start. Not thread-safe.
class Backoff {
 public:
  Backoff() = default;
  explicit Backoff(BackoffOptions options) : options_(options) {}

  /// The next delay of the stream. Randomness comes from `rng` (tests pass a seeded one).
  std::chrono::milliseconds next(std::minstd_rand& rng);

  /// Back to the first delay.
  void reset() noexcept {
    previous_ = std::chrono::milliseconds{0};
    attempt_ = 0;
  }

  const BackoffOptions& options() const noexcept { return options_; }

 private:
  BackoffOptions options_;
  std::chrono::milliseconds previous_{0};
  std::uint32_t attempt_ = 0;
};

}  // namespace meshd
