#include <boost/asio/ip/address.hpp>

#include "meshd/core/log.h"
#include "meshd/http1/writer.h"
#include "meshd/router/errors.h"
#include "meshd/router/router.h"

namespace meshd::router {

RouterWorker::RouterWorker(RouterOptionsConstSharedPtr options, RouterStats& stats)
    : options_(std::move(options)),
      stats_(stats),
      bindings_(options_->cache.paths),
      services_(options_->cache.paths),
      clients_(options_->cache.clients) {}

void RouterWorker::tick(TimePoint now) {
  if (now - last_expire_ < std::chrono::seconds(1)) {
    return;
  }
  last_expire_ = now;
  auto ttl = options_->cache.idle_ttl;
  bindings_.expire(now, ttl);
  services_.expire(now, ttl);
  // An evicted client closes its idle connections; one still serving a request lives on in
  // that request's frame until it finishes.
  clients_.expire(now, ttl);
}

http::Response RouterWorker::error(int status, std::string_view message) const {
  return error_response(status, message, options_->max_header_bytes);
}

void RouterWorker::clear() {
  bindings_.clear();
  services_.clear();
  clients_.clear();
}

asio::awaitable<Result<http::Response>> RouterWorker::route(http::Request req) {
  auto id = identify(options_->identifiers, req);
  if (!id.dst) {
    req.ctx.failure_stage = http::FailureStage::Identification;
    co_return error(400, unknown_destination(req, id.reason));
  }
  req.ctx.dst_show = id.dst->show();
  req.ctx.dst = std::move(*id.dst);
  auto service = service_stats(req.ctx.dst_show, req.ctx.start);  // held while in flight
  RequestStats& stats = service->stats;
  PendingGuard pending(*stats.pending);
  auto start = std::chrono::steady_clock::now();
  auto rsp = co_await route_bound(std::move(req));
  stats.record(rsp ? rsp->status : 0, elapsed_ms(start));
  co_return rsp;
}

SharedStatsCache::EntrySharedPtr RouterWorker::service_stats(const std::string& name,
                                                             TimePoint now) {
  if (auto* hit = services_.find(name, now)) {
    return *hit;
  }
  // Linkerd scopes by the logical name without its leading '/': rt/<r>/service/svc/hello.
  return services_.put(name, stats_.services.acquire(name), now);
}

std::string RouterWorker::binding_key(const std::string& name, const dtab::Dtab& local) {
  return local.empty() ? name : name + " " + local.show();
}

RouterWorker::BoundTree RouterWorker::cached_binding(const dtab::Path& dst, const std::string& key,
                                                     const dtab::Dtab& local, TimePoint now) {
  std::uint64_t gen = options_->generation ? options_->generation() : 0;
  CachedBinding* hit = bindings_.find(key, now);
  if (hit == nullptr || hit->generation != gen) {
    hit = &bindings_.put(key, CachedBinding{gen, options_->bind(options_->base_dtab + local, dst)},
                         now);
  }
  return hit->tree;
}

asio::awaitable<RouterWorker::BoundTree> RouterWorker::bind_pending(const dtab::Path& dst,
                                                                    std::string key,
                                                                    dtab::Dtab local) {
  // The name is still being resolved on the control thread: wait for it, bounded by
  // bindingTimeoutMs, re-checking as the namers' generation moves.
  auto deadline = std::chrono::steady_clock::now() + options_->binding_timeout;
  auto wait = std::chrono::milliseconds(2);
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    BoundTree tree = cached_binding(dst, key, local, now);
    if (tree.state != BoundTree::State::Pending || now >= deadline) {
      co_return tree;
    }
    asio::steady_timer timer(co_await asio::this_coro::executor, wait);
    co_await timer.async_wait(use_nothrow);
    wait = std::min(wait * 2, std::chrono::milliseconds(100));
  }
}

const dtab::BoundName* RouterWorker::pick(const dtab::NameTree<dtab::BoundName>& tree) {
  using Kind = dtab::NameTree<dtab::BoundName>::Kind;
  switch (tree.kind()) {
    case Kind::Leaf:
      return &tree.value();
    case Kind::Union: {
      // One branch per request with probability ∝ weight (uniform when all weights are 0).
      const auto& ws = tree.weighted();
      double total = 0;
      for (const auto& w : ws) {
        total += w.weight;
      }
      std::uniform_real_distribution<double> dist(0.0, total > 0 ? total : ws.size());
      double x = dist(random_);
      for (const auto& w : ws) {
        x -= total > 0 ? w.weight : 1.0;
        if (x < 0) {
          return pick(w.tree);
        }
      }
      return ws.empty() ? nullptr : pick(ws.back().tree);
    }
    case Kind::Alt:
      return tree.alts().empty() ? nullptr : pick(tree.alts().front());
    default:
      return nullptr;  // Neg, Fail, Empty: no endpoints
  }
}

RouterWorker::ClientSharedPtr RouterWorker::client_for(const dtab::BoundName& bound,
                                                       TimePoint now) {
  ClientSharedPtr* slot = clients_.find(bound.id, now);
  if (slot == nullptr) {
    auto fresh = std::make_shared<Client>();
    fresh->id_show = bound.id.show();
    fresh->shared = stats_.clients.acquire(fresh->id_show);
    slot = &clients_.put(bound.id, std::move(fresh), now);
  }
  Client& c = **slot;
  if (c.addr != bound.addr) {
    // A new address snapshot: keep the pools of addresses that stay.
    std::vector<EndpointPoolSharedPtr> endpoints;
    std::vector<std::string> labels;
    if (bound.addr) {
      for (const auto& a : bound.addr->addresses) {
        boost::system::error_code ec;
        auto ip = asio::ip::make_address(a.host, ec);
        if (ec) {
          continue;
        }
        asio::ip::tcp::endpoint ep(ip, a.port);
        auto existing = std::find_if(c.endpoints.begin(), c.endpoints.end(),
                                     [&](const auto& p) { return p->endpoint() == ep; });
        endpoints.push_back(existing != c.endpoints.end()
                                ? *existing
                                : std::make_shared<EndpointPool>(ep, options_->pool));
        labels.push_back(endpoints.back()->label());
      }
    }
    c.endpoints = std::move(endpoints);
    c.labels = std::move(labels);
    c.addr = bound.addr;
    c.shared->set_addr(bound.addr);
  }
  return *slot;
}

}  // namespace meshd::router
