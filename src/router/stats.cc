#include "meshd/router/stats.h"

#include <algorithm>

namespace meshd::router {

RequestStats::RequestStats(const telemetry::Scope& s)
    : scope(s),
      requests(s.counter("requests")),
      success(s.counter("success")),
      failures(s.counter("failures")),
      pending(s.gauge("pending")),
      request_latency_ms(s.histogram("request_latency_ms")) {}

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

void RequestStats::record(int status, std::uint64_t latency_ms) {
  requests->incr();
  request_latency_ms->record(latency_ms);
  if (status == 0 || status >= 500) {
    failures->incr();
  } else {
    success->incr();
  }
}

ServerStats::ServerStats(const telemetry::Scope& s)
    : RequestStats(s), connections(s.gauge("connections")), connects(s.counter("connects")) {}

void SharedStatsCache::Entry::set_addr(dtab::AddrConstSharedPtr addr) {
  std::lock_guard lock(mutex_);
  addr_ = std::move(addr);
}

dtab::AddrConstSharedPtr SharedStatsCache::Entry::addr() const {
  std::lock_guard lock(mutex_);
  return addr_;
}

SharedStatsCache::EntrySharedPtr SharedStatsCache::acquire(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto& slot = entries_[name];
  if (auto live = slot.lock()) {
    return live;
  }
  std::string element = name.size() > 1 && name.front() == '/' ? name.substr(1) : name;
  auto entry = std::shared_ptr<Entry>(new Entry(name, scope_.scope(element)),
                                      [this](Entry* e) { release(e); });
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
