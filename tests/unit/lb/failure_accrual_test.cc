// FailureAccrual (include/meshd/lb/failure_accrual.h): Finagle's FailureAccrualFactory states and
// its consecutiveFailures, successRate and successRateWithinDuration policies.

#include "meshd/lb/failure_accrual.h"

#include <gtest/gtest.h>

#include <cmath>

namespace meshd::lb {
namespace {

using namespace std::chrono_literals;
using Event = AccrualEvent::Kind;

const TimePoint kT0 = TimePoint{} + 1h;

BackoffOptions constant(std::chrono::milliseconds d) {
  return {BackoffOptions::Kind::Constant, d, d};
}

AccrualOptions consecutive(int failures, BackoffOptions backoff = constant(10s)) {
  AccrualOptions o;
  o.kind = AccrualOptions::Kind::ConsecutiveFailures;
  o.failures = failures;
  o.backoff = backoff;
  return o;
}

AccrualOptions success_rate(double rate, int requests) {
  AccrualOptions o;
  o.kind = AccrualOptions::Kind::SuccessRate;
  o.success_rate = rate;
  o.requests = requests;
  o.backoff = constant(10s);
  return o;
}

AccrualOptions windowed(double rate, std::chrono::seconds window) {
  AccrualOptions o;
  o.kind = AccrualOptions::Kind::SuccessRateWindowed;
  o.success_rate = rate;
  o.window = window;
  o.backoff = constant(10s);
  return o;
}

// Sends the probe and fails it; returns the new removal.
AccrualEvent fail_probe(FailureAccrual& accrual, TimePoint at) {
  EXPECT_TRUE(accrual.on_dispatch(at));
  return accrual.record(false, at + 1ms);
}

TEST(FailureAccrualTest, ConsecutiveFailuresMarksDeadAtTheExactThreshold) {
  FailureAccrual accrual(consecutive(5), 1);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(accrual.record(false, kT0).kind, Event::None) << "failure " << i + 1;
  }
  EXPECT_EQ(accrual.status(kT0), Status::Open);
  EXPECT_FALSE(accrual.removed());

  auto event = accrual.record(false, kT0);

