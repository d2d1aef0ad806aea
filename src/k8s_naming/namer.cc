// The io.l5d.k8s / io.l5d.k8s.ns namers and the daemonset / localnode transformers.

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

#include "meshd/k8s/objects.h"
#include "meshd/k8s_naming/k8s_naming.h"

namespace meshd::k8s_naming {
namespace {

using dtab::Activity;
using dtab::Addr;
using dtab::BoundName;
using dtab::NameTree;
using Lookup = Activity<NameTree<dtab::Name>>;
using Bound = Activity<NameTree<BoundName>>;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// An RFC 1123 label: what namespaces, Service names and port names are.
bool is_dns_label(std::string_view s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

/// A label value: empty, or alphanumerics with `-_.` inside, at most 63 characters.
bool is_label_value(std::string_view s) {
  return s.size() <= 63 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
         });
}

class K8sNamer final : public naming::Namer {
 public:
  K8sNamer(dtab::Path prefix, ServiceWatcherSharedPtr watcher, std::string label_key,
           std::string fixed_namespace)
      : Namer(std::move(prefix)),
        watcher_(std::move(watcher)),
        label_key_(std::move(label_key)),
        fixed_namespace_(std::move(fixed_namespace)) {}

  Lookup lookup(const dtab::Path& residual) const override {
    const bool fixed = !fixed_namespace_.empty();
    const std::size_t need = (fixed ? 2 : 3) + (label_key_.empty() ? 0 : 1);
    if (residual.size() < need) {
      return Lookup::ok(NameTree<dtab::Name>::neg());
    }
    const auto& elems = residual.elems();
    std::size_t i = 0;
    ServiceKey key;
    key.ns = fixed ? fixed_namespace_ : lower(elems[i++]);
    key.port = lower(elems[i++]);
    key.service = lower(elems[i++]);
    key.label_key = label_key_;
    if (!label_key_.empty()) {
      key.label_value = lower(elems[i++]);
    }
    if (!is_dns_label(key.ns) || !is_dns_label(key.port) || !is_dns_label(key.service) ||
        !is_label_value(key.label_value)) {
      return Lookup::ok(NameTree<dtab::Name>::neg());
    }
    const ServiceState state = watcher_->lookup(key);
    switch (state.kind) {
      case ServiceState::Kind::Pending:
        return Lookup::pending();
      case ServiceState::Kind::Failed:
        return Lookup::failed(state.failure);
      case ServiceState::Kind::Neg:
        return Lookup::ok(NameTree<dtab::Name>::neg());
      case ServiceState::Kind::Bound:
        break;
    }
    // The bound id uses the lower-cased segments (Linkerd's EndpointsNamer).
    dtab::Path id = fixed ? prefix() + dtab::Path::of({key.port, key.service})
                          : prefix() + dtab::Path::of({key.ns, key.port, key.service});
    if (!label_key_.empty()) {
      id = id + dtab::Path::of({key.label_value});
    }
    return Lookup::ok(
        NameTree<dtab::Name>::leaf(BoundName{std::move(id), residual.drop(i), state.addr, 1.0}));
  }

 private:
  ServiceWatcherSharedPtr watcher_;
  std::string label_key_;
  std::string fixed_namespace_;
};

/// Shared shape of the two address transformers: prefix the id, map a Bound `Addr`.
class LocalityTransformer : public naming::Transformer {
 public:
  using Transformer::Transformer;

  Bound transform_leaf(const BoundName& leaf) const final {
    BoundName out{prefix() + leaf.id, leaf.residual, leaf.addr, leaf.weight};
    if (!leaf.addr || leaf.addr->kind != Addr::Kind::Bound) {
      return Bound::ok(NameTree<BoundName>::leaf(std::move(out)));
    }
    auto mapped = map(leaf.addr->addresses);
    if (!mapped) {
      return Bound::pending();
    }
    out.addr = std::make_shared<const Addr>(std::move(*mapped));
    return Bound::ok(NameTree<BoundName>::leaf(std::move(out)));
  }

 protected:
  /// The new `Addr` for `addresses`, or nullopt while it cannot be known yet.
  virtual std::optional<Addr> map(const std::vector<dtab::Address>& addresses) const = 0;

  /// Bound, or Neg when nothing is left (Linkerd's transformers).
  static Addr bound_or_neg(std::vector<dtab::Address> addresses) {
    if (addresses.empty()) {
      return Addr{Addr::Kind::Neg, {}, {}};
    }
    return Addr::bound(std::move(addresses));
  }
};

class DaemonSetTransformer final : public LocalityTransformer {
 public:
  DaemonSetTransformer(dtab::Path prefix, ServiceWatcherSharedPtr watcher, ServiceKey daemon,
                       bool host_network)
      : LocalityTransformer(std::move(prefix), "DaemonSetTransformer"),
        watcher_(std::move(watcher)),
        daemon_(std::move(daemon)),
        host_network_(host_network) {}

 protected:
  std::optional<Addr> map(const std::vector<dtab::Address>& addresses) const override {
    const ServiceState daemon = watcher_->lookup(daemon_);
    switch (daemon.kind) {
      case ServiceState::Kind::Pending:
        return std::nullopt;
      case ServiceState::Kind::Failed:
        return Addr::failed("daemonset " + daemon_.show() + ": " + daemon.failure);
      case ServiceState::Kind::Neg:
        return Addr{Addr::Kind::Neg, {}, {}};
      case ServiceState::Kind::Bound:
        break;
    }
    return bound_or_neg(k8s::daemonset_map(addresses, daemon.addr->addresses, host_network_));
  }

 private:
  ServiceWatcherSharedPtr watcher_;
  ServiceKey daemon_;
  bool host_network_;
};

class LocalnodeTransformer final : public LocalityTransformer {
 public:
  LocalnodeTransformer(dtab::Path prefix, std::string local, bool host_network)
      : LocalityTransformer(std::move(prefix), "LocalNodeTransformer"),
        local_(std::move(local)),
        host_network_(host_network) {}

 protected:
  std::optional<Addr> map(const std::vector<dtab::Address>& addresses) const override {
    return bound_or_neg(k8s::localnode_filter(addresses, local_, host_network_));
  }

 private:
  std::string local_;
  bool host_network_;
};

}  // namespace

naming::NamerSharedPtr make_k8s_namer(dtab::Path prefix, ServiceWatcherSharedPtr watcher,
                                      std::string label_key, std::string fixed_namespace) {
  return std::make_shared<K8sNamer>(std::move(prefix), std::move(watcher), std::move(label_key),
                                    std::move(fixed_namespace));
}

naming::TransformerConstSharedPtr make_daemonset_transformer(dtab::Path prefix,
                                                             ServiceWatcherSharedPtr watcher,
                                                             ServiceKey daemon,
                                                             bool host_network) {
  return std::make_shared<DaemonSetTransformer>(std::move(prefix), std::move(watcher),
                                                std::move(daemon), host_network);
}

naming::TransformerConstSharedPtr make_localnode_transformer(dtab::Path prefix, std::string local,
                                                             bool host_network) {
  return std::make_shared<LocalnodeTransformer>(std::move(prefix), std::move(local),
                                                host_network);
}

}  // namespace meshd::k8s_naming
