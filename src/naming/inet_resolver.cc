#include "meshd/naming/inet_resolver.h"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <exception>
#include <unordered_map>
#include <utility>

#include "meshd/core/log.h"
#include "meshd/core/shared_snapshot.h"
#include "meshd/naming/generation.h"

namespace meshd::naming {

namespace asio = boost::asio;

namespace {

using HostAddrs = InetResolver::HostAddrs;
using Cache = std::unordered_map<std::string, InetResolver::HostAddrsConstSharedPtr>;

const InetResolver::HostAddrsConstSharedPtr& pending_answer() {
  static const InetResolver::HostAddrsConstSharedPtr pending = std::make_shared<const HostAddrs>();
  return pending;
}

HostAddrs answer_from(const asio::ip::tcp::resolver::results_type& results) {
  HostAddrs out{HostAddrs::State::Ok, {}, {}};
  for (const auto& entry : results) {
    out.ips.push_back(entry.endpoint().address().to_string());
  }
  std::sort(out.ips.begin(), out.ips.end());
  out.ips.erase(std::unique(out.ips.begin(), out.ips.end()), out.ips.end());
  return out;
}

}  // namespace

// Everything but `cache` is touched on the control thread only.
struct InetResolver::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io, Options opts)
      : control(io),
        options(opts),
        resolver(io),
        timer(io),
        cache(std::make_shared<const Cache>()) {}

  void request(const std::string& host);
  void resolve(const std::string& host);
  void on_resolved(const std::string& host, const boost::system::error_code& ec,
                   const asio::ip::tcp::resolver::results_type& results);
  void publish(const std::string& host, InetResolver::HostAddrsConstSharedPtr addrs);
  void forget_oldest();
  void arm_refresh();

  asio::io_context& control;
  Options options;
  asio::ip::tcp::resolver resolver;
  asio::steady_timer timer;
  bool refreshing = false;
  bool stopped = false;
  std::deque<std::string> order;  // hosts, oldest request first
  // The only state workers read: replaced wholesale (copy-on-write) by the control thread.
  core::SharedSnapshot<Cache> cache;
};

void InetResolver::Impl::request(const std::string& host) {
  if (stopped || cache.load()->contains(host)) {
    return;
  }
  while (order.size() >= std::max<std::size_t>(options.max_hosts, 1)) {
    forget_oldest();
  }
  order.push_back(host);
  publish(host, pending_answer());
  resolve(host);
  arm_refresh();
}

void InetResolver::Impl::resolve(const std::string& host) {
  resolver.async_resolve(
      host, "",
      [weak = weak_from_this(), host](const boost::system::error_code& ec,
                                      const asio::ip::tcp::resolver::results_type& results) {
        if (auto self = weak.lock()) {
          self->on_resolved(host, ec, results);
        }
      });
}

void InetResolver::Impl::on_resolved(const std::string& host, const boost::system::error_code& ec,
                                     const asio::ip::tcp::resolver::results_type& results) {
  if (stopped || ec == asio::error::operation_aborted) {
    return;
  }
  const auto current = cache.load();
  const auto it = current->find(host);
  if (it == current->end()) {
    return;  // forgotten meanwhile
  }
  HostAddrs next;
  if (!ec) {
    next = answer_from(results);
  } else if (ec == asio::error::host_not_found) {
    next = HostAddrs{HostAddrs::State::Neg, {}, {}};
  } else if (it->second->state == HostAddrs::State::Ok) {
    // A transient resolver failure keeps the last good answer, as Finagle's InetResolver does.
    log::get("naming")->warn("resolve failed host={} error=\"{}\" keeping={}", host, ec.message(),
                             it->second->ips.size());
    return;
  } else {
    next = HostAddrs{HostAddrs::State::Failed, {}, ec.message()};
  }
  if (*it->second == next) {
    return;
  }
  log::get("naming")->debug("resolved host={} addresses={}", host, next.ips.size());
  publish(host, std::make_shared<const HostAddrs>(std::move(next)));
  bump_generation();
}

void InetResolver::Impl::publish(const std::string& host,
                                 InetResolver::HostAddrsConstSharedPtr addrs) {
  auto next = std::make_shared<Cache>(*cache.load());
  (*next)[host] = std::move(addrs);
  cache.store(std::move(next));
}

void InetResolver::Impl::forget_oldest() {
  auto next = std::make_shared<Cache>(*cache.load());
  next->erase(order.front());
  order.pop_front();
  cache.store(std::move(next));
}

void InetResolver::Impl::arm_refresh() {
  if (refreshing || stopped) {
    return;
  }
  refreshing = true;
  timer.expires_after(options.refresh_interval);
  timer.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!self || ec || self->stopped) {
      return;
    }
    self->refreshing = false;
    for (const auto& host : self->order) {
      self->resolve(host);
    }
    self->arm_refresh();
  });
}

std::shared_ptr<InetResolver> InetResolver::create(asio::io_context& control, Options options) {
  return std::make_shared<InetResolver>(control, options);
}

InetResolver::InetResolver(asio::io_context& control, Options options)
    : impl_(std::make_shared<Impl>(control, options)) {}

InetResolver::~InetResolver() {
  // Asio's cancel() reports failure by throwing; a destructor must not.
  try {
    stop();
  } catch (const std::exception& e) {
    log::get("naming")->error("resolver stop failed error=\"{}\"", e.what());
  }
}

bool InetResolver::is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

InetResolver::HostAddrsConstSharedPtr InetResolver::lookup(const std::string& host) const {
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(host, ec);
  if (!ec) {
    return std::make_shared<const HostAddrs>(HostAddrs{HostAddrs::State::Ok, {ip.to_string()}, {}});
  }
  const auto snapshot = impl_->cache.load();
  if (const auto it = snapshot->find(host); it != snapshot->end()) {
    return it->second;
  }
  asio::post(impl_->control, [weak = std::weak_ptr<Impl>(impl_), host] {
    if (auto self = weak.lock()) {
      self->request(host);
    }
  });
  return pending_answer();
}

void InetResolver::stop() {
  impl_->stopped = true;
  impl_->timer.cancel();
  impl_->resolver.cancel();
}

}  // namespace meshd::naming
