#include <gtest/gtest.h>

#include "admin/twitter_duration_internal.h"

namespace meshd::admin {
namespace {

using std::chrono::milliseconds;

TEST(TwitterDuration, ParsesTwitterUtilForms) {
  struct Case {
    std::string_view text;
    std::optional<milliseconds> want;
  };
  const Case cases[] = {
      {"10.seconds", milliseconds(10000)},
      {"1.second", milliseconds(1000)},
      {"250.milliseconds", milliseconds(250)},
      {"1.minute+30.seconds", milliseconds(90000)},
      {"2.MINUTES", milliseconds(120000)},
      {"1.hour", milliseconds(3600000)},
      {"1.day", milliseconds(86400000)},
      {"1500.microseconds", milliseconds(1)},
      {"999999.nanoseconds", milliseconds(0)},
      {"0.seconds", milliseconds(0)},
      {"", std::nullopt},
      {"10", std::nullopt},
      {"10s", std::nullopt},
      {"10.fortnights", std::nullopt},
      {".seconds", std::nullopt},
      {"-1.seconds", std::nullopt},
      {"1.5.seconds", std::nullopt},
      {"1.seconds+", std::nullopt},
      {"99999999999999.days", std::nullopt},
  };

  for (const auto& c : cases) {
    EXPECT_EQ(parse_twitter_duration(c.text), c.want) << c.text;
  }
}

}  // namespace
}  // namespace meshd::admin
