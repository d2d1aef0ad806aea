// Balancers (include/meshd/lb/balancer.h): p2c, ewma, roundRobin, heap and aperture, each run
// against synthetic nodes and time.

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <queue>
#include <vector>

#include "meshd/lb/balancer.h"

namespace meshd::lb {
namespace {

using namespace std::chrono_literals;
using Kind = BalancerOptions::Kind;

const TimePoint kT0 = TimePoint{} + 1h;

AccrualOptions one_strike() {
  AccrualOptions o;
  o.failures = 1;
  o.backoff = {BackoffOptions::Kind::Constant, 10s, 10s};
  return o;
}

// Nodes that die after one failure, for 10 s.
struct Cluster {
  explicit Cluster(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      nodes.push_back(std::make_unique<Node>(one_strike(), 10s, i));
    }
  }

  std::vector<Node*> ptrs() const {
    std::vector<Node*> out;
    for (const auto& n : nodes) {
      out.push_back(n.get());
    }
    return out;
  }

  std::size_t index(const Node* node) const {
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (nodes[i].get() == node) {
        return i;
      }
    }
    ADD_FAILURE() << "picked a node not in the set";
    return nodes.size();
  }

  void kill(std::size_t i, TimePoint at) {
    nodes[i]->on_start(at);
    nodes[i]->on_finish(at, at, false);
  }

  std::vector<std::unique_ptr<Node>> nodes;
};

std::unique_ptr<Balancer> balancer(Kind kind, const Cluster& cluster, std::uint64_t seed = 1) {
  BalancerOptions o;
  o.kind = kind;
  auto b = make_balancer(o, seed);
  b->update(cluster.ptrs());
  return b;
}

// Picks `n` times at `now` without starting anything; hits per node.
std::vector<int> histogram(Balancer& b, const Cluster& cluster, int n, TimePoint now) {
  std::vector<int> hits(cluster.nodes.size() + 1, 0);
  for (int i = 0; i < n; ++i) {
    ++hits[cluster.index(b.pick(now))];
  }
  hits.pop_back();
  return hits;
}

constexpr Kind kAllKinds[] = {Kind::P2C, Kind::Ewma, Kind::RoundRobin, Kind::Heap, Kind::Aperture};

TEST(BalancerTest, AnEmptySetPicksNothing) {
  for (Kind kind : kAllKinds) {
    auto b = make_balancer(BalancerOptions{kind}, 1);

    EXPECT_EQ(b->pick(kT0), nullptr);
    b->update({});
    EXPECT_EQ(b->pick(kT0), nullptr);
    EXPECT_EQ(b->counts(kT0).size, 0u);
  }
}

TEST(BalancerTest, ASingleNodeTakesEverything) {
  Cluster cluster(1);
  for (Kind kind : kAllKinds) {
    auto b = balancer(kind, cluster);

    for (int i = 0; i < 10; ++i) {
      EXPECT_EQ(b->pick(kT0), cluster.nodes[0].get());
    }
  }
}

TEST(BalancerTest, EveryKindAvoidsADeadNodeAndCountsNothingExhausted) {
  for (Kind kind : kAllKinds) {
    Cluster cluster(4);
    auto b = balancer(kind, cluster);
    cluster.kill(2, kT0);

    auto hits = histogram(*b, cluster, 400, kT0 + 1s);

    EXPECT_EQ(hits[2], 0) << "kind " << static_cast<int>(kind);
    EXPECT_EQ(b->max_effort_exhausted(), 0u);
  }
}

TEST(BalancerTest, EveryKindStillPicksWhenNothingIsOpen) {
  for (Kind kind : kAllKinds) {
    Cluster cluster(3);
    auto b = balancer(kind, cluster);
    for (std::size_t i = 0; i < 3; ++i) {
      cluster.kill(i, kT0);
    }

    for (int i = 0; i < 10; ++i) {
      EXPECT_NE(b->pick(kT0 + 1s), nullptr);
    }

    EXPECT_EQ(b->max_effort_exhausted(), 10u) << "kind " << static_cast<int>(kind);
  }
}

TEST(BalancerTest, CountsReportSizeStatusesAndLoad) {
  Cluster cluster(4);
  auto b = balancer(Kind::P2C, cluster);
  cluster.kill(0, kT0);
  cluster.nodes[1]->close();
  cluster.nodes[2]->on_start(kT0);
  cluster.nodes[2]->on_start(kT0);
  cluster.nodes[3]->on_start(kT0);

  auto c = b->counts(kT0 + 1s);

  EXPECT_EQ(c.size, 4u);
  EXPECT_EQ(c.available, 2u);
  EXPECT_EQ(c.busy, 1u);
  EXPECT_EQ(c.closed, 1u);
  EXPECT_EQ(c.load, 3.0);
}

TEST(P2cBalancerTest, NeverPicksTheLoadedNodeOfTwoDistinctChoices) {
  Cluster cluster(5);
  auto b = balancer(Kind::P2C, cluster);
  for (int i = 0; i < 10; ++i) {
    cluster.nodes[0]->on_start(kT0);
  }

  auto hits = histogram(*b, cluster, 10000, kT0);

  // The loaded node wins only against itself, and the two choices are distinct.
  EXPECT_EQ(hits[0], 0);
  for (std::size_t i = 1; i < 5; ++i) {
    EXPECT_NEAR(hits[i], 2500, 250) << "node " << i;
  }
}

