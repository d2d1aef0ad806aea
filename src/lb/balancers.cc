#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lb/seed_internal.h"
#include "meshd/lb/balancer.h"

// Finagle's balancers (`loadbalancer.Balancers`) over worker-local nodes. Finagle's distributors
// learn about load through the node wrappers; here the router tells the Node (`on_start`,
// `on_finish`) and the balancer reads it back when it picks, so a balancer keeps no per-request
// state of its own.

namespace meshd::lb {

namespace {

using std::chrono::duration_cast;
using std::chrono::nanoseconds;

// Finagle's `Status.best` order: Open beats Busy beats Closed.
int badness(Status s) {
  switch (s) {
    case Status::Open:
      return 0;
    case Status::Busy:
      return 1;
    case Status::Closed:
      return 2;
  }
  return 2;
}

// Uniform in [0, bound); `bound` ≥ 1.
std::size_t random_index(std::size_t bound, std::minstd_rand& rng) {
  return std::uniform_int_distribution<std::size_t>(0, bound - 1)(rng);
}

// Finagle's `P2C` distributor pick over `nodes[0, size)`, `size` ≥ 1: two distinct random
// nodes; the healthier one if their statuses differ, else the less loaded (ties to the second).
template <class Load>
Node* p2c_choose(Node* const* nodes, std::size_t size, std::minstd_rand& rng, TimePoint now,
                 Load load) {
  if (size == 1) {
    return nodes[0];
  }
  // The second draw skips the first index without favouring its successor (Finagle's "hole").
  std::size_t a = random_index(size, rng);
  std::size_t b = random_index(size - 1, rng);
  if (b >= a) {
    ++b;
  }
  Node* na = nodes[a];
  Node* nb = nodes[b];
  Status sa = na->status(now);
  Status sb = nb->status(now);
  if (sa != sb) {
    return badness(sa) < badness(sb) ? na : nb;
  }
  return load(*na) < load(*nb) ? na : nb;
}

double outstanding_load(const Node& node) { return static_cast<double>(node.outstanding()); }

// What every kind shares: the node set, the generator, the gauges and Finagle's `maxEffort` loop.
class BalancerBase : public Balancer {
 public:
  BalancerBase(const BalancerOptions& options, std::uint64_t seed)
      : options_(options), rng_(mix_seed(seed)) {}

  // lb::Balancer
  void update(std::vector<Node*> nodes) override {
    nodes_ = std::move(nodes);
    on_update();
  }

  Counts counts(TimePoint now) const override {
    Counts c;
    c.size = nodes_.size();
    for (const Node* node : nodes_) {
      switch (node->status(now)) {
        case Status::Open:
          ++c.available;
          break;
        case Status::Busy:
          ++c.busy;
          break;
        case Status::Closed:
          ++c.closed;
          break;
      }
      c.load += static_cast<double>(node->outstanding());
    }
    return c;
  }

 protected:
  /// The node set changed: bring per-kind state back in range.
  virtual void on_update() {}

  /// Finagle's `Balancer.apply`: up to `max_effort` picks (at least one) until one is Open;
  /// otherwise the last one, counted in `max_effort_exhausted`. `nodes_` is not empty.
  template <class PickOnce>
  Node* pick_with_effort(TimePoint now, PickOnce pick_once) {
    Node* node = nullptr;
    int tries = std::max(1, options_.max_effort);
    for (int i = 0; i < tries; ++i) {
      node = pick_once();
      if (node->status(now) == Status::Open) {
        return node;
      }
    }
    ++max_effort_exhausted_;
    return node;
  }

  BalancerOptions options_;
  std::minstd_rand rng_;
  std::vector<Node*> nodes_;
};

// `p2c` (Finagle's P2CLeastLoaded, load = requests outstanding) and `ewma` (P2CPeakEwma, load =
// Node::ewma_load). O(1) per pick.
class P2cBalancer final : public BalancerBase {
 public:
  P2cBalancer(const BalancerOptions& options, std::uint64_t seed, bool peak_ewma)
      : BalancerBase(options, seed), peak_ewma_(peak_ewma) {}

