// coarse_now (include/meshd/core/clock.h): the steady clock at the kernel's tick.

#include "meshd/core/clock.h"

#include <gtest/gtest.h>

#include <chrono>

namespace meshd {
namespace {

using namespace std::chrono_literals;
using std::chrono::steady_clock;

TEST(CoarseNowTest, IsTheSteadyClockAtMostATickBehind) {
  // The kernel's tick is 1 to 10 ms (HZ 1000 to 100); 100 ms leaves room for a descheduled
  // test thread without accepting another clock (CLOCK_REALTIME or a boot-time offset would be
  // years or seconds away).
  for (int i = 0; i < 100; ++i) {
    const auto before = steady_clock::now();
    const auto coarse = coarse_now();
    const auto after = steady_clock::now();
    EXPECT_LE(coarse, after);
    EXPECT_GT(coarse, before - 100ms);
  }
}

TEST(CoarseNowTest, NeverGoesBack) {
  auto last = coarse_now();
  for (int i = 0; i < 10000; ++i) {
    const auto now = coarse_now();
    ASSERT_GE(now, last);
    last = now;
  }
}

}  // namespace
}  // namespace meshd
