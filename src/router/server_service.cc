#include <cstdlib>

#include "meshd/core/log.h"
#include "meshd/filters/deadline.h"
#include "meshd/router/errors.h"
#include "meshd/router/router.h"

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
  req.headers.set("Host", authority);
  req.target = std::move(rest);
}

}  // namespace

ServerService::ServerService(RouterWorker& router, ServerSettings settings, ServerStats& stats)
    : router_(router), settings_(std::move(settings)), stats_(stats) {}

std::optional<http::Response> ServerService::read_context(http::Request& req) const {
  if (settings_.clear_context) {
    // clearContext: the client may not steer routing or inject context; drop every l5d-* header.
    req.headers.remove_prefix("l5d-");
    return std::nullopt;
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
        return error_response(400, parsed.error().message, router_.options().max_header_bytes);
      }
      local = local + *parsed;
    }
    req.headers.remove(name);
  }
  req.ctx.local_dtab = std::move(local);
  return std::nullopt;
}

bool ServerService::is_success(const Result<http::Response>& rsp) {
  if (!rsp) {
    return false;
  }
  // The path stack's classifier said (l5d-success-class > 0); else 5xx is a failure.
  auto cls = rsp->headers.get("l5d-success-class");
  if (!cls.empty()) {
    return std::strtod(std::string(cls).c_str(), nullptr) > 0;
  }
  return rsp->status < 500;
}

void ServerService::clear_response(http::Response& rsp) {
  if (rsp.headers.contains("l5d-err")) {
    rsp.body = std::make_unique<http::BufferBody>(std::string());
    rsp.headers.remove("Content-Type");
  }
  rsp.headers.remove_prefix("l5d-");
}

asio::awaitable<Result<http::Response>> ServerService::call(http::Request req) {
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
  Result<http::Response> rsp = make_error_code(errc::overloaded);
  if (settings_.max_concurrent_requests && now_in_flight > *settings_.max_concurrent_requests) {
    rsp = error_response(503,
                         "request rejected: " + std::to_string(*settings_.max_concurrent_requests) +
                             " concurrent requests (maxConcurrentRequests) already in progress",
                         router_.options().max_header_bytes);
    // Nothing reached the application: a meshd upstream may retry it elsewhere (Finagle flags
    // rejections retryable, and Linkerd's responder says so in l5d-retryable).
    rsp->headers.add("l5d-retryable", "true");
  } else if (auto bad = read_context(req)) {
    rsp = std::move(*bad);
  } else {
    rsp = co_await router_.route(std::move(req));
  }
  int status = rsp ? rsp->status : 0;
  stats_.record(is_success(rsp), elapsed_ms(start));
  if (rsp) {
    auto& counters = status_counters_[status];
    if (!counters.first) {
      counters = {stats_.status_counter(status), stats_.status_class_counter(status)};
    }
    counters.first->incr();
    counters.second->incr();
    if (settings_.clear_context) {
      clear_response(*rsp);
    }
  }
  co_return rsp;
}

}  // namespace meshd::router
