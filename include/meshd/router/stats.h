#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "meshd/telemetry/registry.h"

namespace meshd::router {

/// Milliseconds since `start`, as the latency stats record them.
inline std::uint64_t elapsed_ms(std::chrono::steady_clock::time_point start) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now() - start)
                                        .count());
}

/// Request stats of one scope (`rt/<r>/server/<ip>/<port>`, `rt/<r>/service/<name>`,
/// `rt/<r>/client/<id>`), Linkerd's names. Created once; updated lock-free from any worker.
struct RequestStats {
  RequestStats() = default;
  explicit RequestStats(const telemetry::Scope& scope);

  /// Records one finished request: `status` 0 means no response (an error); 5xx and errors are
  /// failures (Linkerd's default classifier).
  void record(int status, std::uint64_t latency_ms);

  telemetry::Scope scope{dummy_registry(), {}};
  telemetry::CounterSharedPtr requests, success, failures;
  telemetry::GaugeSharedPtr pending;
  telemetry::HistogramSharedPtr request_latency_ms;
  /// `status/<code>` and `status/<N>XX`, created on first use (the registry dedups).
  telemetry::CounterSharedPtr status_counter(int status);
  /// `status/<N>XX` of `status` (`2XX`).
  telemetry::CounterSharedPtr status_class_counter(int status);

 private:
  static telemetry::Registry& dummy_registry();
};

/// Holds a `pending` gauge up for its lifetime: a request in flight, however it ends (a
/// cancelled coroutine unwinds through the destructor too).
class PendingGuard {
 public:
  explicit PendingGuard(telemetry::Gauge& g) : gauge_(&g) { gauge_->incr(); }
  ~PendingGuard() { gauge_->decr(); }
  PendingGuard(const PendingGuard&) = delete;
  PendingGuard& operator=(const PendingGuard&) = delete;

 private:
  telemetry::Gauge* gauge_;
};

/// Stats of one router server; adds the connection gauge and counters.
struct ServerStats : RequestStats {
  explicit ServerStats(const telemetry::Scope& scope);
  telemetry::GaugeSharedPtr connections;
  telemetry::CounterSharedPtr connects;
};

/// The stats root of a router (`rt/<label>`), shared by its workers.
struct RouterStats {
  explicit RouterStats(telemetry::Scope scope) : scope(std::move(scope)) {}
  telemetry::Scope scope;
};

}  // namespace meshd::router
