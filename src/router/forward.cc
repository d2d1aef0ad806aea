#include "meshd/core/log.h"
#include "meshd/http1/writer.h"
#include "meshd/router/errors.h"
#include "meshd/router/router.h"

namespace meshd::router {
namespace {

void append_via(http::Headers& headers, http::Version v) {
  std::string via(headers.get("Via"));
  if (!via.empty()) {
    via.append(", ");
  }
  via.push_back(static_cast<char>('0' + v.major));
  via.push_back('.');
  via.push_back(static_cast<char>('0' + v.minor));
  via.append(" linkerd");
  headers.set("Via", via);
}

std::string binding_timeout_message(std::chrono::milliseconds timeout, const dtab::Path& dst) {
  auto ms = timeout.count();
  std::string d = ms % 1000 == 0 ? std::to_string(ms / 1000) + ".seconds"
                                 : std::to_string(ms) + ".milliseconds";
  return "Exceeded " + d + " binding timeout while resolving name: " + dst.show();
}

}  // namespace

asio::awaitable<Result<http::Response>> RouterWorker::route_bound(http::Request req) {
  const dtab::Path& dst = *req.ctx.dst;  // req lives in this frame
  std::string key = binding_key(req.ctx.dst_show, req.ctx.local_dtab);
  std::optional<std::chrono::steady_clock::time_point> deadline;  // set only if we must wait
  for (;;) {
    BoundTree tree = cached_binding(dst, key, req.ctx.local_dtab, req.ctx.start);
    if (tree.state == BoundTree::State::Pending) {
      tree = co_await bind_pending(dst, key, req.ctx.local_dtab);
    }
    if (tree.state == BoundTree::State::Failed) {
      req.ctx.failure_stage = http::FailureStage::Binding;
      co_return error(502, tree.failure);
    }
    if (tree.state == BoundTree::State::Pending) {
      co_return error(502, binding_timeout_message(options_->binding_timeout, dst));
    }
    const dtab::BoundName* leaf = pick(tree.value);
    if (leaf == nullptr || !leaf->addr || leaf->addr->kind == dtab::Addr::Kind::Neg ||
        (leaf->addr->kind == dtab::Addr::Kind::Bound && leaf->addr->addresses.empty())) {
      req.ctx.failure_stage = http::FailureStage::Binding;
      co_return error(502, no_route(dst, options_->base_dtab, req.ctx.local_dtab));
    }
    if (leaf->addr->kind == dtab::Addr::Kind::Failed) {
      co_return error(502, leaf->addr->failure);
    }
    if (leaf->addr->kind == dtab::Addr::Kind::Bound) {
      // Held by this frame: the cache may evict the client while the request is in flight.
      ClientSharedPtr client = client_for(*leaf, req.ctx.start);
      if (client->endpoints.empty()) {  // every address unusable (not an IP literal)
        co_return error(502, no_route(dst, options_->base_dtab, req.ctx.local_dtab));
      }
      // `leaf` points into `tree`, a snapshot this frame owns until forward() returns.
      co_return co_await forward(std::move(req), *client, *leaf);
    }
    // Addresses still pending (a host name being resolved): wait within the binding timeout.
    auto now = std::chrono::steady_clock::now();
    if (!deadline) {
      deadline = now + options_->binding_timeout;
    }
    if (now >= *deadline) {
      co_return error(502, binding_timeout_message(options_->binding_timeout, dst));
    }
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(10));
    co_await timer.async_wait(use_nothrow);
  }
}

asio::awaitable<Result<http::Response>> RouterWorker::forward(http::Request req, Client& client,
                                                              const dtab::BoundName& bound) {
  http1::strip_hop_by_hop(req.headers);
  req.headers.set("l5d-dst-service", req.ctx.dst_show);
  req.headers.set("l5d-dst-client", client.id_show);
  if (!bound.residual.empty()) {
    req.headers.set("l5d-dst-residual", bound.residual.show());
  }
  if (!req.ctx.local_dtab.empty()) {
    req.headers.set("l5d-ctx-dtab", req.ctx.local_dtab.show());
  }
  if (req.version == http::Version{1, 1} && !req.headers.contains("Host")) {
    req.headers.add("Host", "");  // as Linkerd: an HTTP/1.1 request always carries Host
  }
  append_via(req.headers, req.version);

  // Round robin over the client's endpoints (the Resilience issue brings the real balancers).
  EndpointPoolSharedPtr pool = client.endpoints[client.next++ % client.endpoints.size()];
  auto start = std::chrono::steady_clock::now();
  Result<http::Response> rsp = make_error_code(errc::connect_failed);
  http1::ExchangeFailure failure;
  PendingGuard pending(*client.stats().pending);
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = false;
    // A replay must not meet another stale pooled connection: it always connects afresh.
    auto conn = co_await pool->acquire(&reused, attempt > 0);
    if (!conn) {
      log::get("router")->debug("connect failed endpoint={} error={}", pool->label(),
                                conn.error().message());
      req.ctx.failure_stage = http::FailureStage::ClientAcquisition;
      client.stats().record(0, elapsed_ms(start));
      co_return error(502, connect_failed(pool->label(), *req.ctx.dst, bound.id, client.labels));
    }
    struct Outstanding {
      std::size_t& n;
      ~Outstanding() { --n; }
    } outstanding{++pool->outstanding()};
    failure = {};
    rsp = co_await http1::exchange(std::move(*conn), req, pool->releaser(), &failure);
    bool cancelled = !rsp && rsp.error() == asio::error::operation_aborted;
    if (rsp || !failure.replayable || cancelled) {
      break;  // a stale pooled connection is retried once on a fresh one; nothing else is
    }
  }
  if (!rsp) {
    client.stats().record(0, elapsed_ms(start));
    if (rsp.error() == make_error_code(errc::client_gone)) {
      co_return rsp.error();
    }
    req.ctx.failure_stage = http::FailureStage::Service;
    std::string message = failure.detail.empty() ? rsp.error().message() : failure.detail;
    log::get("router")->debug("exchange failed endpoint={} error={}", pool->label(), message);
    co_return error(502, "exchange with " + pool->label() + " failed: " + message);
  }
  client.stats().record(rsp->status, elapsed_ms(start));
  http1::strip_hop_by_hop(rsp->headers);
  append_via(rsp->headers, rsp->version);
  rsp->headers.set("l5d-success-class", rsp->status >= 500 ? "0.0" : "1.0");
  co_return rsp;
}

}  // namespace meshd::router
