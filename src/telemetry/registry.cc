#include "meshd/telemetry/registry.h"

#include <utility>

#include "meshd/core/asio.h"
#include "meshd/core/log.h"

namespace meshd::telemetry {

struct Registry::Node {
  Metric metric;
  std::map<std::string, std::unique_ptr<Node>, std::less<>> children;
};

namespace {

std::string join(const Name& name) {
  std::string out;
  for (const auto& e : name) {
    if (!out.empty()) {
      out += '/';
    }
    out += e;
  }
  return out;
}

bool is_expired_gauge(const auto& metric) {
  const auto* weak = std::get_if<std::weak_ptr<Gauge>>(&metric);
  return weak != nullptr && weak->expired();
}

}  // namespace

Registry::Registry(Options options)
    : slots_(options.workers + 1),
      live_histograms_(options.live_histograms),
      root_(std::make_unique<Node>()) {}

// Defined here, where Node is complete.
Registry::~Registry() = default;

Registry::Node* Registry::find_or_create(const Name& name) {
  Node* node = root_.get();
  for (const auto& element : name) {
    auto& child = node->children[element];
    if (!child) {
      child = std::make_unique<Node>();
    }
    node = child.get();
  }
  return node;
}

template <class T, class Make>
std::shared_ptr<T> Registry::get_or_create(const Name& name, const char* kind, Make make) {
  if (name.empty()) {
    log::get("telemetry")->error("metric with an empty name kind={}", kind);
    return make();
  }
  std::lock_guard lock(mutex_);
  Node* node = find_or_create(name);
  if (auto* existing = std::get_if<std::shared_ptr<T>>(&node->metric)) {
    return *existing;
  }
  if (std::holds_alternative<std::monostate>(node->metric) || is_expired_gauge(node->metric)) {
    auto created = make();
    node->metric = created;
    return created;
  }
  log::get("telemetry")
      ->error("metric kind conflict name={} kind={}: returning a detached metric", join(name),
              kind);
  return make();
}

CounterSharedPtr Registry::counter(const Name& name) {
  return get_or_create<Counter>(name, "counter", [&] { return std::make_shared<Counter>(slots_); });
}

GaugeSharedPtr Registry::gauge(const Name& name) {
  return get_or_create<Gauge>(name, "gauge", [&] { return std::make_shared<Gauge>(slots_); });
}

GaugeSharedPtr Registry::gauge(const Name& name, std::function<double()> callback) {
  auto gauge = std::make_shared<Gauge>(std::move(callback));
  if (name.empty()) {
    log::get("telemetry")->error("metric with an empty name kind=callback gauge");
    return gauge;
  }
  std::lock_guard lock(mutex_);
  Node* node = find_or_create(name);
  if (std::holds_alternative<std::monostate>(node->metric) ||
      std::holds_alternative<std::weak_ptr<Gauge>>(node->metric)) {
    node->metric = std::weak_ptr<Gauge>(gauge);
  } else {
    log::get("telemetry")
        ->error("metric kind conflict name={} kind=callback gauge: returning a detached metric",
                join(name));
  }
  return gauge;
}

HistogramSharedPtr Registry::histogram(const Name& name) {
  return get_or_create<Histogram>(name, "histogram",
                                  [&] { return std::make_shared<Histogram>(slots_); });
}

bool Registry::remove(const Name& prefix) {
  std::lock_guard lock(mutex_);
  if (prefix.empty()) {
    bool had = !root_->children.empty();
    root_->children.clear();
    return had;
  }
  Node* parent = root_.get();
  for (std::size_t i = 0; i + 1 < prefix.size(); ++i) {
    auto it = parent->children.find(prefix[i]);
    if (it == parent->children.end()) {
      return false;
    }
    parent = it->second.get();
  }
  return parent->children.erase(prefix.back()) > 0;
}

void Registry::snapshot_histograms() {
  std::vector<HistogramSharedPtr> histograms;
  {
    std::lock_guard lock(mutex_);
    std::vector<const Node*> stack{root_.get()};
    while (!stack.empty()) {
      const Node* node = stack.back();
      stack.pop_back();
      if (const auto* h = std::get_if<HistogramSharedPtr>(&node->metric)) {
        histograms.push_back(*h);
      }
      for (const auto& [_, child] : node->children) {
        stack.push_back(child.get());
      }
    }
  }
  for (const auto& h : histograms) {
    h->snapshot();
  }
}

namespace {

// A metric whose value is read after the registry's lock is released.
struct PendingRead {
  MetricsNode* target;
  std::variant<std::monostate, CounterSharedPtr, GaugeSharedPtr, HistogramSharedPtr> metric;
};

}  // namespace

MetricsNode Registry::sample() const {
  MetricsNode root;
  std::vector<PendingRead> reads;
  {
    std::lock_guard lock(mutex_);
    // Copies the shape of `from` into `to`; drops childless nodes whose callback gauge expired.
    auto copy = [&](auto& self, Node& from, MetricsNode& to) -> void {
      std::visit(
          [&](const auto& m) {
            using M = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<M, std::weak_ptr<Gauge>>) {
              if (auto g = m.lock()) {
                reads.push_back({&to, std::move(g)});
              }
            } else if constexpr (!std::is_same_v<M, std::monostate>) {
              reads.push_back({&to, m});
            }
          },
          from.metric);
      for (auto it = from.children.begin(); it != from.children.end();) {
        Node& child = *it->second;
        if (child.children.empty() && is_expired_gauge(child.metric)) {
          it = from.children.erase(it);
          continue;
        }
        self(self, child, to.children[it->first]);
        ++it;
      }
    };
    copy(copy, *root_, root);
  }
  for (auto& read : reads) {
    if (auto* c = std::get_if<CounterSharedPtr>(&read.metric)) {
      read.target->metric = CounterSample{(*c)->value()};
    } else if (auto* g = std::get_if<GaugeSharedPtr>(&read.metric)) {
      read.target->metric = GaugeSample{(*g)->value()};
    } else if (auto* h = std::get_if<HistogramSharedPtr>(&read.metric)) {
      auto summary = live_histograms_ ? std::optional((*h)->live()) : (*h)->last_snapshot();
      if (summary) {
        read.target->metric = *summary;
      }
    }
  }
  return root;
}