  EXPECT_EQ(event.kind, Event::Removed);
  EXPECT_EQ(event.removed_for, 10s);
  EXPECT_EQ(accrual.status(kT0), Status::Busy);
  EXPECT_TRUE(accrual.removed());
}

TEST(FailureAccrualTest, ASuccessResetsTheConsecutiveFailures) {
  FailureAccrual accrual(consecutive(3), 1);
  accrual.record(false, kT0);
  accrual.record(false, kT0);
  accrual.record(true, kT0);
  accrual.record(false, kT0);

  EXPECT_EQ(accrual.record(false, kT0).kind, Event::None);
  EXPECT_EQ(accrual.record(false, kT0).kind, Event::Removed);
}

TEST(FailureAccrualTest, DeadEndpointIsBusyUntilItsBackoffPassesThenLetsOneProbeThrough) {
  FailureAccrual accrual(consecutive(1), 1);
  accrual.record(false, kT0);

  EXPECT_EQ(accrual.status(kT0 + 9999ms), Status::Busy);
  EXPECT_FALSE(accrual.on_dispatch(kT0 + 5s));  // forced onto a dead endpoint: not a probe
  EXPECT_EQ(accrual.status(kT0 + 10s), Status::Open);
  EXPECT_TRUE(accrual.on_dispatch(kT0 + 10s));
  EXPECT_EQ(accrual.status(kT0 + 10s), Status::Busy);
  EXPECT_FALSE(accrual.on_dispatch(kT0 + 11s));
  EXPECT_EQ(accrual.status(kT0 + 1h), Status::Busy);  // until the probe's outcome
}

TEST(FailureAccrualTest, AnAbandonedProbeLetsAnotherProbeGo) {
  FailureAccrual accrual(consecutive(1), 1);
  accrual.record(false, kT0);
  TimePoint later = kT0 + 10s + 1ms;
  ASSERT_TRUE(accrual.on_dispatch(later));
  EXPECT_EQ(accrual.status(later), Status::Busy);
  accrual.on_abandon();  // the client left while the probe was in flight
  EXPECT_EQ(accrual.status(later), Status::Open);
  EXPECT_TRUE(accrual.on_dispatch(later));
  EXPECT_EQ(accrual.record(true, later + 1ms).kind, Event::Revived);
}

TEST(FailureAccrualTest, ASuccessfulProbeRevives) {
  FailureAccrual accrual(consecutive(2), 1);
  accrual.record(false, kT0);
  accrual.record(false, kT0);
  ASSERT_TRUE(accrual.on_dispatch(kT0 + 10s));

  auto event = accrual.record(true, kT0 + 10s + 5ms);

  EXPECT_EQ(event.kind, Event::Revived);
  EXPECT_EQ(accrual.status(kT0 + 10s + 5ms), Status::Open);
  EXPECT_FALSE(accrual.removed());
  // The policy starts over: one failure is not enough any more.
  EXPECT_EQ(accrual.record(false, kT0 + 11s).kind, Event::None);
  EXPECT_EQ(accrual.record(false, kT0 + 11s).kind, Event::Removed);
}

TEST(FailureAccrualTest, AFailedProbeMarksDeadAgainWithALongerBackoff) {
  FailureAccrual accrual(consecutive(1, {BackoffOptions::Kind::EqualJittered, 1s, 100s}), 42);
  TimePoint t = kT0;
  auto first = accrual.record(false, t);
  ASSERT_EQ(first.kind, Event::Removed);
  EXPECT_EQ(first.removed_for, 1s);

  std::chrono::milliseconds previous = first.removed_for;
  for (int n = 1; n <= 5; ++n) {
    t += previous;
    auto again = fail_probe(accrual, t);
    t += 1ms;

    ASSERT_EQ(again.kind, Event::Removed) << "probe " << n;
    // Equal jitter: [2^(n-1), 2^n) seconds.
    EXPECT_GE(again.removed_for, std::chrono::seconds(1 << (n - 1))) << "probe " << n;
    EXPECT_LT(again.removed_for, std::chrono::seconds(1 << n)) << "probe " << n;
    if (n >= 2) {
      EXPECT_GT(again.removed_for, previous) << "probe " << n;
    }
    EXPECT_EQ(accrual.status(t + again.removed_for - 1ms), Status::Busy);
    previous = again.removed_for;
  }
}

TEST(FailureAccrualTest, RevivalRestartsTheBackoff) {
  FailureAccrual accrual(consecutive(1, {BackoffOptions::Kind::EqualJittered, 1s, 100s}), 7);
  accrual.record(false, kT0);
  auto second = fail_probe(accrual, kT0 + 1s);
  TimePoint t = kT0 + 1s + 1ms + second.removed_for;
  ASSERT_TRUE(accrual.on_dispatch(t));
  ASSERT_EQ(accrual.record(true, t).kind, Event::Revived);

  auto again = accrual.record(false, t + 1s);

  EXPECT_EQ(again.kind, Event::Removed);
  EXPECT_EQ(again.removed_for, 1s);
}

TEST(FailureAccrualTest, OutcomesWhileDeadDoNotReviveOrExtend) {
  FailureAccrual accrual(consecutive(1), 1);
  accrual.record(false, kT0);

  // Requests sent before the endpoint died finish while it is dead.
  EXPECT_EQ(accrual.record(false, kT0 + 1s).kind, Event::None);
  EXPECT_EQ(accrual.record(true, kT0 + 2s).kind, Event::None);

  EXPECT_EQ(accrual.status(kT0 + 9s), Status::Busy);
  EXPECT_EQ(accrual.status(kT0 + 10s), Status::Open);
}

TEST(FailureAccrualTest, AFailedProbeThePolicyForgivesIsFollowedByAnotherProbe) {
  FailureAccrual accrual(consecutive(3), 1);
  for (int i = 0; i < 3; ++i) {
    accrual.record(false, kT0);
  }
  accrual.record(true, kT0 + 1s);  // a late success resets the consecutive count
  ASSERT_TRUE(accrual.on_dispatch(kT0 + 10s));

  auto event = accrual.record(false, kT0 + 10s);

  EXPECT_EQ(event.kind, Event::None);
  EXPECT_EQ(accrual.status(kT0 + 10s), Status::Open);
  EXPECT_TRUE(accrual.on_dispatch(kT0 + 10s));
}

TEST(FailureAccrualTest, SuccessRateWaitsForAFullWindowOfRequests) {
  FailureAccrual accrual(success_rate(0.9, 10), 1);
  for (int i = 0; i < 9; ++i) {
    EXPECT_EQ(accrual.record(false, kT0).kind, Event::None) << "request " << i + 1;
  }

  EXPECT_EQ(accrual.record(false, kT0).kind, Event::Removed);
}

TEST(FailureAccrualTest, SuccessRateMarksDeadWhenTheAverageDropsBelowTheRate) {
  // EMA over 10 requests: each failure after all successes leaves exp(-1/10)^k. 0.905 ≥ 0.9,
  // 0.819 < 0.9: the second failure marks dead.
  FailureAccrual accrual(success_rate(0.9, 10), 1);
  for (int i = 0; i < 20; ++i) {
    accrual.record(true, kT0);
  }

  EXPECT_EQ(accrual.record(false, kT0).kind, Event::None);
  EXPECT_EQ(accrual.record(false, kT0).kind, Event::Removed);
}

TEST(FailureAccrualTest, SuccessRateStartsOverAfterARevival) {
  FailureAccrual accrual(success_rate(0.9, 4), 1);
  for (int i = 0; i < 4; ++i) {
    accrual.record(false, kT0);
  }
  ASSERT_TRUE(accrual.removed());
  ASSERT_TRUE(accrual.on_dispatch(kT0 + 10s));
  ASSERT_EQ(accrual.record(true, kT0 + 10s).kind, Event::Revived);

  // The revival's success is the first of the new window; two more failures make three.
  EXPECT_EQ(accrual.record(false, kT0 + 11s).kind, Event::None);
  EXPECT_EQ(accrual.record(false, kT0 + 11s).kind, Event::None);
  EXPECT_EQ(accrual.record(false, kT0 + 11s).kind, Event::Removed);
}

TEST(FailureAccrualTest, SuccessRateWindowedWaitsForTheWindowToElapse) {
  FailureAccrual accrual(windowed(0.9, 30s), 1);
  for (int s = 0; s < 30; ++s) {
    EXPECT_EQ(accrual.record(false, kT0 + std::chrono::seconds(s)).kind, Event::None);
  }

  EXPECT_EQ(accrual.record(false, kT0 + 29999ms).kind, Event::None);
  EXPECT_EQ(accrual.record(false, kT0 + 30s).kind, Event::Removed);
}

TEST(FailureAccrualTest, SuccessRateWindowedMarksDeadWhenTheTimeAverageDrops) {
  // EMA with a 30 s time constant: failures one second apart leave exp(-1/30)^k of the
  // successes: 0.967, 0.936, 0.905 ≥ 0.9, then 0.875 < 0.9 at the fourth.
  FailureAccrual accrual(windowed(0.9, 30s), 1);
  for (int s = 0; s <= 60; ++s) {
    accrual.record(true, kT0 + std::chrono::seconds(s));
  }

  for (int k = 1; k <= 3; ++k) {
    EXPECT_EQ(accrual.record(false, kT0 + std::chrono::seconds(60 + k)).kind, Event::None);
  }
  EXPECT_EQ(accrual.record(false, kT0 + 64s).kind, Event::Removed);
}

TEST(FailureAccrualTest, NoneNeverMarksDead) {
  AccrualOptions o;
  o.kind = AccrualOptions::Kind::None;
  FailureAccrual accrual(o, 1);

  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(accrual.record(false, kT0).kind, Event::None);
  }

  EXPECT_EQ(accrual.status(kT0), Status::Open);
  EXPECT_FALSE(accrual.on_dispatch(kT0));
}

TEST(FailureAccrualTest, DefaultsAreLinkerdsFiveFailuresWithEqualJitterFromFiveSeconds) {
  FailureAccrual accrual(AccrualOptions{}, 1);
  for (int i = 0; i < 4; ++i) {
    accrual.record(false, kT0);
  }

  auto event = accrual.record(false, kT0);

  EXPECT_EQ(event.kind, Event::Removed);
  EXPECT_EQ(event.removed_for, 5s);
  auto second = fail_probe(accrual, kT0 + 5s);
  EXPECT_GE(second.removed_for, 5s);
  EXPECT_LT(second.removed_for, 10s);
}

}  // namespace
}  // namespace meshd::lb