TEST(P2cBalancerTest, SpreadsConcurrentRequestsEvenly) {
  Cluster cluster(4);
  auto b = balancer(Kind::P2C, cluster);

  for (int i = 0; i < 400; ++i) {
    b->pick(kT0)->on_start(kT0);
  }

  for (const auto& node : cluster.nodes) {
    EXPECT_NEAR(static_cast<double>(node->outstanding()), 100, 3);
  }
}

TEST(P2cBalancerTest, TheSameSeedPicksTheSameNodes) {
  Cluster cluster(8);
  auto a = balancer(Kind::P2C, cluster, 99);
  auto b = balancer(Kind::P2C, cluster, 99);

  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(a->pick(kT0), b->pick(kT0));
  }
}

// A discrete-event run: a request every millisecond, each node answering after its own latency.
// Returns the requests each node got.
std::vector<int> simulate(Balancer& b, const Cluster& cluster,
                          const std::vector<std::chrono::milliseconds>& latency, int requests) {
  struct Inflight {
    TimePoint end;
    TimePoint start;
    Node* node;
    bool operator>(const Inflight& o) const { return end > o.end; }
  };
  std::priority_queue<Inflight, std::vector<Inflight>, std::greater<>> inflight;
  std::vector<int> hits(cluster.nodes.size(), 0);
  for (int i = 0; i < requests; ++i) {
    TimePoint now = kT0 + std::chrono::milliseconds(i);
    while (!inflight.empty() && inflight.top().end <= now) {
      auto done = inflight.top();
      inflight.pop();
      done.node->on_finish(done.start, done.end, true);
    }
    Node* node = b.pick(now);
    std::size_t idx = cluster.index(node);
    ++hits[idx];
    node->on_start(now);
    inflight.push({now + latency[idx], now, node});
  }
  return hits;
}

TEST(EwmaBalancerTest, MovesTrafficOffANodeFiftyMillisecondsSlowerThanTheRest) {
  Cluster cluster(10);
  std::vector<std::chrono::milliseconds> latency(10, 10ms);
  latency[3] = 60ms;
  auto ewma = balancer(Kind::Ewma, cluster, 5);

  auto hits = simulate(*ewma, cluster, latency, 20000);

  // A fair share would be 10 % (2000 requests); the slow node gets under a tenth of it.
  EXPECT_LT(hits[3], 200) << "slow node got " << hits[3];
  for (std::size_t i = 0; i < 10; ++i) {
    if (i != 3) {
      EXPECT_GT(hits[i], 1800) << "node " << i;
    }
  }
}

TEST(EwmaBalancerTest, DoesBetterThanLeastOutstandingOnTheSameRun) {
  std::vector<std::chrono::milliseconds> latency(10, 10ms);
  latency[3] = 60ms;
  Cluster for_p2c(10);
  Cluster for_ewma(10);
  auto p2c = balancer(Kind::P2C, for_p2c, 5);
  auto ewma = balancer(Kind::Ewma, for_ewma, 5);

  auto p2c_hits = simulate(*p2c, for_p2c, latency, 20000);
  auto ewma_hits = simulate(*ewma, for_ewma, latency, 20000);

  EXPECT_LT(ewma_hits[3] * 3, p2c_hits[3]) << "ewma " << ewma_hits[3] << " p2c " << p2c_hits[3];
}

TEST(EwmaBalancerTest, TriesANewNodeOnceThenWaitsForItsFirstLatency) {
  Cluster cluster(2);
  auto b = balancer(Kind::Ewma, cluster);
  cluster.nodes[0]->on_start(kT0 - 5ms);
  cluster.nodes[0]->on_finish(kT0 - 5ms, kT0, true);  // 5 ms known
  cluster.nodes[1]->on_start(kT0);                    // unknown, one request out

  auto hits = histogram(*b, cluster, 100, kT0);

  EXPECT_EQ(hits[0], 100);
}

TEST(RoundRobinBalancerTest, VisitsEveryNodeInTurn) {
  Cluster cluster(4);
  auto b = balancer(Kind::RoundRobin, cluster);

  std::vector<std::size_t> order;
  for (int i = 0; i < 8; ++i) {
    order.push_back(cluster.index(b->pick(kT0)));
  }

  EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2, 3, 0, 1, 2, 3}));
  auto hits = histogram(*b, cluster, 4000, kT0);
  EXPECT_EQ(hits, (std::vector<int>{1000, 1000, 1000, 1000}));
}