Scope Registry::scope(Name prefix) { return Scope(*this, std::move(prefix)); }

Name Scope::child(std::string_view name) const {
  Name out = prefix_;
  out.emplace_back(name);
  return out;
}

Scope Scope::scope(std::string_view element) const { return Scope(*registry_, child(element)); }

CounterSharedPtr Scope::counter(std::string_view name) const {
  return registry_->counter(child(name));
}

GaugeSharedPtr Scope::gauge(std::string_view name) const { return registry_->gauge(child(name)); }

GaugeSharedPtr Scope::gauge(std::string_view name, std::function<double()> callback) const {
  return registry_->gauge(child(name), std::move(callback));
}

HistogramSharedPtr Scope::histogram(std::string_view name) const {
  return registry_->histogram(child(name));
}

asio::awaitable<void> run_histogram_snapshots(Registry& registry,
                                              std::chrono::steady_clock::duration interval) {
  // Cancellation is checked explicitly below, so that it ends the loop instead of throwing.
  co_await asio::this_coro::throw_if_cancelled(false);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto next = std::chrono::steady_clock::now() + interval;
  for (;;) {
    // Absolute deadlines keep the 60 s cadence from drifting by the snapshot's own cost.
    timer.expires_at(next);
    auto [ec] = co_await timer.async_wait(use_nothrow);
    auto state = co_await asio::this_coro::cancellation_state;
    if (ec || state.cancelled() != asio::cancellation_type::none) {
      co_return;
    }
    registry.snapshot_histograms();
    next += interval;
    if (auto now = std::chrono::steady_clock::now(); next < now) {
      next = now + interval;  // fell behind (suspended process): skip, do not catch up
    }
  }
}

}  // namespace meshd::telemetry
