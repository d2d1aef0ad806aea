// The io.l5d.ingress identifier and the Ingress watcher behind it.

#include <algorithm>
#include <atomic>
#include <utility>
#include <variant>

#include "meshd/core/log.h"
#include "meshd/core/shared_snapshot.h"
#include "meshd/core/spawn.h"
#include "meshd/k8s/objects.h"
#include "meshd/k8s_naming/k8s_naming.h"

namespace meshd::k8s_naming {
namespace {

using Ingresses = std::vector<k8s::Ingress>;

class IngressWatcherImpl final : public IngressWatcher,
                                 public std::enable_shared_from_this<IngressWatcherImpl> {
 public:
  IngressWatcherImpl(asio::io_context& control, k8s::ApiClientSharedPtr api, std::string ns,
                     k8s::IngressOptions options)
      : control_(control),
        api_(std::move(api)),
        ns_(std::move(ns)),
        options_(std::move(options)),
        ingresses_(std::make_shared<const Ingresses>()) {}

  void start() {
    spawn(control_.get_executor(), [](std::shared_ptr<IngressWatcherImpl> self) -> asio::awaitable<void> {
      co_await self->discover();
    }(shared_from_this()), "k8s ingress discovery");
  }

  std::shared_ptr<const Ingresses> ingresses() const override { return ingresses_.load(); }
  bool synced() const override { return synced_.load(std::memory_order_acquire); }
  const k8s::IngressOptions& options() const override { return options_; }
  void stop() override {
    stopped_ = true;
    subscription_.reset();
  }

 private:
  // networking.k8s.io/v1 (Kubernetes ≥ 1.19), else the v1beta1 versions of older clusters.
  asio::awaitable<void> discover() {
    const bool v1 = co_await api_->serves("/apis/networking.k8s.io/v1");
    if (stopped_) {
      co_return;
    }
    std::string group_version = "/apis/networking.k8s.io/v1";
    if (!v1) {
      const bool networking_beta = co_await api_->serves("/apis/networking.k8s.io/v1beta1");
      if (stopped_) {
        co_return;
      }
      group_version =
          networking_beta ? "/apis/networking.k8s.io/v1beta1" : "/apis/extensions/v1beta1";
    }
    v1_ = v1;
    log::get("k8s")->info("kubernetes ingresses source server={} api={} namespace={}",
                          api_->config().authority(), group_version,
                          ns_.empty() ? "(all)" : ns_);
    informer_ = api_->informer(k8s::ResourceRef{group_version, "ingresses", ns_, ""});
    if (!informer_) {
      log::get("k8s")->error("cannot watch ingresses: too many watches on {}",
                             api_->config().authority());
      co_return;
    }
    subscription_ = informer_->subscribe([weak = weak_from_this()] {
      if (auto self = weak.lock()) {
        self->rebuild();
      }
    });
    rebuild();
  }

  void rebuild() {
    if (stopped_ || !informer_) {
      return;
    }
    auto next = std::make_shared<Ingresses>();
    for (const auto& [name, object] : *informer_->store()) {
      auto parsed = k8s::parse_ingress(*object, v1_);
      if (const auto* e = std::get_if<k8s::ParseError>(&parsed)) {
        log::get("k8s")->warn("ignoring malformed Ingress {}: {}", name, e->show());
        continue;
      }
      auto& ingress = std::get<k8s::Ingress>(parsed);
      if (k8s::ingress_is_ours(ingress, options_)) {
        next->push_back(std::move(ingress));
      }
    }
    std::sort(next->begin(), next->end(), [](const k8s::Ingress& a, const k8s::Ingress& b) {
      return std::tie(a.meta.creation_timestamp, a.meta.ns, a.meta.name) <
             std::tie(b.meta.creation_timestamp, b.meta.ns, b.meta.name);
    });
    ingresses_.store(std::move(next));
    synced_.store(informer_->synced(), std::memory_order_release);
  }

  asio::io_context& control_;
  k8s::ApiClientSharedPtr api_;
  std::string ns_;
  k8s::IngressOptions options_;
  core::SharedSnapshot<Ingresses> ingresses_;
  std::atomic<bool> synced_{false};
  // Control thread only.
  k8s::InformerSharedPtr informer_;
  std::shared_ptr<void> subscription_;
  bool v1_ = true;
  bool stopped_ = false;
};

class IngressIdentifier final : public router::Identifier {
 public:
  IngressIdentifier(dtab::Path prefix, std::shared_ptr<IngressWatcher> watcher)
      : prefix_(std::move(prefix)), watcher_(std::move(watcher)) {}

  router::Identification identify(http::Request& req) const override {
    const auto ingresses = watcher_->ingresses();
    std::string_view path = req.target;
    path = path.substr(0, path.find_first_of("?#"));
    // h2 requests name their host in `:authority` (Linkerd's h2 ingress identifier).
    const std::string_view host =
        req.version.major == 2 ? req.headers.get(":authority") : req.headers.get("Host");
    const auto match = k8s::match_ingress(*ingresses, host, path, watcher_->options());
    if (!match || match->ns.empty() || match->backend.port.empty() ||
        match->backend.service.empty()) {
      return {std::nullopt, "no ingress rule matches"};
    }
    return {prefix_ + dtab::Path::of({match->ns, match->backend.port, match->backend.service}),
            {}};
  }

 private:
  dtab::Path prefix_;
  std::shared_ptr<IngressWatcher> watcher_;
};

}  // namespace

std::shared_ptr<IngressWatcher> IngressWatcher::create(asio::io_context& control,
                                                       k8s::ApiClientSharedPtr api, std::string ns,
                                                       k8s::IngressOptions options) {
  auto watcher = std::make_shared<IngressWatcherImpl>(control, std::move(api), std::move(ns),
                                                      std::move(options));
  watcher->start();
  return watcher;
}

router::IdentifierConstSharedPtr make_ingress_identifier(dtab::Path prefix,
                                                         std::shared_ptr<IngressWatcher> watcher) {
  return std::make_shared<IngressIdentifier>(std::move(prefix), std::move(watcher));
}

}  // namespace meshd::k8s_naming
