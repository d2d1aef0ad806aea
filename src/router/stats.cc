#include "meshd/router/stats.h"

#include <algorithm>
#include <iterator>

namespace meshd::router {

RequestStats::RequestStats(const telemetry::Scope& s)
    : scope(s),
      requests(s.counter("requests")),
      success(s.counter("success")),
      failures(s.counter("failures")),
      pending(s.gauge("pending")),
      request_latency_ms(s.histogram("request_latency_ms")) {}

StreamStats::StreamStats(const telemetry::Scope& s, std::string_view duration_name)
    : duration(s.histogram(duration_name)),
      data_bytes(s.histogram("data_bytes")),
      success(s.counter("stream_success")),
      failures(s.counter("stream_failures")) {}

void StreamStats::record(bool ok, std::uint64_t duration_ms, std::uint64_t bytes) const {
  data_bytes->record(bytes);
  record(ok, duration_ms);
}

void StreamStats::record(bool ok, std::uint64_t duration_ms) const {
  duration->record(duration_ms);
  (ok ? success : failures)->incr();
}

telemetry::Registry& RequestStats::dummy_registry() {
  static telemetry::Registry registry;
  return registry;
}

telemetry::CounterSharedPtr RequestStats::status_counter(int status) {
  return scope.scope("status").counter(std::to_string(status));
}

telemetry::CounterSharedPtr RequestStats::status_class_counter(int status) {
  return scope.scope("status").counter(std::to_string(status / 100) + "XX");
}

void RequestStats::record(bool ok, std::uint64_t latency_ms) {
  requests->incr();
  request_latency_ms->record(latency_ms);
  (ok ? success : failures)->incr();
}

telemetry::HistogramSharedPtr RequestStats::status_class_latency(int status) {
  return scope.scope("time").histogram(std::to_string(status / 100) + "XX");
}

ServerStats::ServerStats(const telemetry::Scope& s)
    : RequestStats(s),
      connections(s.gauge("connections")),
      connects(s.counter("connects")),
      status_error(s.scope("status").counter("error")),
      time_error(s.scope("time").histogram("error")) {}

void StatusStats::record(RequestStats& stats, int status, std::uint64_t latency_ms) {
  if (last_ == nullptr || status != last_status_) [[unlikely]] {
    Metrics& found = by_status_[status];
    if (!found.code) {
      found = {stats.status_counter(status), stats.status_class_counter(status),
               stats.status_class_latency(status)};
    }
    last_status_ = status;
    last_ = &found;
  }
  Metrics& m = *last_;
  m.code->incr();
  m.code_class->incr();
  m.time_class->record(latency_ms);
}

namespace {

/// The bound addresses of a snapshot as sorted `host:port` strings (none unless Bound).
std::vector<std::string> address_set(const dtab::AddrConstSharedPtr& addr) {
  std::vector<std::string> out;
  if (addr && addr->kind == dtab::Addr::Kind::Bound) {
    for (const auto& a : addr->addresses) {
      out.push_back(a.host + ":" + std::to_string(a.port));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

void SharedStatsCache::Entry::set_addr(dtab::AddrConstSharedPtr addr) {
  std::size_t adds = 0;
  std::size_t removes = 0;
  {
    std::lock_guard lock(mutex_);
    if (addr == addr_) {
      return;
    }
    // Counted once for the process: the first worker to see a snapshot records the change.
    auto before = address_set(addr_);
    auto after = address_set(addr);
    std::vector<std::string> diff;
    std::set_difference(after.begin(), after.end(), before.begin(), before.end(),
                        std::back_inserter(diff));
    adds = diff.size();
    diff.clear();
    std::set_difference(before.begin(), before.end(), after.begin(), after.end(),
                        std::back_inserter(diff));
    removes = diff.size();
    addr_ = std::move(addr);
  }
  if (adds > 0) {
    counter("loadbalancer/adds")->incr(adds);
  }
  if (removes > 0) {
    counter("loadbalancer/removes")->incr(removes);
  }
}

dtab::AddrConstSharedPtr SharedStatsCache::Entry::addr() const {
  std::lock_guard lock(mutex_);
  return addr_;
}

telemetry::CounterSharedPtr SharedStatsCache::Entry::counter(std::string_view name) {
  std::lock_guard lock(counters_mutex_);
  auto it = counters_.find(name);
  if (it == counters_.end()) {
    // `retries/requeues` is the counter `requeues` in the scope `retries`.
    telemetry::Scope scope = stats.scope;
    std::string_view rest = name;
    for (auto slash = rest.find('/'); slash != std::string_view::npos; slash = rest.find('/')) {
      scope = scope.scope(rest.substr(0, slash));
      rest.remove_prefix(slash + 1);
    }
    it = counters_.emplace(std::string(name), scope.counter(rest)).first;
  }
  return it->second;
}

void SharedStatsCache::register_gauges(Entry& entry) const {
  if (kind_ == Kind::Plain) {
    return;
  }
  // The callbacks read the cells only: they run on the control thread and may outlive nothing
  // but the entry, which owns them (the registry holds callback gauges weakly).
  const WorkerCells* cells = &entry.cells;
  auto sum = [cells](std::atomic<std::int64_t> WorkerCell::*field) {
    return [cells, field] {
      std::int64_t total = 0;
      for (std::size_t i = 0; i < cells->size(); ++i) {
        total += ((*cells)[i].*field).load(std::memory_order_relaxed);
      }
      return static_cast<double>(total);
    };
  };
  // Each worker balances over the same endpoints: report the mean of the workers that hold the
  // client, as one balancer would.
  auto mean = [cells](std::atomic<std::int64_t> WorkerCell::*field) {
    return [cells, field] {
      std::int64_t total = 0;
      std::int64_t holders = 0;
      for (std::size_t i = 0; i < cells->size(); ++i) {
        if ((*cells)[i].size.load(std::memory_order_relaxed) > 0) {
          ++holders;
          total += ((*cells)[i].*field).load(std::memory_order_relaxed);
        }
      }
      return holders == 0 ? 0.0 : static_cast<double>(total) / static_cast<double>(holders);
    };
  };
  telemetry::Scope retries = entry.stats.scope.scope("retries");
  entry.gauges.push_back(retries.gauge("budget", sum(&WorkerCell::budget)));
  if (kind_ == Kind::Client) {
    telemetry::Scope lb = entry.stats.scope.scope("loadbalancer");
    entry.gauges.push_back(lb.gauge("size", mean(&WorkerCell::size)));
    entry.gauges.push_back(lb.gauge("available", mean(&WorkerCell::available)));
    entry.gauges.push_back(lb.gauge("busy", mean(&WorkerCell::busy)));
    entry.gauges.push_back(lb.gauge("closed", mean(&WorkerCell::closed)));
    entry.gauges.push_back(lb.gauge("load", sum(&WorkerCell::load)));
    entry.gauges.push_back(entry.stats.scope.gauge("connections", sum(&WorkerCell::connections)));
  }
}

SharedStatsCache::EntrySharedPtr SharedStatsCache::acquire(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto& slot = entries_[name];
  if (auto live = slot.lock()) {
    return live;
  }
  std::string element = name.size() > 1 && name.front() == '/' ? name.substr(1) : name;
  auto entry = std::shared_ptr<Entry>(
      new Entry(name, scope_.scope(element), scope_.registry().slots(), streams_),
      [this](Entry* e) { release(e); });
  register_gauges(*entry);
  slot = entry;
  return entry;
}

void SharedStatsCache::release(Entry* entry) noexcept {
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(entry->name());
    // Another worker may already hold a new entry for the name: then its metrics stay.
    if (it != entries_.end() && it->second.expired()) {
      entries_.erase(it);
      const std::string& name = entry->name();
      scope_.scope(name.size() > 1 && name.front() == '/' ? name.substr(1) : name).remove();
    }
  }
  delete entry;
}

std::vector<SharedStatsCache::EntrySharedPtr> SharedStatsCache::live() const {
  std::vector<EntrySharedPtr> out;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, weak] : entries_) {
      if (auto e = weak.lock()) {
        out.push_back(std::move(e));
      }
    }
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a->name() < b->name(); });
  return out;
}

}  // namespace meshd::router