  // lb::Balancer
  Node* pick(TimePoint now) override {
    if (nodes_.empty()) {
      return nullptr;
    }
    return pick_with_effort(now, [&] {
      if (peak_ewma_) {
        return p2c_choose(nodes_.data(), nodes_.size(), rng_, now,
                          [now](const Node& n) { return n.ewma_load(now); });
      }
      return p2c_choose(nodes_.data(), nodes_.size(), rng_, now, outstanding_load);
    });
  }

 private:
  bool peak_ewma_;
};

// `roundRobin` (Finagle's RoundRobinBalancer): the next node in the caller's order; a node that is
// not Open costs one of the `max_effort` tries. O(1) per pick.
class RoundRobinBalancer final : public BalancerBase {
 public:
  using BalancerBase::BalancerBase;

  // lb::Balancer
  Node* pick(TimePoint now) override {
    if (nodes_.empty()) {
      return nullptr;
    }
    return pick_with_effort(now, [this] {
      Node* node = nodes_[cursor_];
      cursor_ = cursor_ + 1 == nodes_.size() ? 0 : cursor_ + 1;
      return node;
    });
  }

 private:
  void on_update() override { cursor_ = nodes_.empty() ? 0 : cursor_ % nodes_.size(); }

  std::size_t cursor_ = 0;
};

// `heap` (Finagle's HeapLeastLoaded): the Open node with the fewest requests outstanding. Finagle
// keeps a heap ordered by load that its node wrappers fix up; our loads change behind the
// balancer's back, so this scans: O(n) per pick. Ties go to the first node found from a start
// that rotates each pick (Finagle swaps an idle node with a random one for the same effect).
class HeapBalancer final : public BalancerBase {
 public:
  using BalancerBase::BalancerBase;

  // lb::Balancer
  Node* pick(TimePoint now) override {
    if (nodes_.empty()) {
      return nullptr;
    }
    std::size_t n = nodes_.size();
    Node* best = nullptr;
    int best_badness = 0;
    for (std::size_t i = 0; i < n; ++i) {
      Node* node = nodes_[(start_ + i) % n];
      int b = badness(node->status(now));
      if (best == nullptr || b < best_badness ||
          (b == best_badness && node->outstanding() < best->outstanding())) {
        best = node;
        best_badness = b;
      }
    }
    start_ = start_ + 1 == n ? 0 : start_ + 1;
    if (best_badness != 0) {  // as Finagle: no Open node, so send somewhere anyway
      ++max_effort_exhausted_;
    }
    return best;
  }

 private:
  void on_update() override { start_ = nodes_.empty() ? 0 : start_ % nodes_.size(); }

  std::size_t start_ = 0;
};

// `aperture` (Finagle's ApertureLeastLoaded with the LoadBand controller): p2c over a window of
// the first `aperture_` Open nodes of a stable random order, so a small window always means the
// same few warm endpoints. Each pick feeds the window's requests outstanding (this one included)
// to an EMA over `smooth_window`; a smoothed load per window node at or above `high_load` widens
// the window by one node, at or below `low_load` narrows it by one, down to `min_aperture`.
// O(window + non-Open nodes in front of its end) per pick.
class ApertureBalancer final : public BalancerBase {
 public:
  ApertureBalancer(const BalancerOptions& options, std::uint64_t seed)
      : BalancerBase(options, seed),
        min_aperture_(static_cast<std::size_t>(std::max(1, options.min_aperture))),
        aperture_(min_aperture_),
        smooth_ns_(static_cast<double>(duration_cast<nanoseconds>(options.smooth_window).count())) {
  }

