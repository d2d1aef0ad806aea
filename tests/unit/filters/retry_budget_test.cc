#include "meshd/filters/retry_budget.h"

#include <gtest/gtest.h>

namespace meshd::filters {
namespace {

using namespace std::chrono_literals;

// A fixed origin on the steady clock; every test moves time explicitly (no real clock).
const TimePoint kT0 = TimePoint{} + 1000h;

int withdraw_all(RetryBudget& budget, TimePoint now, int limit = 100000) {
  int n = 0;
  while (n < limit && budget.try_withdraw(now)) {
    ++n;
  }
  return n;
}

TEST(RetryBudget, DefaultsGiveAReserveOfTenPerSecondOverTheTtl) {
  RetryBudget budget({});

  EXPECT_EQ(budget.balance(kT0), 100);  // 10/s × 10 s
  EXPECT_EQ(withdraw_all(budget, kT0), 100);
  EXPECT_EQ(budget.balance(kT0), 0);
  EXPECT_FALSE(budget.try_withdraw(kT0));
}

TEST(RetryBudget, TwentyPercentOfRequestsOnTopOfTheReserve) {
  RetryBudget budget({});
  for (int i = 0; i < 100; ++i) {
    budget.deposit(kT0 + i * 10ms);  // 100 requests within one second
  }

  EXPECT_EQ(budget.balance(kT0 + 1s), 120);  // 100 × 0.2 + 100
  EXPECT_EQ(withdraw_all(budget, kT0 + 1s), 120);
}

TEST(RetryBudget, DepositsExpireAfterTheTtl) {
  RetryBudget budget({});
  for (int i = 0; i < 100; ++i) {
    budget.deposit(kT0);
  }

  EXPECT_EQ(budget.balance(kT0 + 10s - 1ns), 120);
  EXPECT_EQ(budget.balance(kT0 + 10s), 100);
}

TEST(RetryBudget, DepositsExpireSliceBySlice) {
  RetryBudget budget({});
  for (int i = 0; i < 50; ++i) {
    budget.deposit(kT0);
  }
  for (int i = 0; i < 50; ++i) {
    budget.deposit(kT0 + 5s);
  }

  EXPECT_EQ(budget.balance(kT0 + 9s), 120);
  EXPECT_EQ(budget.balance(kT0 + 10s), 110);  // the first 50 went
  EXPECT_EQ(budget.balance(kT0 + 15s), 100);  // then the rest
}

TEST(RetryBudget, WithdrawalsExpireTooSoTheReserveRefills) {
  RetryBudget budget({});
  ASSERT_EQ(withdraw_all(budget, kT0), 100);

  EXPECT_EQ(budget.balance(kT0 + 9s), 0);
  EXPECT_EQ(budget.balance(kT0 + 10s), 100);
}

TEST(RetryBudget, AJumpPastTheWholeWindowClearsIt) {
  RetryBudget budget({});
  for (int i = 0; i < 500; ++i) {
    budget.deposit(kT0 + 3s);
  }
  ASSERT_EQ(budget.balance(kT0 + 3s), 200);

  EXPECT_EQ(budget.balance(kT0 + 1h), 100);
}

TEST(RetryBudget, AClockGoingBackCountsInTheNewestSlice) {
  RetryBudget budget({});
  budget.deposit(kT0 + 5s);
  for (int i = 0; i < 9; ++i) {
    budget.deposit(kT0);
  }

  EXPECT_EQ(budget.balance(kT0), 102);
  EXPECT_EQ(budget.balance(kT0 + 14s), 102);
  EXPECT_EQ(budget.balance(kT0 + 15s), 100);
}

TEST(RetryBudget, ReserveShareScalesTheReserveOnly) {
  RetryBudget half({}, 0.5);
  for (int i = 0; i < 100; ++i) {
    half.deposit(kT0);
  }

  EXPECT_EQ(half.balance(kT0), 70);  // 20 + 100 / 2
  EXPECT_EQ(withdraw_all(half, kT0), 70);
}

TEST(RetryBudget, BothRatesZeroNeverAllowsARetry) {
  RetryBudget budget({10s, 0, 0});
  for (int i = 0; i < 1000; ++i) {
    budget.deposit(kT0);
  }

  EXPECT_EQ(budget.balance(kT0), 0);
  EXPECT_FALSE(budget.try_withdraw(kT0));
}

TEST(RetryBudget, ZeroPercentLeavesOnlyTheReserve) {
  RetryBudget budget({10s, 5, 0});
  for (int i = 0; i < 1000; ++i) {
    budget.deposit(kT0);
  }

  EXPECT_EQ(budget.balance(kT0), 50);
  EXPECT_EQ(withdraw_all(budget, kT0), 50);
}

TEST(RetryBudget, ZeroMinRetriesHasNoReserve) {
  RetryBudget budget({10s, 0, 0.5});

  EXPECT_FALSE(budget.try_withdraw(kT0));
  budget.deposit(kT0);
  budget.deposit(kT0);

  EXPECT_EQ(budget.balance(kT0), 1);
  EXPECT_TRUE(budget.try_withdraw(kT0));
  EXPECT_FALSE(budget.try_withdraw(kT0));
}

TEST(RetryBudget, PercentAboveOneAllowsSeveralRetriesPerRequest) {
  RetryBudget budget({1s, 0, 1000});  // withdrawal = 1000 / 1000 = 1 token: 1000 per request
  budget.deposit(kT0);

  EXPECT_EQ(budget.balance(kT0), 1000);
  EXPECT_EQ(budget.balance(kT0 + 1s), 0);  // ttl 1 s: slices of 100 ms
}

TEST(RetryBudget, WithdrawalCostTruncatesLikeFinagle) {
  // 1000 / 0.3 = 3333.33 → 3333 tokens a retry; reserve 1 × 10 × 3333.
  RetryBudget budget({10s, 1, 0.3});
  for (int i = 0; i < 10; ++i) {
    budget.deposit(kT0);
  }

  EXPECT_EQ(budget.balance(kT0), (10 * 1000 + 33330) / 3333);
}

TEST(RetryBudget, ATinyPercentDoesNotOverflow) {
  RetryBudget budget({60s, 1000000, 1e-12});

  EXPECT_GT(budget.balance(kT0), 0);
  EXPECT_TRUE(budget.try_withdraw(kT0));
}

}  // namespace
}  // namespace meshd::filters
