// Backoff (include/meshd/core/backoff.h): Finagle's const, decorrelatedJittered and equalJittered
// streams, their bounds, reset and overflow guards.

#include "meshd/core/backoff.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <set>
#include <vector>

namespace meshd {
namespace {

using std::chrono::milliseconds;
using Kind = BackoffOptions::Kind;

std::vector<milliseconds> take(Backoff& backoff, int n, std::minstd_rand& rng) {
  std::vector<milliseconds> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(backoff.next(rng));
  }
  return out;
}

TEST(BackoffTest, ConstantIsAlwaysTheMinimum) {
  Backoff backoff({Kind::Constant, milliseconds(250), milliseconds(0)});
  std::minstd_rand rng(1);

  auto delays = take(backoff, 20, rng);

  EXPECT_EQ(delays, std::vector<milliseconds>(20, milliseconds(250)));
}

// Finagle: start, then attempt n ≥ 1 is start·2^(n-1) plus a uniform share of that again, capped.
TEST(BackoffTest, EqualJitteredDoublesWithinHalfOfEachStepAndStopsAtTheMaximum) {
  const milliseconds start(5000);
  const milliseconds maximum(300'000);
  std::minstd_rand rng(2024);
  for (int run = 0; run < 200; ++run) {
    Backoff backoff({Kind::EqualJittered, start, maximum});

    auto delays = take(backoff, 12, rng);

    EXPECT_EQ(delays[0], start);
    for (int n = 1; n < 12; ++n) {
      milliseconds half = start * (1LL << (n - 1));
      if (half >= maximum) {
        EXPECT_EQ(delays[n], maximum) << "run " << run << " attempt " << n;
      } else {
        EXPECT_GE(delays[n], half) << "run " << run << " attempt " << n;
        EXPECT_LT(delays[n], std::min(2 * half, maximum + milliseconds(1)))
            << "run " << run << " attempt " << n;
      }
    }
  }
}

TEST(BackoffTest, EqualJitteredActuallyJitters) {
  Backoff backoff({Kind::EqualJittered, milliseconds(1000), milliseconds(60'000)});
  std::minstd_rand rng(2024);
  std::set<milliseconds::rep> seen;

  for (int run = 0; run < 50; ++run) {
    backoff.reset();
    backoff.next(rng);
    seen.insert(backoff.next(rng).count());
  }

  EXPECT_GT(seen.size(), 40u);  // 50 draws from [1000, 2000)
}

// Finagle: start, then uniform in [start, 3 × previous), capped at the maximum.
TEST(BackoffTest, DecorrelatedJitteredStaysBetweenTheStartAndThreeTimesThePrevious) {
  const milliseconds start(100);
  const milliseconds maximum(10'000);
  bool reached_maximum = false;
  std::minstd_rand rng(2024);
  for (int run = 0; run < 200; ++run) {
    Backoff backoff({Kind::DecorrelatedJittered, start, maximum});

    auto delays = take(backoff, 30, rng);

    EXPECT_EQ(delays[0], start);
    for (std::size_t n = 1; n < delays.size(); ++n) {
      EXPECT_GE(delays[n], start);
      EXPECT_LE(delays[n], std::min(3 * delays[n - 1], maximum));
      reached_maximum = reached_maximum || delays[n] == maximum;
    }
  }
  EXPECT_TRUE(reached_maximum);
}

TEST(BackoffTest, ResetStartsTheStreamAgain) {
  Backoff backoff({Kind::EqualJittered, milliseconds(10), milliseconds(10'000)});
  std::minstd_rand rng(7);
  take(backoff, 8, rng);

  backoff.reset();

  EXPECT_EQ(backoff.next(rng), milliseconds(10));
  EXPECT_GE(backoff.next(rng), milliseconds(10));
  EXPECT_LT(backoff.next(rng), milliseconds(40));
}

TEST(BackoffTest, HugeBoundsNeverOverflow) {
  const milliseconds top(std::numeric_limits<milliseconds::rep>::max());
  for (Kind kind : {Kind::EqualJittered, Kind::DecorrelatedJittered}) {
    Backoff backoff({kind, milliseconds(1), top});
    std::minstd_rand rng(3);
    milliseconds previous(1);

    for (int n = 0; n < 200; ++n) {
      milliseconds d = backoff.next(rng);

      EXPECT_GE(d, milliseconds(1)) << "attempt " << n;
      EXPECT_LE(d, top) << "attempt " << n;
      if (kind == Kind::EqualJittered && n > 0) {
        // The doubling stops at 2^62 (Finagle's MaxBitShift) instead of wrapping around.
        EXPECT_GE(d.count(), milliseconds::rep{1} << std::min(n - 1, 62)) << "attempt " << n;
      }
      previous = d;
    }
    EXPECT_GT(previous, milliseconds(1'000'000));
  }
}

TEST(BackoffTest, InvertedBoundsAreReadAsAConstant) {
  Backoff backoff({Kind::EqualJittered, milliseconds(500), milliseconds(100)});
  std::minstd_rand rng(1);

  auto delays = take(backoff, 5, rng);

  EXPECT_EQ(delays, std::vector<milliseconds>(5, milliseconds(500)));
}

}  // namespace
}  // namespace meshd
