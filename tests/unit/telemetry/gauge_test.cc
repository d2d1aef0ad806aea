#include "meshd/telemetry/gauge.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace meshd::telemetry {
namespace {

TEST(Gauge, SetStoresTheLastValue) {
  Gauge gauge;

  gauge.set(2.5);
  gauge.set(-1);

  EXPECT_DOUBLE_EQ(gauge.value(), -1.0);
}

TEST(Gauge, AddsFromWorkersAreSummed) {
  Gauge gauge(3);
  std::vector<std::thread> threads;

  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      set_worker_index(static_cast<std::size_t>(w));
      for (int i = 0; i < 1000; ++i) {
        gauge.incr();
      }
      for (int i = 0; i < 400; ++i) {
        gauge.decr();
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }

  EXPECT_DOUBLE_EQ(gauge.value(), 1200.0);
}

TEST(Gauge, CallbackIsEvaluatedAtReadTime) {
  double source = 1.0;
  Gauge gauge([&] { return source; });

  double first = gauge.value();
  source = 4.0;

  EXPECT_TRUE(gauge.is_callback());
  EXPECT_DOUBLE_EQ(first, 1.0);
  EXPECT_DOUBLE_EQ(gauge.value(), 4.0);
}

}  // namespace
}  // namespace meshd::telemetry
