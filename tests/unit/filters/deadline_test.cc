#include "meshd/filters/deadline.h"

#include <gtest/gtest.h>

#include <limits>
#include <optional>
#include <string>

namespace meshd::filters {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

struct ParseCase {
  const char* value;
  std::optional<Deadline> want;
};

TEST(ParseDeadline, Table) {
  const ParseCase cases[] = {
      {"1 2", Deadline{1, 2}},
      {"1700000000000000000 1700000000500000000",
       Deadline{1700000000000000000, 1700000000500000000}},
      {"0 0", Deadline{0, 0}},
      {"-5 +7", Deadline{-5, 7}},
      {"+1 -2", Deadline{1, -2}},
      {"007 08", Deadline{7, 8}},
      {"9223372036854775807 -9223372036854775808", Deadline{kMax, kMin}},
      // Rejected: overflow, wrong separators, extra fields, signs without digits, junk.
      {"9223372036854775808 1", std::nullopt},
      {"1 -9223372036854775809", std::nullopt},
      {"1", std::nullopt},
      {"", std::nullopt},
      {" ", std::nullopt},
      {"1 ", std::nullopt},
      {" 1 2", std::nullopt},
      {"1 2 ", std::nullopt},
      {"1  2", std::nullopt},
      {"1\t2", std::nullopt},
      {"1 2 3", std::nullopt},
      {"+ 1", std::nullopt},
      {"- 1", std::nullopt},
      {"+-1 2", std::nullopt},
      {"-+1 2", std::nullopt},
      {"++1 2", std::nullopt},
      {"1x 2", std::nullopt},
      {"0x10 2", std::nullopt},
      {"1.5 2", std::nullopt},
      {"1e3 2", std::nullopt},
      {"1,2", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(parse_deadline(c.value), c.want) << "'" << c.value << "'";
  }
}

TEST(ShowDeadline, WritesTwoDecimalsSeparatedByOneSpace) {
  EXPECT_EQ(show_deadline({1, 2}), "1 2");
  EXPECT_EQ(show_deadline({-3, 0}), "-3 0");
  EXPECT_EQ(show_deadline({kMax, kMin}), "9223372036854775807 -9223372036854775808");
}

TEST(ShowDeadline, RoundTripsThroughParse) {
  for (Deadline d : {Deadline{0, 0}, Deadline{kMin, kMax}, Deadline{1700000000123456789, 42}}) {
    EXPECT_EQ(parse_deadline(show_deadline(d)), d);
  }
}

TEST(ReadDeadline, NoneWithoutTheHeader) {
  http::Headers h;
  h.add("l5d-ctx-dtab", "/a=>/b");

  EXPECT_EQ(read_deadline(h), std::nullopt);
}

TEST(ReadDeadline, CombinesAllValuesToTheStrictest) {
  http::Headers h;
  h.add("l5d-ctx-deadline", "100 900");
  h.add("L5D-Ctx-Deadline", "300 950");
  h.add("L5D-CTX-DEADLINE", "200 700");

  EXPECT_EQ(read_deadline(h), (Deadline{300, 700}));
}

TEST(ReadDeadline, IgnoresValuesThatDoNotParse) {
  http::Headers h;
  h.add("l5d-ctx-deadline", "garbage");
  h.add("l5d-ctx-deadline", "10 20");
  h.add("l5d-ctx-deadline", "5 1 2");

  EXPECT_EQ(read_deadline(h), (Deadline{10, 20}));
}

TEST(ReadDeadline, NoneWhenNoValueParses) {
  http::Headers h;
  h.add("l5d-ctx-deadline", "");
  h.add("l5d-ctx-deadline", "1");

  EXPECT_EQ(read_deadline(h), std::nullopt);
}

TEST(ToSteady, OffsetsByTheTimeLeft) {
  const Steady::time_point now = Steady::time_point{} + 1000s;

  EXPECT_EQ(to_steady(5'000'000'250, 5'000'000'000, now), now + 250ns);
  EXPECT_EQ(to_steady(4'000'000'000, 5'000'000'000, now), now - 1s);
  EXPECT_EQ(to_steady(7, 7, now), now);
}

TEST(ToSteady, SaturatesInsteadOfOverflowing) {
  const Steady::time_point now = Steady::time_point{} + 1000s;

  EXPECT_EQ(to_steady(kMax, kMin, now), Steady::time_point::max());
  EXPECT_EQ(to_steady(kMin, kMax, now), now + std::chrono::nanoseconds(kMin));
  EXPECT_EQ(to_steady(kMin, kMax, Steady::time_point{} - 1000s), Steady::time_point::min());
  EXPECT_EQ(to_steady(kMax, 0, now), Steady::time_point::max());
  EXPECT_EQ(to_steady(kMin, 0, now), now + std::chrono::nanoseconds(kMin) + 0ns);
  EXPECT_EQ(to_steady(kMax, 0, Steady::time_point{} - 1000s),
            Steady::time_point{} - 1000s + std::chrono::nanoseconds(kMax));
}

TEST(WallNowNs, IsTheSystemClockInNanoseconds) {
  auto before = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  auto now = wall_now_ns();
  auto after = std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();

  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
}

}  // namespace
}  // namespace meshd::filters
