#include "meshd/telemetry/counter.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace meshd::telemetry {
namespace {

TEST(Counter, SumsIncrementsFromEveryWorker) {
  constexpr int kWorkers = 4;
  constexpr int kPerWorker = 100000;
  Counter counter(kWorkers + 1);
  std::vector<std::thread> threads;

  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      set_worker_index(static_cast<std::size_t>(w));
      for (int i = 0; i < kPerWorker; ++i) {
        counter.incr();
      }
    });
  }
  counter.incr(5);  // the test thread is not a worker: slot 0
  for (auto& t : threads) {
    t.join();
  }

  EXPECT_EQ(counter.value(), std::uint64_t{kWorkers} * kPerWorker + 5);
}

TEST(Counter, WorkersBeyondItsSlotsShareSlotZeroCorrectly) {
  Counter counter(2);  // one worker slot
  std::vector<std::thread> threads;

  for (int w = 0; w < 3; ++w) {
    threads.emplace_back([&, w] {
      set_worker_index(static_cast<std::size_t>(w));
      for (int i = 0; i < 50000; ++i) {
        counter.incr();
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }

  EXPECT_EQ(counter.value(), 150000u);
}

TEST(PerWorker, CellsDoNotShareCacheLines) {
  PerWorker<std::atomic<std::uint64_t>> cells(3);

  auto a = reinterpret_cast<std::uintptr_t>(&cells[0]);
  auto b = reinterpret_cast<std::uintptr_t>(&cells[1]);

  EXPECT_EQ(a % kCacheLineSize, 0u);
  EXPECT_GE(b - a, kCacheLineSize);
}

TEST(PerWorker, LocalUsesTheCallingWorkersSlot) {
  PerWorker<int> cells(3);

  set_worker_index(1);
  cells.local() = 7;
  clear_worker_index();
  cells.local() = 3;

  EXPECT_EQ(cells[2], 7);
  EXPECT_EQ(cells[0], 3);
}

}  // namespace
}  // namespace meshd::telemetry
