// show_twitter_duration (include/meshd/core/duration.h): twitter-util's Duration.toString.

#include "meshd/core/duration.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace meshd {
namespace {

using namespace std::chrono_literals;

struct Case {
  std::chrono::nanoseconds duration;
  std::string shown;
};

// Expected texts as twitter-util prints them (Duration.scala's toString, and the examples in its
// scaladoc: `9.seconds+999.milliseconds+999.microseconds`).
TEST(ShowTwitterDurationTest, PrintsLikeTwitterUtil) {
  const Case cases[] = {
      {0ns, "0.seconds"},
      {1ms, "1.milliseconds"},
      {600ms, "600.milliseconds"},
      {1s, "1.seconds"},
      {10s, "10.seconds"},
      {1500ms, "1.seconds+500.milliseconds"},
      {90s, "1.minutes+30.seconds"},
      {1h, "1.hours"},
      {24h + 4ns, "1.days+4.nanoseconds"},
      {9'999'999us, "9.seconds+999.milliseconds+999.microseconds"},
      {1ns, "1.nanoseconds"},
      {300s, "5.minutes"},
  };

  for (const auto& c : cases) {
    EXPECT_EQ(show_twitter_duration(c.duration), c.shown) << c.duration.count() << "ns";
  }
}

TEST(ShowTwitterDurationTest, NegativeTermsCarryTheirOwnSign) {
  EXPECT_EQ(show_twitter_duration(-1ms), "-1.milliseconds");
  EXPECT_EQ(show_twitter_duration(-600ms), "-600.milliseconds");
  EXPECT_EQ(show_twitter_duration(-90s), "-1.minutes-30.seconds");
  EXPECT_EQ(show_twitter_duration(-1h - 1ns), "-1.hours-1.nanoseconds");
}

TEST(ShowTwitterDurationTest, ExtremesAreTheSentinelsOrFullySpelledOut) {
  using Ns = std::chrono::nanoseconds;
  constexpr auto kMax = std::numeric_limits<Ns::rep>::max();

  EXPECT_EQ(show_twitter_duration(Ns(kMax)), "Duration.Top");
  EXPECT_EQ(show_twitter_duration(Ns(std::numeric_limits<Ns::rep>::min())), "Duration.Bottom");
  // One below Top: the scaladoc's "largest representable duration", minus a nanosecond.
  EXPECT_EQ(show_twitter_duration(Ns(kMax - 1)),
            "106751.days+23.hours+47.minutes+16.seconds+854.milliseconds+775.microseconds+"
            "806.nanoseconds");
}

}  // namespace
}  // namespace meshd
