#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

#include "meshd/telemetry/counter.h"
#include "meshd/telemetry/gauge.h"
#include "meshd/telemetry/histogram.h"

namespace meshd::telemetry {

/// A metric's scope elements, outermost first: `{"rt", "outgoing", "server", "127.0.0.1/4140",
/// "requests"}`. An element may contain `/`; exports join elements with `/` (JSON) or `:`.
using Name = std::vector<std::string>;

/// A counter's value in a `MetricsNode`.
struct CounterSample {
  std::uint64_t value = 0;
};

/// A gauge's value in a `MetricsNode`.
struct GaugeSample {
  double value = 0.0;
};

/// A point-in-time copy of (part of) the registry, as the exporters see it: each node has at
/// most one metric of its own and children keyed by scope element, in byte order. A histogram
/// appears as its served summary; one with nothing to serve yet (no snapshot) as `monostate`.
struct MetricsNode {
  std::variant<std::monostate, CounterSample, GaugeSample, HistogramSummary> metric;
  std::map<std::string, MetricsNode, std::less<>> children;
};

class Scope;

/// The process-wide tree of metrics (Linkerd's MetricsTree). Owners create their metrics once
/// (get-or-create by name; this takes a mutex) and keep the returned pointer: updating a metric
/// never touches the registry. Thread-safe; created by the app before the workers start.
class Registry {
 public:
  struct Options {
    /// Number of worker threads: metrics get one cell per worker plus slot 0 for other threads.
    std::size_t workers = std::thread::hardware_concurrency();
    /// Export histograms' live values instead of their last snapshot (tests, debugging).
    bool live_histograms = false;
  };

  /// Creates an empty registry; see `Options`.
  Registry() : Registry(Options{}) {}
  explicit Registry(Options options);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  /// The counter at `name`, created on first use. A name already holding another kind of metric
  /// (or an empty name) is a bug: it is logged and a detached counter is returned, whose updates
  /// go nowhere. Never null.
  CounterSharedPtr counter(const Name& name);

  /// The settable/adjustable gauge at `name`, created on first use (same rules as `counter`).
  GaugeSharedPtr gauge(const Name& name);

  /// Registers a callback gauge at `name` (Finagle's addGauge). The registry holds it weakly:
  /// it is exported while the caller keeps the returned pointer, and disappears when that is
  /// released, so `callback` may capture its owner. Registering again at the same name replaces
  /// the previous callback gauge. See `Gauge(std::function<double()>)` for where it runs. A scrape
  /// in progress keeps the gauge (not its owner) alive: an owner destroyed on a worker while the
  /// control thread scrapes should let the callback capture shared state, not `this`.
  GaugeSharedPtr gauge(const Name& name, std::function<double()> callback);

  /// The histogram at `name`, created on first use (same rules as `counter`).
  HistogramSharedPtr histogram(const Name& name);

  /// Removes the node at `prefix` with every metric below it (idle clients). Pointers already
  /// handed out stay valid but are no longer exported. Returns false when there was no such node.
  bool remove(const Name& prefix);

  /// Snapshots and resets every histogram (see `Histogram::snapshot`). Control thread.
  void snapshot_histograms();

  /// Copies the current values into a tree for the exporters. Evaluates callback gauges on the
  /// calling thread, outside the registry's lock. Also forgets expired callback gauges.
  MetricsNode sample() const;

  /// A view that creates metrics under `prefix` (Finagle's scoped StatsReceiver).
  Scope scope(Name prefix = {});

  /// Cells per metric: `workers + 1`.
  std::size_t slots() const noexcept { return slots_; }

 private:
  struct Node;
  using Metric = std::variant<std::monostate, CounterSharedPtr, GaugeSharedPtr,
                              std::weak_ptr<Gauge>, HistogramSharedPtr>;

  Node* find_or_create(const Name& name);
  template <class T, class Make>
  std::shared_ptr<T> get_or_create(const Name& name, const char* kind, Make make);

  std::size_t slots_;
  bool live_histograms_;
  mutable std::mutex mutex_;  // guards the tree's shape, never taken by metric updates
  std::unique_ptr<Node> root_;
};

/// A registry view rooted at a scope: `registry.scope({"rt", "outgoing"}).scope("client")`.
/// Cheap to copy; the registry must outlive it.
class Scope {
 public:
  /// A view of `registry` (which must outlive it) rooted at `prefix`.
  Scope(Registry& registry, Name prefix) : registry_(&registry), prefix_(std::move(prefix)) {}

  /// A view one element deeper.
  Scope scope(std::string_view element) const;

  /// `Registry::counter`, `gauge` and `histogram` at `prefix() + name`, with the same rules.
  CounterSharedPtr counter(std::string_view name) const;
  GaugeSharedPtr gauge(std::string_view name) const;
  GaugeSharedPtr gauge(std::string_view name, std::function<double()> callback) const;
  HistogramSharedPtr histogram(std::string_view name) const;

  /// Removes everything under this scope from the registry.
  bool remove() const { return registry_->remove(prefix_); }

  /// The elements this view prepends.
  const Name& prefix() const noexcept { return prefix_; }
  /// The registry this view creates metrics in.
  Registry& registry() const noexcept { return *registry_; }

 private:
  Name child(std::string_view name) const;

  Registry* registry_;
  Name prefix_;
};

/// Calls `registry.snapshot_histograms()` every `interval` (Linkerd: 1 minute) until cancelled.
/// Run it on the control executor with a completion handler that logs; `registry` must outlive
/// the coroutine. Cancellation ends the loop without an error.
boost::asio::awaitable<void> run_histogram_snapshots(Registry& registry,
                                                     std::chrono::steady_clock::duration interval);

}  // namespace meshd::telemetry
