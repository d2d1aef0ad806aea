#pragma once

// Kubernetes service discovery and routing plugins built on the API client (k8s module): the
// io.l5d.k8s / io.l5d.k8s.ns namers, the io.l5d.k8s.daemonset / io.l5d.k8s.localnode
// transformers and the io.l5d.ingress identifier (inventory §4.3, §7.1, §7.3).
//
// Workers read immutable snapshots only (never block, never touch the API client); the control
// thread runs the informers, rebuilds the snapshots on every change and bumps
// `naming::generation()` so that routers re-bind.

#include <boost/asio/io_context.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "meshd/config/model.h"
#include "meshd/core/asio.h"
#include "meshd/dtab/name.h"
#include "meshd/dtab/path.h"
#include "meshd/k8s/api_client.h"
#include "meshd/k8s/objects.h"
#include "meshd/naming/namer.h"
#include "meshd/naming/transformer.h"
#include "meshd/router/identifier.h"
#include "meshd/telemetry/registry.h"

namespace meshd::k8s_naming {

/// One Service port as a name refers to it: `/<ns>/<port>/<service>[/<label value>]`, with the
/// namer's `labelSelector` key (empty: none).
struct ServiceKey {
  std::string ns;
  std::string port;  ///< a port name or a decimal number
  std::string service;
  std::string label_key;
  std::string label_value;
  auto operator<=>(const ServiceKey&) const = default;
  /// `ns/port/service[/label]`.
  std::string show() const;
};

/// What is known about a `ServiceKey`.
struct ServiceState {
  /// Pending: not listed yet; Neg: no such service or port; Bound: `addresses` (possibly
  /// empty); Failed: cannot be watched (`failure` says why).
  enum class Kind { Pending, Neg, Bound, Failed };
  Kind kind = Kind::Pending;
  /// The address set when Bound (shared by every lookup until it changes).
  dtab::AddrConstSharedPtr addr;
  std::string failure;
};

/// Watches the Services and their endpoints of the namespaces that names refer to, through one
/// API client: an informer on EndpointSlices (discovery.k8s.io/v1 when the server serves it,
/// core/v1 Endpoints otherwise) and one on Services per namespace, shared by every key in it.
/// Keys are watched from their first lookup on; their states are recomputed on every change.
class ServiceWatcher {
 public:
  /// Bounds against names from untrusted input (`l5d-dtab` headers).
  struct Limits {
    std::size_t max_namespaces = 256;
    std::size_t max_keys = 10000;
  };

  /// A watcher on `control` through `api` (both must outlive it).
  static std::shared_ptr<ServiceWatcher> create(asio::io_context& control,
                                                k8s::ApiClientSharedPtr api, Limits limits);
  virtual ~ServiceWatcher() = default;

  /// The state of `key`. The first lookup of a key returns Pending and asks the control thread
  /// to watch it; `naming::generation()` moves when its state becomes known or changes.
  /// Thread-safe, non-blocking.
  virtual ServiceState lookup(const ServiceKey& key) = 0;

  /// True once every namespace watched so far has been listed (for `/admin/ready`). Thread-safe.
  virtual bool synced() const = 0;

  /// `/namer_state` JSON: per watched namespace the informers' state, per key its addresses.
  /// Control thread.
  virtual boost::json::value state_json() const = 0;

  /// Stops watching (the last states keep being served). Control thread.
  virtual void stop() = 0;
};

using ServiceWatcherSharedPtr = std::shared_ptr<ServiceWatcher>;

/// `io.l5d.k8s` (`fixed_namespace` empty) and `io.l5d.k8s.ns` (names without the namespace
/// segment, `fixed_namespace` from the environment): `/<ns>/<port>/<svc>[/<label value>]/rest`.
/// The first 3 (or 4) segments are lower-cased as in Linkerd; a name with too few segments, or
/// whose segments are not valid Kubernetes names, is Neg without asking the API.
naming::NamerSharedPtr make_k8s_namer(dtab::Path prefix, ServiceWatcherSharedPtr watcher,
                                      std::string label_key, std::string fixed_namespace = {});

/// `io.l5d.k8s.daemonset`: replaces every address by the pods of `daemon` on the same /24 (or
/// node, with `host_network`). While the daemon Service is not known yet the leaf is Pending;
/// no daemon pod there → Neg.
naming::TransformerConstSharedPtr make_daemonset_transformer(dtab::Path prefix,
                                                             ServiceWatcherSharedPtr watcher,
                                                             ServiceKey daemon, bool host_network);

/// `io.l5d.k8s.localnode`: keeps the addresses on this node (`local`: POD_IP, or NODE_NAME with
/// `host_network`); none left → Neg.
naming::TransformerConstSharedPtr make_localnode_transformer(dtab::Path prefix, std::string local,
                                                             bool host_network);

/// Watches the Ingresses for the io.l5d.ingress identifier: networking.k8s.io/v1 when served,
/// else extensions/v1beta1; keeps those whose class is ours, parsed and ordered.
class IngressWatcher {
 public:
  static std::shared_ptr<IngressWatcher> create(asio::io_context& control,
                                                k8s::ApiClientSharedPtr api, std::string ns,
                                                k8s::IngressOptions options);
  virtual ~IngressWatcher() = default;
  /// The Ingresses that are ours, oldest first. Thread-safe.
  virtual std::shared_ptr<const std::vector<k8s::Ingress>> ingresses() const = 0;
  /// True once listed. Thread-safe.
  virtual bool synced() const = 0;
  virtual const k8s::IngressOptions& options() const = 0;
  /// Control thread.
  virtual void stop() = 0;
};

/// The io.l5d.ingress identifier over `watcher`: `prefix ++ /<ns>/<port>/<service>`, or the
/// reason `no ingress rule matches`.
router::IdentifierConstSharedPtr make_ingress_identifier(dtab::Path prefix,
                                                         std::shared_ptr<IngressWatcher> watcher);

/// Every Kubernetes plugin of one meshd: one API client per API server (shared by the namers,
/// transformers and identifiers that reach the same server), one ServiceWatcher per client and
/// one IngressWatcher per (client, namespace, class).
class Kubernetes {
 public:
  Kubernetes(asio::io_context& control, telemetry::Registry& registry);
  ~Kubernetes();
  Kubernetes(const Kubernetes&) = delete;
  Kubernetes& operator=(const Kubernetes&) = delete;

  /// The client for `api`: in-cluster (HTTPS, service-account token) when neither `host` nor
  /// `port` is written and KUBERNETES_SERVICE_HOST is set; else plain HTTP to host:port. Its
  /// metrics go under `scope` (the first user's). Control thread.
  k8s::ApiClientSharedPtr client(const config::K8sApiConfig& api,
                                 const std::vector<std::string>& scope);
  /// The ServiceWatcher of `client`. Control thread.
  ServiceWatcherSharedPtr service_watcher(const k8s::ApiClientSharedPtr& client);
  /// The IngressWatcher for an identifier. Control thread.
  std::shared_ptr<IngressWatcher> ingress_watcher(const config::IngressIdentifierConfig& config);

  /// True when every watcher has listed what it watches. Thread-safe.
  bool synced() const;
  /// `/namer_state/<prefix>.json` body for a namer's client. Control thread.
  boost::json::value state_json(const k8s::ApiClientSharedPtr& client) const;
  /// Stops every watcher and client. Control thread; idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace meshd::k8s_naming
