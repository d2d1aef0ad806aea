#include <boost/asio/ip/address.hpp>

#include "meshd/core/duration.h"
#include "meshd/core/log.h"
#include "meshd/filters/deadline.h"
#include "meshd/router/errors.h"
#include "meshd/router/router.h"
#include "router/worker_state_internal.h"

namespace meshd::router {
namespace {

std::string binding_timeout_message(std::chrono::milliseconds timeout, const dtab::Path& dst) {
  return "Exceeded " + show_twitter_duration(timeout) +
         " binding timeout while resolving name: " + dst.show();
}

/// `v` split over `workers` (rounded up, at least 1 unless `v` is 0); "unlimited" stays so.
std::size_t share(int v, std::size_t workers) {
  if (v == INT_MAX) {
    return SIZE_MAX;
  }
  auto n = static_cast<std::size_t>(v);
  return (n + workers - 1) / workers;
}

}  // namespace

RouterWorker::RouterWorker(RouterOptionsConstSharedPtr options, RouterStats& stats)
    : options_(std::move(options)),
      stats_(stats),
      bindings_(options_->cache.paths),
      services_(options_->cache.paths),
      clients_(options_->cache.clients) {}

RouterWorker::~RouterWorker() = default;

void RouterWorker::tick(TimePoint now) {
  if (now - last_expire_ < std::chrono::seconds(1)) {
    return;
  }
  last_expire_ = now;
  auto ttl = options_->cache.idle_ttl;
  stats_.path_cache.idle->incr(bindings_.expire(now, ttl));
  services_.expire(now, ttl);
  // An evicted client closes its idle connections; one still serving a request lives on in
  // that request's frame until it finishes.
  stats_.client_cache.idle->incr(clients_.expire(now, ttl));
  // Accrual states move with time (a backoff ends) and budgets expire deposits: republish.
  clients_.for_each([&](const ClientSharedPtr& c) { refresh_gauges(*c, now); });
  services_.for_each([&](const ServiceSharedPtr& s) {
    s->shared->cells.local().budget.store(s->budget.balance(now), std::memory_order_relaxed);
  });
}

http::Response RouterWorker::error(int status, std::string_view message) const {
  return error_response(status, message, options_->max_header_bytes);
}

void RouterWorker::clear() {
  bindings_.clear();
  services_.clear();
  clients_.clear();
}

RouterWorker::ServiceSharedPtr RouterWorker::service_for(const dtab::Path& dst,
                                                         const std::string& name, TimePoint now) {
  if (auto* hit = services_.find(name, now)) {
    return *hit;
  }
  // Linkerd scopes by the logical name without its leading '/': rt/<r>/service/svc/hello.
  auto fresh = std::make_shared<Service>(stats_.services.acquire(name),
                                         options_->policies->service(dst), options_->workers);
  return services_.put(name, std::move(fresh), now);
}

const std::string& RouterWorker::ShowMemo::show(const dtab::Path& p) {
  if (!valid || !(p == path)) {
    path = p;
    text = p.show();
    valid = true;
  }
  return text;
}

std::string RouterWorker::binding_key(const std::string& name, const dtab::Dtab& local) {
  return local.empty() ? name : name + " " + local.show();
}

RouterWorker::BoundTree RouterWorker::cached_binding(const dtab::Path& dst, const std::string& key,
                                                     const dtab::Dtab& local, TimePoint now) {
  std::uint64_t gen = options_->generation ? options_->generation() : 0;
  CachedBinding* hit = bindings_.find(key, now);
  if (hit == nullptr) {
    stats_.path_cache.misses->incr();
  }
  if (hit == nullptr || hit->generation != gen) {
    const std::size_t evicted = bindings_.evictions();
    hit = &bindings_.put(key, CachedBinding{gen, options_->bind(options_->base_dtab + local, dst)},
                         now);
    stats_.path_cache.evicts->incr(bindings_.evictions() - evicted);
  }
  return hit->tree;
}

Result<RouterWorker::ClientSharedPtr> RouterWorker::resolve_now(http::Request& req, TimePoint now,
                                                                bool* wait) {
  const dtab::Path& dst = *req.ctx.dst;
  auto fail = [&](errc e, std::string detail) {
    req.ctx.failure_stage = http::FailureStage::Binding;
    req.ctx.failure_detail = std::move(detail);
    return make_error_code(e);
  };
  *wait = false;
  // The key is the name itself unless the request carries a local dtab (no copy then).
  const bool plain = req.ctx.local_dtab.empty();
  const std::string keyed =
      plain ? std::string() : binding_key(req.ctx.dst_show, req.ctx.local_dtab);
  BoundTree tree = cached_binding(dst, plain ? req.ctx.dst_show : keyed, req.ctx.local_dtab, now);
  if (tree.state == BoundTree::State::Pending) {
    *wait = true;  // still being resolved on the control thread
    return ClientSharedPtr{};
  }
  if (tree.state == BoundTree::State::Failed) {
    return fail(errc::binding_failed, tree.failure);
  }
  const dtab::BoundName* leaf = pick(tree.value);  // points into `tree`
  if (leaf == nullptr || !leaf->addr || leaf->addr->kind == dtab::Addr::Kind::Neg ||
      (leaf->addr->kind == dtab::Addr::Kind::Bound && leaf->addr->addresses.empty())) {
    return fail(errc::no_route, no_route(dst, options_->base_dtab, req.ctx.local_dtab));
  }
  if (leaf->addr->kind == dtab::Addr::Kind::Failed) {
    return fail(errc::binding_failed, leaf->addr->failure);
  }
  if (leaf->addr->kind != dtab::Addr::Kind::Bound) {
    *wait = true;  // addresses still pending (a host name being resolved)
    return ClientSharedPtr{};
  }
  ClientSharedPtr client = client_for(*leaf, now);
  if (client->endpoints.empty()) {  // every address unusable (not an IP literal)
    return fail(errc::no_route, no_route(dst, options_->base_dtab, req.ctx.local_dtab));
  }
  req.headers.set("l5d-dst-client", client->id_show);
  if (leaf->residual.empty()) {
    req.headers.remove("l5d-dst-residual");
  } else {
    req.headers.set("l5d-dst-residual", residual_show_.show(leaf->residual));
  }
  return client;
}

asio::awaitable<Result<RouterWorker::ClientSharedPtr>> RouterWorker::resolve_pending(
    http::Request& req) {
  // The name or its addresses are still being resolved on the control thread: look again as
  // time passes, bounded by bindingTimeoutMs.
  auto deadline = std::chrono::steady_clock::now() + options_->binding_timeout;
  auto pause = std::chrono::milliseconds(2);
  for (;;) {
    asio::steady_timer timer(co_await asio::this_coro::executor, pause);
    co_await timer.async_wait(use_nothrow);
    pause = std::min(pause * 2, std::chrono::milliseconds(100));
    auto now = std::chrono::steady_clock::now();
    bool wait = false;
    auto client = resolve_now(req, now, &wait);
    if (!wait) {
      co_return client;
    }
    if (now >= deadline) {
      req.ctx.failure_stage = http::FailureStage::Binding;
      req.ctx.failure_detail = binding_timeout_message(options_->binding_timeout, *req.ctx.dst);
      co_return make_error_code(errc::binding_failed);
    }
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
    ClientPolicy policy = options_->policies->client(bound.id);
    PoolOptions pool = options_->pool;
    const HostPoolPolicy& host = policy.host_connection_pool;
    std::size_t workers = std::max<std::size_t>(options_->workers, 1);
    pool.max_connections = share(host.max_size, workers);
    pool.min_idle = share(host.min_size, workers);
    pool.max_waiters = share(host.max_waiters, workers);
    if (host.idle_time) {
      pool.idle_timeout = *host.idle_time;
    }
    if (policy.tls) {
      pool.tls = policy.tls->context;
      pool.tls_server_name = policy.tls->server_name;
      pool.tls_unusable = !policy.tls->context;
    }
    pool.h2_options.settings = policy.h2;
    pool.h2_options.scheme = policy.tls ? "https" : "http";
    auto entry = stats_.clients.acquire(bound.id.show());
    auto pool_stats = std::make_shared<PoolStats>();
    pool_stats->connects = entry->counter("connects");
    pool_stats->connect_latency_ms = entry->stats.scope.histogram("connect_latency_ms");
    pool_stats->failed_connect_latency_ms =
        entry->stats.scope.histogram("failed_connect_latency_ms");
    pool.stats = std::move(pool_stats);
    auto fresh = std::make_shared<Client>(bound.id, std::move(policy), std::move(pool),
                                          std::move(entry), workers, random_());
    stats_.client_cache.misses->incr();
    const std::size_t evicted = clients_.evictions();
    slot = &clients_.put(bound.id, std::move(fresh), now);
    stats_.client_cache.evicts->incr(clients_.evictions() - evicted);
  }
  Client& c = **slot;
  if (c.addr != bound.addr) {
    update_endpoints(c, bound.addr, now);
  }
  return *slot;
}

void RouterWorker::update_endpoints(Client& c, const dtab::AddrConstSharedPtr& addr,
                                    TimePoint now) {
  // A new address snapshot: keep the endpoints (pools, balancer and accrual state) of the
  // addresses that stay; requests in flight on the others keep theirs until they finish.
  std::vector<EndpointSharedPtr> endpoints;
  std::vector<std::string> labels;
  if (addr) {
    for (const auto& a : addr->addresses) {
      boost::system::error_code ec;
      auto ip = asio::ip::make_address(a.host, ec);
      if (ec) {
        continue;
      }
      asio::ip::tcp::endpoint ep(ip, a.port);
      auto existing = std::find_if(c.endpoints.begin(), c.endpoints.end(),
                                   [&](const auto& e) { return e->pool->endpoint() == ep; });
      if (existing != c.endpoints.end()) {
        endpoints.push_back(*existing);
      } else {
        endpoints.push_back(std::make_shared<Endpoint>(
            std::make_shared<EndpointPool>(ep, c.pool_options), c.policy, random_()));
      }
      labels.push_back(endpoints.back()->pool->label());
    }
  }
  for (const auto& old : c.endpoints) {
    if (std::find(endpoints.begin(), endpoints.end(), old) == endpoints.end()) {
      old->close();
    }
  }
  c.endpoints = std::move(endpoints);
  c.labels = std::move(labels);
  std::vector<lb::Node*> nodes;
  nodes.reserve(c.endpoints.size());
  for (const auto& e : c.endpoints) {
    nodes.push_back(e.get());
  }
  c.balancer->update(std::move(nodes));
  c.addr = addr;
  c.shared->set_addr(addr);
  refresh_gauges(c, now);
}

void RouterWorker::refresh_gauges(Client& c, TimePoint now) {
  auto counts = c.balancer->counts(now);
  WorkerCell& cell = c.shared->cells.local();
  cell.size.store(static_cast<std::int64_t>(counts.size), std::memory_order_relaxed);
  cell.available.store(static_cast<std::int64_t>(counts.available), std::memory_order_relaxed);
  cell.busy.store(static_cast<std::int64_t>(counts.busy), std::memory_order_relaxed);
  cell.closed.store(static_cast<std::int64_t>(counts.closed), std::memory_order_relaxed);
  cell.budget.store(c.requeue_budget.balance(now), std::memory_order_relaxed);
  std::int64_t open = 0;
  for (const auto& e : c.endpoints) {
    open += static_cast<std::int64_t>(e->pool->open());
  }
  cell.connections.store(open, std::memory_order_relaxed);
}

}  // namespace meshd::router
