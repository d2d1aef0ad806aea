// Kubernetes: the API clients and watchers shared by every Kubernetes plugin of one meshd.

#include <map>
#include <tuple>
#include <utility>

#include "meshd/core/log.h"
#include "meshd/k8s_naming/k8s_naming.h"

namespace meshd::k8s_naming {

struct Kubernetes::Impl {
  asio::io_context& control;
  telemetry::Registry& registry;
  // Keyed by `authority()` plus the mode: one client (and its informers) per API server.
  std::map<std::string, k8s::ApiClientSharedPtr> clients;
  std::map<const k8s::ApiClient*, ServiceWatcherSharedPtr> service_watchers;
  std::map<std::tuple<const k8s::ApiClient*, std::string, std::string, bool>,
           std::shared_ptr<IngressWatcher>>
      ingress_watchers;
  bool stopped = false;
};

Kubernetes::Kubernetes(asio::io_context& control, telemetry::Registry& registry)
    : impl_(std::make_unique<Impl>(Impl{control, registry, {}, {}, {}, false})) {}

Kubernetes::~Kubernetes() { stop(); }

k8s::ApiClientSharedPtr Kubernetes::client(const config::K8sApiConfig& api,
                                           const std::vector<std::string>& scope) {
  k8s::ApiConfig config;
  std::optional<k8s::ApiConfig> in_cluster;
  if (!api.host.present && !api.port.present) {
    in_cluster = k8s::in_cluster_config();
  }
  if (in_cluster) {
    config = std::move(*in_cluster);
  } else {
    config.host = api.host.value;
    config.port = static_cast<std::uint16_t>(api.port.value);
  }
  const std::string key = (config.tls ? "https://" : "http://") + config.authority();
  auto& client = impl_->clients[key];
  if (!client) {
    client = k8s::ApiClient::create(impl_->control, config, impl_->registry, scope);
    log::get("k8s")->info("kubernetes api server={} mode={}", config.authority(),
                          config.tls ? "in-cluster" : "kubectl-proxy");
  }
  return client;
}

ServiceWatcherSharedPtr Kubernetes::service_watcher(const k8s::ApiClientSharedPtr& client) {
  auto& watcher = impl_->service_watchers[client.get()];
  if (!watcher) {
    watcher = ServiceWatcher::create(impl_->control, client, ServiceWatcher::Limits{});
  }
  return watcher;
}

std::shared_ptr<IngressWatcher> Kubernetes::ingress_watcher(
    const config::IngressIdentifierConfig& config) {
  auto api = client(config.api, {"namer", "io.l5d.ingress"});
  k8s::IngressOptions options;
  options.ingress_class = config.ingress_class.value;
  options.ignore_default_backends = config.ignore_default_backends.value;
  auto& watcher = impl_->ingress_watchers[{api.get(), config.ns.value, options.ingress_class,
                                           options.ignore_default_backends}];
  if (!watcher) {
    watcher = IngressWatcher::create(impl_->control, api, config.ns.value, options);
  }
  return watcher;
}

bool Kubernetes::synced() const {
  for (const auto& [client, watcher] : impl_->service_watchers) {
    if (!watcher->synced()) {
      return false;
    }
  }
  for (const auto& [key, watcher] : impl_->ingress_watchers) {
    if (!watcher->synced()) {
      return false;
    }
  }
  return true;
}

boost::json::value Kubernetes::state_json(const k8s::ApiClientSharedPtr& client) const {
  const auto it = impl_->service_watchers.find(client.get());
  if (it == impl_->service_watchers.end()) {
    return boost::json::object{};
  }
  return it->second->state_json();
}

void Kubernetes::stop() {
  if (impl_->stopped) {
    return;
  }
  impl_->stopped = true;
  for (auto& [key, watcher] : impl_->ingress_watchers) {
    watcher->stop();
  }
  for (auto& [client, watcher] : impl_->service_watchers) {
    watcher->stop();
  }
  for (auto& [key, client] : impl_->clients) {
    client->stop();
  }
}

}  // namespace meshd::k8s_naming
