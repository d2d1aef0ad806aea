#include "meshd/telemetry/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <thread>
#include <vector>

#include "meshd/telemetry/per_worker.h"

namespace meshd::telemetry {
namespace {

// The value of rank ceil(q * n) (1-based) in sorted `v`: the definition the summary follows.
std::uint64_t exact_quantile(const std::vector<std::uint64_t>& sorted, double q) {
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size()) - 1e-9));
  return sorted[std::max<std::size_t>(rank, 1) - 1];
}

void expect_within_error(std::uint64_t reported, std::uint64_t exact, const char* what) {
  double error = std::abs(static_cast<double>(reported) - static_cast<double>(exact));
  EXPECT_LE(error, static_cast<double>(exact) * Histogram::kRelativeError)
      << what << ": reported " << reported << ", exact " << exact;
}

TEST(Histogram, EmptySummaryHasZeroCount) {
  Histogram h;

  EXPECT_EQ(h.live(), HistogramSummary{});
}

TEST(Histogram, SingleValueIsEveryQuantile) {
  Histogram h;

  h.record(1234567);
  auto s = h.live();

  EXPECT_EQ(s.count, 1u);
  EXPECT_EQ(s.sum, 1234567u);
  EXPECT_EQ(s.min, 1234567u);
  EXPECT_EQ(s.max, 1234567u);
  EXPECT_EQ(s.p50, 1234567u);
  EXPECT_EQ(s.p9999, 1234567u);
  EXPECT_DOUBLE_EQ(s.avg, 1234567.0);
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;

  for (std::uint64_t v = 1; v <= 100; ++v) {
    h.record(v);
  }
  auto s = h.live();

  EXPECT_EQ(s.count, 100u);
  EXPECT_EQ(s.min, 1u);
  EXPECT_EQ(s.max, 100u);
  EXPECT_EQ(s.p50, 50u);
  EXPECT_EQ(s.p90, 90u);
  EXPECT_EQ(s.p95, 95u);
  EXPECT_EQ(s.p99, 99u);
  EXPECT_EQ(s.p9990, 100u);
  EXPECT_EQ(s.p9999, 100u);
  EXPECT_EQ(s.sum, 5050u);
  EXPECT_DOUBLE_EQ(s.avg, 50.5);
}

TEST(Histogram, QuantilesAreWithinTheRelativeErrorOverAWideRange) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> log_value(0.0, std::log(1e12));
  Histogram h;
  std::vector<std::uint64_t> values;

  for (int i = 0; i < 200000; ++i) {
    auto v = static_cast<std::uint64_t>(std::exp(log_value(rng)));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  auto s = h.live();

  EXPECT_EQ(s.count, values.size());
  EXPECT_EQ(s.min, values.front());
  EXPECT_EQ(s.max, values.back());
  expect_within_error(s.p50, exact_quantile(values, 0.5), "p50");
  expect_within_error(s.p90, exact_quantile(values, 0.9), "p90");
  expect_within_error(s.p95, exact_quantile(values, 0.95), "p95");
  expect_within_error(s.p99, exact_quantile(values, 0.99), "p99");
  expect_within_error(s.p9990, exact_quantile(values, 0.999), "p9990");
  expect_within_error(s.p9999, exact_quantile(values, 0.9999), "p9999");
}

TEST(Histogram, LatencyLikeDistributionIsAccurate) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> latency(3.0, 1.0);  // median ~20 ms, long tail
  Histogram h;
  std::vector<std::uint64_t> values;

  for (int i = 0; i < 100000; ++i) {
    auto v = static_cast<std::uint64_t>(latency(rng));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  auto s = h.live();

  expect_within_error(s.p50, exact_quantile(values, 0.5), "p50");
  expect_within_error(s.p99, exact_quantile(values, 0.99), "p99");
  expect_within_error(s.p9999, exact_quantile(values, 0.9999), "p9999");
}

