#include "meshd/router/stats.h"

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

}  // namespace meshd::router