  // lb::Balancer
  Node* pick(TimePoint now) override {
    if (nodes_.empty()) {
      return nullptr;
    }
    // The window: the first `aperture_` Open nodes in order (Finagle builds its ring from the
    // nodes that are up, so dead ones do not take a place), and whether more Open nodes follow.
    window_.clear();
    bool more_open = false;
    double load = 1.0;  // the request being placed, as Finagle counts it on dispatch
    for (Node* node : order_) {
      if (node->status(now) != Status::Open) {
        continue;
      }
      if (window_.size() == aperture_) {
        more_open = true;
        break;
      }
      window_.push_back(node);
      load += static_cast<double>(node->outstanding());
    }
    if (window_.empty()) {  // nothing Open: send somewhere anyway
      ++max_effort_exhausted_;
      return p2c_choose(order_.data(), std::min(aperture_, order_.size()), rng_, now,
                        outstanding_load);
    }
    if (window_.size() < aperture_) {  // Finagle clamps the aperture to the nodes that are up
      aperture_ = window_.size();
    }
    adjust(load, now, more_open);
    return p2c_choose(window_.data(), window_.size(), rng_, now, outstanding_load);
  }

 private:
  void on_update() override;
  void adjust(double load, TimePoint now, bool more_open);

  std::size_t min_aperture_;
  std::size_t aperture_;
  double smooth_ns_;
  // Finagle's `util.Ema` over nanosecond stamps: the first sample is taken as is.
  bool ema_empty_ = true;
  double ema_ = 0.0;
  TimePoint ema_stamp_{};
  // A random token per node, drawn when the node first appears, orders `order_`.
  std::unordered_map<const Node*, std::uint32_t> tokens_;
  std::vector<Node*> order_;
  std::vector<Node*> window_;  // scratch for pick(), reserved to the set's size
};

void ApertureBalancer::on_update() {
  std::unordered_map<const Node*, std::uint32_t> tokens;
  tokens.reserve(nodes_.size());
  for (const Node* node : nodes_) {
    auto it = tokens_.find(node);
    tokens.emplace(node, it != tokens_.end() ? it->second : static_cast<std::uint32_t>(rng_()));
  }
  tokens_ = std::move(tokens);
  order_ = nodes_;
  std::stable_sort(order_.begin(), order_.end(),
                   [this](const Node* a, const Node* b) { return tokens_.at(a) < tokens_.at(b); });
  window_.clear();
  window_.reserve(order_.size());
  aperture_ = std::clamp(aperture_, std::min(min_aperture_, order_.size()),
                         std::max<std::size_t>(1, order_.size()));
}

void ApertureBalancer::adjust(double load, TimePoint now, bool more_open) {
  if (ema_empty_) {
    ema_ = load;
    ema_empty_ = false;
  } else {
    double td = static_cast<double>(
        std::max<nanoseconds::rep>(0, duration_cast<nanoseconds>(now - ema_stamp_).count()));
    double w = smooth_ns_ <= 0 ? 0.0 : std::exp(-td / smooth_ns_);
    ema_ = load * (1.0 - w) + ema_ * w;
  }
  ema_stamp_ = std::max(ema_stamp_, now);
  // One step at a time in either direction; an overshoot corrects itself on the next picks.
  double per_node = ema_ / static_cast<double>(aperture_);
  if (per_node >= options_.high_load && more_open) {
    ++aperture_;
  } else if (per_node <= options_.low_load && aperture_ > min_aperture_) {
    --aperture_;
  }
}

}  // namespace

std::unique_ptr<Balancer> make_balancer(const BalancerOptions& options, std::uint64_t seed) {
  switch (options.kind) {
    case BalancerOptions::Kind::P2C:
      return std::make_unique<P2cBalancer>(options, seed, false);
    case BalancerOptions::Kind::Ewma:
      return std::make_unique<P2cBalancer>(options, seed, true);
    case BalancerOptions::Kind::RoundRobin:
      return std::make_unique<RoundRobinBalancer>(options, seed);
    case BalancerOptions::Kind::Heap:
      return std::make_unique<HeapBalancer>(options, seed);
    case BalancerOptions::Kind::Aperture:
      return std::make_unique<ApertureBalancer>(options, seed);
  }
  return std::make_unique<P2cBalancer>(options, seed, false);
}

}  // namespace meshd::lb