TEST(Histogram, CoversTheWholeUint64Range) {
  Histogram h;
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();

  h.record(0);
  h.record(kMax);
  h.record(kMax);
  auto s = h.live();

  EXPECT_EQ(s.min, 0u);
  EXPECT_EQ(s.max, kMax);
  expect_within_error(s.p50, kMax, "p50");
  EXPECT_EQ(s.count, 3u);
}

TEST(Histogram, SnapshotServesTheLastWindowAndResets) {
  Histogram h;
  h.record(1);

  auto before = h.last_snapshot();
  h.snapshot();
  h.record(2);
  auto served = h.last_snapshot();
  auto live = h.live();
  h.snapshot();
  auto next = h.last_snapshot();

  EXPECT_FALSE(before.has_value());
  ASSERT_TRUE(served.has_value());
  EXPECT_EQ(served->count, 1u);
  EXPECT_EQ(served->max, 1u);
  EXPECT_EQ(live.count, 1u);
  EXPECT_EQ(live.min, 2u);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->min, 2u);
  EXPECT_EQ(next->sum, 2u);
}

TEST(Histogram, AWorkersWindowsHoldWhatItRecordedSinceTheLastSnapshot) {
  // A worker's own slot is never reset by the snapshot (it only grows); each window is the
  // difference from what the previous snapshot read, block by block.
  Histogram h(2);
  set_worker_index(0);
  for (std::uint64_t v : {1, 2, 3, 5000}) {
    h.record(v);
  }

  auto first = h.snapshot();
  h.record(10);
  h.record(5000);
  auto live = h.live();
  auto second = h.snapshot();
  auto third = h.snapshot();
  clear_worker_index();

  EXPECT_EQ(first.count, 4u);
  EXPECT_EQ(first.sum, 5006u);
  EXPECT_EQ(first.min, 1u);
  EXPECT_EQ(live.count, 2u);
  EXPECT_EQ(live.sum, 5010u);
  EXPECT_EQ(second.count, 2u);
  EXPECT_EQ(second.sum, 5010u);
  EXPECT_EQ(second.min, 10u);
  EXPECT_EQ(second.p50, 10u);
  EXPECT_EQ(third.count, 0u);
  EXPECT_EQ(third.sum, 0u);
}

TEST(Histogram, EmptyWindowSnapshotsToZeroCount) {
  Histogram h;
  h.record(5);
  h.snapshot();

  h.snapshot();

  ASSERT_TRUE(h.last_snapshot().has_value());
  EXPECT_EQ(h.last_snapshot()->count, 0u);
}

TEST(Histogram, RecordsFromManyWorkersAreMerged) {
  constexpr int kWorkers = 4;
  Histogram h(kWorkers + 1);
  std::vector<std::thread> threads;

  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      set_worker_index(static_cast<std::size_t>(w));
      for (std::uint64_t v = 1; v <= 10000; ++v) {
        h.record(v * static_cast<std::uint64_t>(w + 1));
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  auto s = h.live();

  EXPECT_EQ(s.count, 40000u);
  EXPECT_EQ(s.min, 1u);
  EXPECT_EQ(s.max, 40000u);
  EXPECT_EQ(s.sum, 10000u * 10001u / 2 * (1 + 2 + 3 + 4));
}

TEST(Histogram, SnapshotsConcurrentWithRecordsLoseNothing) {
  Histogram h(3);
  std::atomic<bool> done{false};
  std::uint64_t snapshotted = 0;

  std::thread writer([&] {
    set_worker_index(0);
    for (int i = 0; i < 200000; ++i) {
      h.record(static_cast<std::uint64_t>(i % 5000));
    }
    done = true;
  });
  while (!done) {
    snapshotted += h.snapshot().count;
  }
  writer.join();
  snapshotted += h.snapshot().count;

  EXPECT_EQ(snapshotted, 200000u);
}

}  // namespace
}  // namespace meshd::telemetry
