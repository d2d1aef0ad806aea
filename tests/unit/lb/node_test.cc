// Node (include/meshd/lb/balancer.h): Finagle's PeakEwma load and the accrual it carries.

#include <gtest/gtest.h>

#include <cmath>

#include "meshd/lb/balancer.h"

namespace meshd::lb {
namespace {

using namespace std::chrono_literals;

const TimePoint kT0 = TimePoint{} + 1h;
constexpr double kMs = 1e6;  // ns

AccrualOptions no_accrual() {
  AccrualOptions o;
  o.kind = AccrualOptions::Kind::None;
  return o;
}

// One request of `latency` finishing at `end`.
void observe(Node& node, TimePoint end, std::chrono::milliseconds latency) {
  node.on_start(end - latency);
  node.on_finish(end - latency, end, true);
}

TEST(NodeTest, WithoutLatencyAnIdleNodeCostsNothingAndABusyOneThePenalty) {
  Node node(no_accrual(), 10s, 1);
  EXPECT_EQ(node.ewma_load(kT0), 0.0);

  node.on_start(kT0);
  node.on_start(kT0);

  EXPECT_EQ(node.outstanding(), 2u);
  EXPECT_GT(node.ewma_load(kT0), 1e13);  // about 39 hours in ns: loses to any measured node
  EXPECT_GT(node.ewma_load(kT0), static_cast<double>(1LL << 47));
}

TEST(NodeTest, APeakReplacesTheAverageAtOnceAndALowerLatencyMovesItSlowly) {
  Node node(no_accrual(), 10s, 1);
  observe(node, kT0, 10ms);
  ASSERT_NEAR(node.ewma_load(kT0), 10 * kMs, 1);

  observe(node, kT0 + 1s, 100ms);
  EXPECT_NEAR(node.ewma_load(kT0 + 1s), 100 * kMs, 1);

  // 10 ms a millisecond later barely moves it: weight exp(-1 ms / 10 s).
  observe(node, kT0 + 1001ms, 10ms);
  double w = std::exp(-1e-4);
  EXPECT_NEAR(node.ewma_load(kT0 + 1001ms), 100 * kMs * w + 10 * kMs * (1 - w), 1);
}

TEST(NodeTest, TheCostDecaysWithTheDecayTime) {
  Node node(no_accrual(), 10s, 1);
  observe(node, kT0, 100ms);

  EXPECT_NEAR(node.ewma_load(kT0 + 10s), 100 * kMs * std::exp(-1.0), 1);
  EXPECT_NEAR(node.ewma_load(kT0 + 20s), 100 * kMs * std::exp(-2.0), 1);
}

TEST(NodeTest, LoadIsTheCostTimesOutstandingPlusOne) {
  Node node(no_accrual(), 10s, 1);
  observe(node, kT0, 20ms);

  node.on_start(kT0);
  node.on_start(kT0);

  EXPECT_NEAR(node.ewma_load(kT0), 3 * 20 * kMs, 1);
}

TEST(NodeTest, FinishingCountsTheRequestOffAndFeedsTheAccrual) {
  AccrualOptions accrual;
  accrual.failures = 2;
  accrual.backoff = {BackoffOptions::Kind::Constant, 5s, 5s};
  Node node(accrual, 10s, 1);
  node.on_start(kT0);
  node.on_start(kT0);

  EXPECT_EQ(node.on_finish(kT0, kT0 + 1ms, false).kind, AccrualEvent::Kind::None);
  auto event = node.on_finish(kT0, kT0 + 2ms, false);

  EXPECT_EQ(node.outstanding(), 0u);
  EXPECT_EQ(event.kind, AccrualEvent::Kind::Removed);
  EXPECT_EQ(node.status(kT0 + 1s), Status::Busy);
  EXPECT_TRUE(node.on_start(kT0 + 5s + 2ms));  // the probe
  EXPECT_EQ(node.on_finish(kT0 + 5s + 2ms, kT0 + 6s, true).kind, AccrualEvent::Kind::Revived);
  EXPECT_EQ(node.status(kT0 + 6s), Status::Open);
}

TEST(NodeTest, AnAbandonedRequestIsNoLongerOutstandingAndLeavesTheLatencyAlone) {
  Node node(no_accrual(), 10s, 1);
  observe(node, kT0 + 10ms, 10ms);
  double before = node.ewma_load(kT0 + 10ms);
  node.on_start(kT0 + 10ms);
  node.on_abandon();
  EXPECT_EQ(node.outstanding(), 0u);
  EXPECT_DOUBLE_EQ(node.ewma_load(kT0 + 10ms), before);
}

TEST(NodeTest, ClosedOnceClosed) {
  Node node(no_accrual(), 10s, 1);

  node.close();

  EXPECT_EQ(node.status(kT0), Status::Closed);
}

TEST(NodeTest, FinishingWithoutAStartDoesNotUnderflow) {
  Node node(no_accrual(), 10s, 1);

  node.on_finish(kT0, kT0 + 1ms, true);

  EXPECT_EQ(node.outstanding(), 0u);
}

}  // namespace
}  // namespace meshd::lb
