#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <deque>
#include <mutex>

#include "meshd/trace/trace.h"
#include "trace/format_internal.h"

// `io.l5d.recentRequests`: Linkerd keeps the records of recent traces and rebuilds one entry per
// request passing through the router; meshd keeps the server spans themselves, which carry the
// same facts (router, logical and concrete names, the caller) and more.

namespace meshd::trace {

struct RecentRequests::State {
  std::size_t capacity;
  mutable std::mutex mutex;
  std::deque<Span> spans;  // oldest first
};

namespace {

const Tag* find_tag(const Span& span, std::string_view key) {
  for (const auto& t : span.tags) {
    if (t.key == key) {
      return &t;
    }
  }
  return nullptr;
}

boost::json::value string_tag(const Span& span, std::string_view key) {
  const Tag* t = find_tag(span, key);
  return t != nullptr ? boost::json::value(detail::tag_text(t->value)) : boost::json::value();
}

boost::json::value tag_json(const Tag::Value& value) {
  struct Visitor {
    boost::json::value operator()(const std::string& s) const { return boost::json::value(s); }
    boost::json::value operator()(bool b) const { return boost::json::value(b); }
    boost::json::value operator()(double d) const { return boost::json::value(d); }
    boost::json::value operator()(std::int64_t i) const { return boost::json::value(i); }
  };
  return std::visit(Visitor{}, value);
}

/// The classification as a success flag: `l5d.success` > 0 is a success, `l5d.failure` or
/// `l5d.retryable` a failure; null when the request was not classified.
boost::json::value success_of(const Span& span) {
  if (const Tag* t = find_tag(span, "l5d.success")) {
    const double* fraction = std::get_if<double>(&t->value);
    return boost::json::value(fraction != nullptr && *fraction > 0);
  }
  for (const auto& a : span.annotations) {
    if (a.value == "l5d.failure" || a.value == "l5d.retryable") {
      return boost::json::value(false);
    }
  }
  return boost::json::value();
}

boost::json::object entry_json(const Span& span) {
  boost::json::object out;
  out["timestamp"] = span.timestamp_us / 1000;
  out["traceId"] = detail::trace_id_hex(span.id);
  out["spanId"] = detail::hex16(span.id.span_id);
  out["router"] = string_tag(span, "router.label");
  out["method"] = string_tag(span, "http.req.method");
  out["uri"] = string_tag(span, "http.uri");
  out["host"] = string_tag(span, "http.req.host");
  out["service"] = string_tag(span, "service");
  out["client"] = string_tag(span, "client");
  const Tag* status = find_tag(span, "http.rsp.status");
  out["status"] = status != nullptr ? tag_json(status->value) : boost::json::value();
  out["durationMs"] = static_cast<double>(span.duration_us) / 1000.0;
  out["success"] = success_of(span);
  out["remote"] = span.remote ? boost::json::value(detail::endpoint_text(span.remote->address))
                              : boost::json::value();
  boost::json::array annotations;
  for (const auto& t : span.tags) {
    annotations.push_back(boost::json::object{{"key", t.key}, {"value", tag_json(t.value)}});
  }
  out["annotations"] = std::move(annotations);
  return out;
}

}  // namespace

RecentRequests::RecentRequests(double sample_rate, std::size_t capacity)
    : sample_rate_(sample_rate), state_(std::make_shared<State>()) {
  state_->capacity = capacity;
}

std::optional<bool> RecentRequests::sample(const TraceId&) const { return std::nullopt; }

bool RecentRequests::keeps(const TraceId& id) const {
  // Linkerd's RecentRequetsTracer samples by its own rate alone.
  return sampled_at(sample_rate_, id.trace_id);
}

void RecentRequests::record(Span span) {
  if (span.kind != Span::Kind::server) {
    return;
  }
  std::lock_guard lock(state_->mutex);
  if (state_->capacity == 0) {
    return;
  }
  if (state_->spans.size() >= state_->capacity) {
    state_->spans.pop_front();
  }
  state_->spans.push_back(std::move(span));
}

std::string RecentRequests::to_json() const {
  boost::json::array out;
  {
    std::lock_guard lock(state_->mutex);
    out.reserve(state_->spans.size());
    for (auto it = state_->spans.rbegin(); it != state_->spans.rend(); ++it) {
      out.push_back(entry_json(*it));
    }
  }
  return boost::json::serialize(out);
}

}  // namespace meshd::trace
