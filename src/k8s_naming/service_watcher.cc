// ServiceWatcher: per-namespace informers on EndpointSlices (or Endpoints) and Services, and the
// per-key address sets computed from them (k8s::resolve_endpoints).

#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <utility>
#include <variant>

#include "meshd/core/log.h"
#include "meshd/core/shared_snapshot.h"
#include "meshd/core/spawn.h"
#include "meshd/k8s/objects.h"
#include "meshd/k8s_naming/k8s_naming.h"
#include "meshd/naming/generation.h"

namespace meshd::k8s_naming {
namespace {

namespace json = boost::json;
using States = std::map<ServiceKey, ServiceState>;

constexpr std::string_view kServiceNameLabel = "kubernetes.io/service-name";

/// The value of label `key` in `meta`, or null.
const std::string* label_of(const k8s::ObjectMeta& meta, std::string_view key) {
  for (const auto& [k, v] : meta.labels) {
    if (k == key) {
      return &v;
    }
  }
  return nullptr;
}

/// True if `meta` passes the key's label filter (none, or `label_key=label_value`).
bool label_matches(const k8s::ObjectMeta& meta, const ServiceKey& key) {
  if (key.label_key.empty()) {
    return true;
  }
  const std::string* value = label_of(meta, key.label_key);
  return value != nullptr && *value == key.label_value;
}

/// Logs a malformed object (each time a change in its namespace makes it be read again).
void log_parse_error(const std::string& what, const std::string& name, const k8s::ParseError& e) {
  log::get("k8s")->warn("ignoring malformed {} {}: {}", what, name, e.show());
}

/// The name after `ns/` in an informer store key.
std::string_view name_of(std::string_view store_key) {
  const auto slash = store_key.find('/');
  return slash == std::string_view::npos ? store_key : store_key.substr(slash + 1);
}

/// The Service an EndpointSlice belongs to (its `kubernetes.io/service-name` label), read
/// without parsing the whole slice; "" if absent.
std::string_view slice_service(const json::object& slice) {
  const auto* meta = slice.if_contains("metadata");
  const auto* labels =
      meta && meta->is_object() ? meta->as_object().if_contains("labels") : nullptr;
  const auto* name =
      labels && labels->is_object() ? labels->as_object().if_contains(kServiceNameLabel) : nullptr;
  return name && name->is_string() ? std::string_view(name->as_string()) : std::string_view();
}

/// The informers of one namespace.
struct NamespaceWatch {
  k8s::InformerSharedPtr endpoints;  // EndpointSlices or Endpoints
  k8s::InformerSharedPtr services;
  std::vector<std::shared_ptr<void>> subscriptions;
  bool slices = true;
  std::string failure;  // set when the namespace cannot be watched at all
};

/// The parsed objects of one namespace that the requested keys need.
struct NamespaceIndex {
  std::map<std::string, std::vector<std::pair<k8s::ObjectMeta, k8s::EndpointGroup>>> groups;
  std::map<std::string, k8s::Service> services;
};

class ServiceWatcherImpl final : public ServiceWatcher,
                                 public std::enable_shared_from_this<ServiceWatcherImpl> {
 public:
  ServiceWatcherImpl(asio::io_context& control, k8s::ApiClientSharedPtr api, Limits limits)
      : control_(control),
        api_(std::move(api)),
        limits_(limits),
        states_(std::make_shared<const States>()) {}

  ServiceState lookup(const ServiceKey& key) override {
    const auto states = states_.load();
    if (const auto it = states->find(key); it != states->end()) {
      return it->second;
    }
    {
      std::lock_guard lock(mutex_);
      if (!requested_.contains(key)) {
        if (requested_.size() >= limits_.max_keys) {
          return ServiceState{
              ServiceState::Kind::Failed, nullptr,
              "too many Kubernetes names watched (" + std::to_string(limits_.max_keys) + ")"};
        }
        requested_.insert(key);
        asio::post(control_, [weak = weak_from_this(), key] {
          if (auto self = weak.lock()) {
            self->watch(key);
          }
        });
      }
    }
    return ServiceState{};
  }

  bool synced() const override { return synced_.load(std::memory_order_acquire); }

  json::value state_json() const override;

  void stop() override {
    stopped_ = true;
    for (auto& [ns, watch] : namespaces_) {
      watch.subscriptions.clear();
    }
  }

 private:
  void watch(const ServiceKey& key);
  void start_namespace(const std::string& ns);
  asio::awaitable<void> discover();
  NamespaceIndex index(const std::string& ns, const NamespaceWatch& watch,
                       const std::set<std::string, std::less<>>& wanted) const;
  ServiceState compute(const ServiceKey& key, const NamespaceWatch& watch,
                       const NamespaceIndex& index) const;
  void recompute(const std::string& ns);
  void update_synced();
  std::vector<ServiceKey> keys_in(const std::string& ns) const;

  asio::io_context& control_;
  k8s::ApiClientSharedPtr api_;
  Limits limits_;

  // Shared with workers.
  mutable std::mutex mutex_;
  std::set<ServiceKey> requested_;
  core::SharedSnapshot<States> states_;
  std::atomic<bool> synced_{true};

  // Control thread only.
  std::map<std::string, NamespaceWatch> namespaces_;
  std::optional<bool> slices_;  // discovery.k8s.io/v1 served?
  bool discovering_ = false;
  std::vector<std::string> waiting_;  // namespaces waiting for discovery
  bool stopped_ = false;
};

std::vector<ServiceKey> ServiceWatcherImpl::keys_in(const std::string& ns) const {
  std::lock_guard lock(mutex_);
  std::vector<ServiceKey> keys;
  for (const auto& key : requested_) {
    if (key.ns == ns) {
      keys.push_back(key);
    }
  }
  return keys;
}

void ServiceWatcherImpl::watch(const ServiceKey& key) {
  if (stopped_) {
    return;
  }
  if (!namespaces_.contains(key.ns)) {
    NamespaceWatch& watch = namespaces_[key.ns];
    if (namespaces_.size() > limits_.max_namespaces) {
      watch.failure =
          "too many Kubernetes namespaces watched (" + std::to_string(limits_.max_namespaces) + ")";
    } else if (!slices_) {
      waiting_.push_back(key.ns);
      if (!discovering_) {
        discovering_ = true;
        spawn(
            control_.get_executor(),
            [](std::shared_ptr<ServiceWatcherImpl> self) -> asio::awaitable<void> {
              co_await self->discover();
            }(shared_from_this()),
            "k8s discovery");
      }
    } else {
      start_namespace(key.ns);
    }
  }
  update_synced();
  recompute(key.ns);
}

asio::awaitable<void> ServiceWatcherImpl::discover() {
  const bool served = co_await api_->serves("/apis/discovery.k8s.io/v1");
  if (stopped_) {
    co_return;
  }
  slices_ = served;
  log::get("k8s")->info("kubernetes endpoints source server={} resource={}",
                        api_->config().authority(), served ? "endpointslices" : "endpoints");
  for (const auto& ns : std::exchange(waiting_, {})) {
    start_namespace(ns);
    recompute(ns);
  }
  update_synced();
}

void ServiceWatcherImpl::start_namespace(const std::string& ns) {
  NamespaceWatch& watch = namespaces_[ns];
  watch.slices = slices_.value_or(false);
  k8s::ResourceRef endpoints =
      watch.slices ? k8s::ResourceRef{"/apis/discovery.k8s.io/v1", "endpointslices", ns, ""}
                   : k8s::ResourceRef{"/api/v1", "endpoints", ns, ""};
  watch.endpoints = api_->informer(endpoints);
  watch.services = api_->informer(k8s::ResourceRef{"/api/v1", "services", ns, ""});
  if (!watch.endpoints || !watch.services) {
    watch.failure = "too many Kubernetes watches on " + api_->config().authority();
    return;
  }
  auto on_change = [weak = weak_from_this(), ns] {
    if (auto self = weak.lock()) {
      self->update_synced();
      self->recompute(ns);
    }
  };
  watch.subscriptions.push_back(watch.endpoints->subscribe(on_change));
  watch.subscriptions.push_back(watch.services->subscribe(on_change));
}

void ServiceWatcherImpl::update_synced() {
  bool all = waiting_.empty();
  for (const auto& [ns, watch] : namespaces_) {
    if (watch.failure.empty() && watch.endpoints &&
        !(watch.endpoints->synced() && watch.services->synced())) {
      all = false;
    }
  }
  synced_.store(all, std::memory_order_release);
}

NamespaceIndex ServiceWatcherImpl::index(const std::string& ns, const NamespaceWatch& watch,
                                         const std::set<std::string, std::less<>>& wanted) const {
  // Only the objects of wanted Services are parsed: the store holds the whole namespace.
  NamespaceIndex out;
  for (const auto& [name, object] : *watch.endpoints->store()) {
    if (!wanted.contains(watch.slices ? slice_service(*object) : name_of(name))) {
      continue;
    }
    if (watch.slices) {
      auto parsed = k8s::parse_endpoint_slice(*object);
      if (auto* e = std::get_if<k8s::ParseError>(&parsed)) {
        log_parse_error("EndpointSlice", name, *e);
        continue;
      }
      auto& slice = std::get<k8s::EndpointSlice>(parsed);
      if (slice.meta.ns != ns || !wanted.contains(slice.service)) {
        continue;
      }
      out.groups[slice.service].emplace_back(std::move(slice.meta), std::move(slice.group));
    } else {
      auto parsed = k8s::parse_endpoints(*object);
      if (auto* e = std::get_if<k8s::ParseError>(&parsed)) {
        log_parse_error("Endpoints", name, *e);
        continue;
      }
      auto& endpoints = std::get<k8s::Endpoints>(parsed);
      if (endpoints.meta.ns != ns || !wanted.contains(endpoints.meta.name)) {
        continue;
      }
      auto& groups = out.groups[endpoints.meta.name];
      for (auto& group : endpoints.groups) {
        groups.emplace_back(endpoints.meta, std::move(group));
      }
    }
  }
  for (const auto& [name, object] : *watch.services->store()) {
    if (!wanted.contains(name_of(name))) {
      continue;
    }
    auto parsed = k8s::parse_service(*object);
    if (auto* e = std::get_if<k8s::ParseError>(&parsed)) {
      log_parse_error("Service", name, *e);
      continue;
    }
    auto& service = std::get<k8s::Service>(parsed);
    if (service.meta.ns == ns && wanted.contains(service.meta.name)) {
      out.services.emplace(service.meta.name, std::move(service));
    }
  }
  return out;
}

ServiceState ServiceWatcherImpl::compute(const ServiceKey& key, const NamespaceWatch& watch,
                                         const NamespaceIndex& index) const {
  using Kind = ServiceState::Kind;
  if (!watch.failure.empty()) {
    return {Kind::Failed, nullptr, watch.failure};
  }
  if (!watch.endpoints) {
    return {};  // waiting for discovery
  }
  for (const auto* informer : {watch.endpoints.get(), watch.services.get()}) {
    if (!informer->synced()) {
      const std::string error = informer->last_error();
      return error.empty() ? ServiceState{} : ServiceState{Kind::Failed, nullptr, error};
    }
  }
  std::vector<k8s::EndpointGroup> groups;
  if (const auto it = index.groups.find(key.service); it != index.groups.end()) {
    for (const auto& [meta, group] : it->second) {
      if (label_matches(meta, key)) {
        groups.push_back(group);
      }
    }
  }
  const k8s::Service* service = nullptr;
  if (const auto it = index.services.find(key.service);
      it != index.services.end() && label_matches(it->second.meta, key)) {
    service = &it->second;
  }
  auto addresses = k8s::resolve_endpoints(groups, key.port, service);
  if (!addresses) {
    return {Kind::Neg, nullptr, {}};
  }
  return {Kind::Bound,
          std::make_shared<const dtab::Addr>(dtab::Addr::bound(std::move(*addresses))),
          {}};
}

void ServiceWatcherImpl::recompute(const std::string& ns) {
  if (stopped_) {
    return;
  }
  const auto keys = keys_in(ns);
  const auto it = namespaces_.find(ns);
  if (keys.empty() || it == namespaces_.end()) {
    return;
  }
  const NamespaceWatch& watch = it->second;
  NamespaceIndex idx;
  if (watch.endpoints && watch.services) {
    std::set<std::string, std::less<>> wanted;
    for (const auto& key : keys) {
      wanted.insert(key.service);
    }
    idx = index(ns, watch, wanted);
  }
  const auto current = states_.load();
  auto next = std::make_shared<States>(*current);
  bool changed = false;
  for (const auto& key : keys) {
    ServiceState state = compute(key, watch, idx);
    auto& slot = (*next)[key];
    const bool same =
        slot.kind == state.kind && slot.failure == state.failure &&
        (slot.addr == state.addr || (slot.addr && state.addr && *slot.addr == *state.addr));
    const bool fresh = !current->contains(key);
    if (!same || fresh) {
      if (same) {
        state.addr = slot.addr;  // keep the shared snapshot when nothing changed
      }
      slot = std::move(state);
      changed = true;
    }
  }
  if (changed) {
    states_.store(std::move(next));
    naming::bump_generation();
  }
}

json::value ServiceWatcherImpl::state_json() const {
  json::object namespaces;
  for (const auto& [ns, watch] : namespaces_) {
    json::object n;
    n["resource"] = watch.endpoints ? (watch.slices ? "endpointslices" : "endpoints") : "";
    if (!watch.failure.empty()) {
      n["error"] = watch.failure;
    } else if (watch.endpoints) {
      n["synced"] = watch.endpoints->synced() && watch.services->synced();
      const std::string error = watch.endpoints->last_error().empty()
                                    ? watch.services->last_error()
                                    : watch.endpoints->last_error();
      if (!error.empty()) {
        n["error"] = error;
      }
      n["endpointObjects"] = watch.endpoints->store()->size();
      n["services"] = watch.services->store()->size();
    } else {
      n["synced"] = false;
    }
    namespaces[ns] = std::move(n);
  }
  json::object names;
  for (const auto& [key, state] : *states_.load()) {
    json::object s;
    switch (state.kind) {
      case ServiceState::Kind::Pending:
        s["state"] = "pending";
        break;
      case ServiceState::Kind::Neg:
        s["state"] = "neg";
        break;
      case ServiceState::Kind::Failed:
        s["state"] = "failed";
        s["error"] = state.failure;
        break;
      case ServiceState::Kind::Bound: {
        s["state"] = "bound";
        json::array addresses;
        for (const auto& a : state.addr->addresses) {
          json::object address;
          address["ip"] = a.host;
          address["port"] = a.port;
          for (const auto& [k, v] : a.meta) {
            address[k] = v;
          }
          addresses.push_back(std::move(address));
        }
        s["addresses"] = std::move(addresses);
        break;
      }
    }
    names[key.show()] = std::move(s);
  }
  json::object out;
  out["server"] = api_->config().authority();
  out["namespaces"] = std::move(namespaces);
  out["names"] = std::move(names);
  return out;
}

}  // namespace

std::string ServiceKey::show() const {
  std::string out = ns + "/" + port + "/" + service;
  if (!label_key.empty()) {
    out += "/" + label_value;
  }
  return out;
}

std::shared_ptr<ServiceWatcher> ServiceWatcher::create(asio::io_context& control,
                                                       k8s::ApiClientSharedPtr api, Limits limits) {
  return std::make_shared<ServiceWatcherImpl>(control, std::move(api), limits);
}

}  // namespace meshd::k8s_naming
