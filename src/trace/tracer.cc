#include <algorithm>

#include "meshd/trace/trace.h"

namespace meshd::trace {

Tracer::Tracer(std::vector<std::shared_ptr<Sink>> sinks) : sinks_(std::move(sinks)) {
  std::erase(sinks_, nullptr);
}

std::optional<bool> Tracer::sample(const TraceId& id) const {
  // Finagle's BroadcastTracer: one yes is enough, a no needs everyone.
  bool all_no = !sinks_.empty();
  for (const auto& sink : sinks_) {
    auto decision = sink->sample(id);
    if (decision == true) {
      return true;
    }
    all_no = all_no && decision == false;
  }
  return all_no ? std::optional<bool>(false) : std::nullopt;
}

void Tracer::record(const Span& span) const {
  if (span.id.sampled == false && !span.id.debug) {
    return;
  }
  for (const auto& sink : sinks_) {
    if (sink->keeps(span.id)) {
      sink->record(span);
    }
  }
}

void Tracer::start(asio::any_io_executor control) {
  for (const auto& sink : sinks_) {
    sink->start(control);
  }
}

void Tracer::stop() {
  for (const auto& sink : sinks_) {
    sink->stop();
  }
}

}  // namespace meshd::trace
