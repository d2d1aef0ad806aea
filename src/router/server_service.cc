#include <charconv>
#include <cstdlib>

#include "meshd/core/log.h"
#include "meshd/filters/deadline.h"
#include "meshd/router/errors.h"
#include "meshd/router/router.h"
#include "meshd/router/stream_watch.h"

namespace meshd::router {
namespace {

/// Linkerd's ProxyRewriteFilter: an absolute-form target (`http_proxy` clients) sets Host to
/// the URI authority exactly as written and keeps the rest (path, query, fragment) as target.
void rewrite_absolute_form(http::Request& req) {
  auto scheme_end = req.target.find("://");
  if (scheme_end == std::string::npos || req.target.front() == '/') {
    return;
  }
  for (std::size_t i = 0; i < scheme_end; ++i) {
    char c = req.target[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return;  // not a scheme: leave the target alone
    }
  }
  std::size_t auth_start = scheme_end + 3;
  std::size_t auth_end = req.target.find_first_of("/?#", auth_start);
  if (auth_end == std::string::npos) {
    auth_end = req.target.size();
  }
  std::string authority = req.target.substr(auth_start, auth_end - auth_start);
  std::string rest = req.target.substr(auth_end);
  if (rest.empty() || rest.front() != '/') {
    rest.insert(0, "/");
  }
  // h2 (Linkerd's h2 ProxyRewriteFilter): the authority goes to `:authority`.
  req.headers.set(req.version.major == 2 ? ":authority" : "Host", authority);
  req.target = std::move(rest);
}

/// Linkerd's `io.buoyant.router.Failure` annotation for where a request failed ("" if not).
std::string failure_stage_name(http::FailureStage stage) {
  switch (stage) {
    case http::FailureStage::Identification:
      return "Identification";
    case http::FailureStage::Binding:
    case http::FailureStage::ClientAcquisition:
      return "ClientAcquisition";
    case http::FailureStage::Service:
      return "Service";
    case http::FailureStage::None:
      break;
  }
  return "";
}

/// An `l5d-success-class` value above 0 (a decimal number, as Linkerd writes it).
bool success_class_positive(std::string_view value) {
  // The values the classifiers write, without the general parse.
  if (value == "1.0") {
    return true;
  }
  if (value == "0.0") {
    return false;
  }
  double v = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  return ec == std::errc() && v > 0;
}

}  // namespace

ServerService::ServerService(RouterWorker& router, ServerSettings settings, ServerStats& stats)
    : router_(router), settings_(std::move(settings)), stats_(stats) {}

bool ServerService::read_context(http::Request& req, Result<http::Response>& rsp) const {
  const RouterOptions& options = router_.options();
  std::optional<TraceId> caller;
  if (!settings_.clear_context) {
    caller = options.propagator->read(req.headers);
  }
  // The server span is a child of the caller's (Linkerd's TraceInitializer), or a new trace;
  // the tracers decide sampling when the caller did not.
  req.ctx.trace = caller ? trace::child_of(*caller) : trace::new_root();
  if (!req.ctx.trace.sampled && options.tracer->enabled()) {
    req.ctx.trace.sampled = options.tracer->sample(req.ctx.trace);
  }
  if (settings_.clear_context) {
    // clearContext: the client may not steer routing or inject context; drop every l5d-* header.
    req.headers.remove_prefix("l5d-");
    return true;
  }
  // An application's own request carries no l5d-* field at all: one pass tells, and then there
  // is no deadline or dtab to read.
  bool l5d = false;
  req.headers.for_each([&l5d](http::Headers::Field f) {
    l5d = l5d || (f.name.size() > 4 && http::iequals(f.name.substr(0, 4), "l5d-"));
  });
  if (!l5d) {
    return true;
  }
  // The deadline the caller gives us (the strictest of its values; bad ones are ignored).
  if (auto deadline = filters::read_deadline(req.headers)) {
    req.ctx.inbound_deadline_ns = deadline->deadline_ns;
  }
  req.headers.remove("l5d-ctx-deadline");
  // Effective local dtab = l5d-ctx-dtab ++ l5d-dtab (user overrides win), every value parsed.
  dtab::Dtab local;
  for (std::string_view name : {"l5d-ctx-dtab", "l5d-dtab"}) {
    for (auto value : req.headers.get_all(name)) {
      auto parsed = dtab::Dtab::read(value);
      if (!parsed) {
        rsp = error_response(400, parsed.error().message, router_.options().max_header_bytes);
        return false;
      }
      local = local + *parsed;
    }
    req.headers.remove(name);
  }
  req.ctx.local_dtab = std::move(local);
  return true;
}

bool ServerService::is_success(const Result<http::Response>& rsp) {
  if (!rsp) {
    return false;
  }
  // The path stack's classifier said (l5d-success-class > 0); else 5xx is a failure.
  auto cls = rsp->headers.get("l5d-success-class");
  if (!cls.empty()) {
    return success_class_positive(cls);
  }
  return rsp->status < 500;
}

void ServerService::clear_response(http::Response& rsp) {
  if (rsp.headers.contains("l5d-err")) {
    rsp.body = http::empty_body();
    rsp.headers.remove("Content-Type");
  }
  rsp.headers.remove_prefix("l5d-");
}

ServerService::RequestFacts ServerService::request_facts(const http::Request& req,
                                                         const std::string& router) {
  RequestFacts f;
  trace::HttpExchange& e = f.exchange;
  e.router = router;
  e.local = req.ctx.local;
  e.remote = req.ctx.remote;
  e.method = req.method;
  e.uri = req.target;
  e.host = std::string(req.headers.get(req.version.major == 2 ? ":authority" : "Host"));
  e.request_version = http::show(req.version);
  e.request_content_length = req.body ? req.body->length() : std::nullopt;
  e.request_content_type = std::string(req.headers.get("Content-Type"));
  e.start = std::chrono::system_clock::now();
  f.referer = std::string(req.headers.get("Referer"));
  f.user_agent = std::string(req.headers.get("User-Agent"));
  return f;
}

void ServerService::log_access(const RequestFacts& facts, const http::Response& rsp) const {
  const trace::HttpExchange& e = facts.exchange;
  telemetry::AccessLogEntry entry;
  entry.host = e.host;
  entry.remote_host = e.remote.address().to_string();
  entry.method = e.method;
  entry.uri = e.uri;
  entry.version = e.request_version;
  entry.status = rsp.status;
  entry.content_length = http::content_length(rsp.headers);
  entry.referer = facts.referer;
  entry.user_agent = facts.user_agent;
  entry.time = std::chrono::system_clock::now();
  router_.options().access_log->write(telemetry::format_access_line(entry));
}

void ServerService::trace_server(RequestFacts& facts, const Result<http::Response>& rsp) const {
  const RouteDetails& notes = facts.route;
  trace::HttpExchange& e = facts.exchange;
  const RouterOptions& options = router_.options();
  e.service = notes.service;
  e.client = notes.client;
  e.residual = notes.residual;
  e.dtab_base = options.base_dtab.show();
  e.dtab_local = notes.dtab_local;
  e.failure = failure_stage_name(notes.failure_stage);
  if (rsp) {
    e.status = rsp->status;
    e.response_version = http::show(rsp->version);
    e.response_content_length = http::content_length(rsp->headers);
    e.response_content_type = std::string(rsp->headers.get("Content-Type"));
    const bool ok = is_success(rsp);
    e.success = ok ? 1.0 : 0.0;
    e.retryable = !ok && http::iequals(rsp->headers.get("l5d-retryable"), "true");
  } else {
    e.success = 0.0;
    e.error = notes.failure_detail.empty() ? rsp.error().message() : notes.failure_detail;
  }
  e.end = std::chrono::system_clock::now();
  options.tracer->record(trace::server_span(facts.trace, e));
}

asio::awaitable<Result<http::Response>> ServerService::call(http::Request& req) {
  Result<http::Response> rsp = make_error_code(errc::overloaded);
  co_await call_into(req, rsp);
  co_return rsp;
}

asio::awaitable<void> ServerService::call_into(http::Request& req, Result<http::Response>& rsp) {
  auto start = req.ctx.start;
  rewrite_absolute_form(req);
  // Bookkeeping is scoped: a request cancelled mid-flight (the client left) unwinds through
  // these destructors, so the concurrency slot and the pending gauge are always given back.
  struct InFlight {
    std::atomic<int>& n;
    ~InFlight() { n.fetch_sub(1, std::memory_order_relaxed); }
  } in_flight{*settings_.in_flight};
  int now_in_flight = in_flight.n.fetch_add(1, std::memory_order_relaxed) + 1;
  PendingGuard pending(*stats_.pending);
  // (A coroutine's frame keeps every named local, whatever its scope: the response is the
  // caller's, and what the steps below return goes into it or into small flags.)
  rsp = make_error_code(errc::overloaded);
  // Context is read even for a request that is then rejected, so that its span joins the
  // caller's trace. A malformed one puts its 400 in `rsp`.
  const bool bad = !read_context(req, rsp);
  const RouterOptions& options = router_.options();
  // Spans are built unless the trace is known to be unsampled: an undecided trace is left to
  // each telemeter's own rate.
  const bool traced =
      options.tracer->enabled() && (req.ctx.trace.sampled.value_or(true) || req.ctx.trace.debug);
  // On the heap, and only when wanted: it is large, and the frame of every request holds it.
  std::unique_ptr<RequestFacts> facts;
  if (traced || options.access_log) [[unlikely]] {
    facts = std::make_unique<RequestFacts>(request_facts(req, options.label));
    facts->trace = req.ctx.trace;
    facts->exchange.server = settings_.label;
  }
  auto watch = StreamWatch::start(stats_.h2, req, start);
  RouteNotes notes;
  notes.details = facts && traced ? &facts->route : nullptr;
  if (settings_.max_concurrent_requests && now_in_flight > *settings_.max_concurrent_requests &&
      options.h2) [[unlikely]] {
    rsp = make_error_code(errc::overloaded);  // RST_STREAM REFUSED_STREAM
  } else if (settings_.max_concurrent_requests &&
             now_in_flight > *settings_.max_concurrent_requests) [[unlikely]] {
    rsp = error_response(503,
                         "request rejected: " + std::to_string(*settings_.max_concurrent_requests) +
                             " concurrent requests (maxConcurrentRequests) already in progress",
                         router_.options().max_header_bytes);
    // Nothing reached the application: a meshd upstream may retry it elsewhere (Finagle flags
    // rejections retryable, and Linkerd's responder says so in l5d-retryable).
    rsp->headers.add("l5d-retryable", "true");
  } else if (bad) [[unlikely]] {
    // `rsp` holds the 400.
  } else {
    // The router's steps, with its dispatch awaited here (one coroutine frame less).
    std::optional<RouterWorker::RouteState> routing(std::in_place);
    if (router_.route_begin(req, *routing, rsp)) [[unlikely]] {
      // answered at once: `rsp` holds it
    } else {
      auto dispatched = co_await router_.route_dispatch(req, *routing, rsp);
      if (!dispatched) [[unlikely]] {
        rsp = dispatched.error();  // the request's own timeout
      }
      router_.route_end(req, *routing, rsp, &notes);
    }
    routing.reset();  // the service's pending count and stream watch end with the routing
    router_.route_notes(req, &notes);
  }
  const std::uint64_t latency = notes.finished != std::chrono::steady_clock::time_point{}
                                    ? ms_between(start, notes.finished)
                                    : elapsed_ms(start);
  if (notes.classified_at_end && rsp) {
    // h2: the path stack's verdict comes as an `l5d-success-class` trailer at the stream's end.
    http::observe(rsp->body, [&stats = stats_, latency](http::BodyEnd& end) {
      auto cls = end.trailers.get("l5d-success-class");
      stats.record(!end.error && !cls.empty() && success_class_positive(cls), latency);
    });
  } else {
    stats_.record(is_success(rsp), latency);
  }
  if (!rsp) [[unlikely]] {
    stats_.status_error->incr();
    stats_.time_error->record(latency);
  } else {
    status_stats_.record(stats_, rsp->status, latency);
  }
  if (facts && traced) [[unlikely]] {
    trace_server(*facts, rsp);
  }
  if (rsp) {
    if (facts && options.access_log) [[unlikely]] {
      log_access(*facts, *rsp);
    }
    if (settings_.clear_context) [[unlikely]] {
      clear_response(*rsp);
      if (options.h2) {
        // h2 trailers may carry l5d-* fields too (`l5d-success-class` of this or a downstream
        // router).
        http::observe(rsp->body, [](http::BodyEnd& end) { end.trailers.remove_prefix("l5d-"); });
      }
    }
  }
  if (watch) {
    // After clearContext, which may replace the body: the stream watched is the one sent.
    rsp ? watch.response(*rsp, StreamWatch::Clock::now()) : watch.no_response();
  }
}

}  // namespace meshd::router
