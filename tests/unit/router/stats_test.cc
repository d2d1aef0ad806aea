#include "meshd/router/stats.h"

#include <gtest/gtest.h>

#include "meshd/telemetry/registry.h"

namespace meshd::router {
namespace {

class StatusStatsTest : public ::testing::Test {
 protected:
  std::uint64_t counter(const std::string& scope, const std::string& name) {
    return registry_.counter({"rt", "r", "server", "s", scope, name})->value();
  }
  std::uint64_t time_count(const std::string& name) {
    return registry_.histogram({"rt", "r", "server", "s", "time", name})->live().count;
  }

  telemetry::Registry registry_;
  RequestStats stats_{registry_.scope({"rt", "r", "server", "s"})};
  StatusStats status_;
};

TEST_F(StatusStatsTest, CountsEveryStatusWhenTheyAlternate) {
  // The metrics of the status counted last are kept at hand: a change of status, back and
  // forth, must still land each response in its own counters.
  for (int status : {200, 404, 200, 200, 503, 404, 200}) {
    status_.record(stats_, status, 1);
  }

  EXPECT_EQ(counter("status", "200"), 4u);
  EXPECT_EQ(counter("status", "404"), 2u);
  EXPECT_EQ(counter("status", "503"), 1u);
  EXPECT_EQ(counter("status", "2XX"), 4u);
  EXPECT_EQ(counter("status", "4XX"), 2u);
  EXPECT_EQ(counter("status", "5XX"), 1u);
  EXPECT_EQ(time_count("2XX"), 4u);
  EXPECT_EQ(time_count("4XX"), 2u);
  EXPECT_EQ(time_count("5XX"), 1u);
}

TEST_F(StatusStatsTest, StatusesOfOneClassShareItsClassMetrics) {
  for (int status : {200, 201, 200, 204}) {
    status_.record(stats_, status, 3);
  }

  EXPECT_EQ(counter("status", "200"), 2u);
  EXPECT_EQ(counter("status", "201"), 1u);
  EXPECT_EQ(counter("status", "204"), 1u);
  EXPECT_EQ(counter("status", "2XX"), 4u);
  EXPECT_EQ(time_count("2XX"), 4u);
}

}  // namespace
}  // namespace meshd::router