TEST(RoundRobinBalancerTest, SkipsDeadNodesAndComesBackToThemAfterTheirBackoff) {
  Cluster cluster(4);
  auto b = balancer(Kind::RoundRobin, cluster);
  cluster.kill(1, kT0);

  std::vector<std::size_t> order;
  for (int i = 0; i < 6; ++i) {
    order.push_back(cluster.index(b->pick(kT0 + 1s)));
  }

  EXPECT_EQ(order, (std::vector<std::size_t>{0, 2, 3, 0, 2, 3}));
  EXPECT_EQ(cluster.index(b->pick(kT0 + 10s)), 0u);
  EXPECT_EQ(cluster.index(b->pick(kT0 + 10s)), 1u);  // its backoff passed: the probe goes
}

TEST(RoundRobinBalancerTest, AShrinkingSetKeepsTheCursorInRange) {
  Cluster cluster(6);
  auto b = balancer(Kind::RoundRobin, cluster);
  for (int i = 0; i < 5; ++i) {
    b->pick(kT0);
  }

  b->update({cluster.nodes[0].get(), cluster.nodes[1].get()});

  auto hits = histogram(*b, cluster, 10, kT0);
  EXPECT_EQ(hits[0], 5);
  EXPECT_EQ(hits[1], 5);
}

TEST(HeapBalancerTest, PicksTheLeastOutstandingNode) {
  Cluster cluster(3);
  auto b = balancer(Kind::Heap, cluster);
  cluster.nodes[0]->on_start(kT0);
  cluster.nodes[0]->on_start(kT0);
  cluster.nodes[2]->on_start(kT0);

  EXPECT_EQ(b->pick(kT0), cluster.nodes[1].get());
  cluster.nodes[1]->on_start(kT0);
  cluster.nodes[1]->on_start(kT0);
  EXPECT_EQ(b->pick(kT0), cluster.nodes[2].get());
}

TEST(HeapBalancerTest, BreaksTiesFairly) {
  Cluster cluster(5);
  auto b = balancer(Kind::Heap, cluster);

  auto hits = histogram(*b, cluster, 500, kT0);
  for (int i = 0; i < 500; ++i) {
    b->pick(kT0)->on_start(kT0);
  }

  EXPECT_EQ(hits, (std::vector<int>{100, 100, 100, 100, 100}));
  for (const auto& node : cluster.nodes) {
    EXPECT_EQ(node->outstanding(), 100u);
  }
}

TEST(HeapBalancerTest, PrefersAnOpenNodeToAnIdleDeadOne) {
  Cluster cluster(2);
  auto b = balancer(Kind::Heap, cluster);
  cluster.kill(0, kT0);
  for (int i = 0; i < 50; ++i) {
    cluster.nodes[1]->on_start(kT0);
  }

  EXPECT_EQ(b->pick(kT0 + 1s), cluster.nodes[1].get());
}

// The distinct nodes an aperture balancer uses while `concurrency` requests are kept in flight,
// each finishing 10 ms after it started.
std::size_t aperture_width(std::size_t concurrency, std::uint64_t seed) {
  Cluster cluster(10);
  BalancerOptions o;
  o.kind = Kind::Aperture;
  o.smooth_window = 1s;
  auto b = make_balancer(o, seed);
  b->update(cluster.ptrs());
  std::deque<std::pair<TimePoint, Node*>> inflight;
  std::map<const Node*, int> used;
  TimePoint now = kT0;
  for (int i = 0; i < 20000; ++i) {
    now += std::chrono::microseconds(10'000 / static_cast<int>(concurrency));
    while (!inflight.empty() && inflight.front().first + 10ms <= now) {
      inflight.front().second->on_finish(inflight.front().first, now, true);
      inflight.pop_front();
    }
    Node* node = b->pick(now);
    node->on_start(now);
    inflight.emplace_back(now, node);
    if (i >= 15000) {  // after settling
      ++used[node];
    }
  }
  return used.size();
}

TEST(ApertureBalancerTest, LightLoadStaysOnFewNodes) { EXPECT_LE(aperture_width(1, 3), 2u); }

TEST(ApertureBalancerTest, HeavyLoadWidensTheWindowToEveryNode) {
  EXPECT_EQ(aperture_width(40, 3), 10u);
}

TEST(ApertureBalancerTest, ModerateLoadUsesAWindowInBetween) {
  auto width = aperture_width(8, 3);

  EXPECT_GT(width, 2u);
  EXPECT_LT(width, 10u);
}

TEST(ApertureBalancerTest, TheWindowSkipsDeadNodes) {
  Cluster cluster(5);
  auto b = balancer(Kind::Aperture, cluster);
  Node* first = b->pick(kT0);
  cluster.kill(cluster.index(first), kT0);

  auto hits = histogram(*b, cluster, 100, kT0 + 1s);

  EXPECT_EQ(hits[cluster.index(first)], 0);
  EXPECT_EQ(b->max_effort_exhausted(), 0u);
}

TEST(ApertureBalancerTest, AStableOrderKeepsTheSameNodesAcrossUpdates) {
  Cluster cluster(6);
  auto b = balancer(Kind::Aperture, cluster);
  Node* first = b->pick(kT0);

  auto reversed = cluster.ptrs();
  std::reverse(reversed.begin(), reversed.end());
  b->update(reversed);

  EXPECT_EQ(b->pick(kT0), first);
}

}  // namespace
}  // namespace meshd::lb
