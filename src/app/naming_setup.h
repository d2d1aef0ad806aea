#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "meshd/config/model.h"
#include "meshd/core/asio.h"
#include "meshd/naming/interpreter.h"
#include "meshd/naming/namer.h"
#include "meshd/router/identifier.h"
#include "meshd/router/router.h"
#include "meshd/telemetry/registry.h"

namespace meshd::k8s_naming {
class Kubernetes;
}  // namespace meshd::k8s_naming

namespace meshd::app {

/// The naming of one router: its interpreter (`routers[].interpreter`) over the shared namers.
struct RouterNaming {
  /// `interpreter->bind`. Thread-safe.
  router::BindFn bind;
  /// The router's interpreter (for `/delegator.json`); keeps all of the naming state alive.
  std::shared_ptr<const naming::Interpreter> interpreter;
};

/// The configured namers and the interpreters over them, as the routers and the admin pages use
/// them. Everything here runs its watches on the control executor given to `start_naming`.
struct Naming {
  /// One entry per router, parallel to `config.routers`.
  std::vector<RouterNaming> routers;
  /// An interpreter with no configured namers, only `/$` (`/delegator.json` without a
  /// namespace).
  std::shared_ptr<const naming::Interpreter> namers_only;
  /// The configured namers in config order (for `/bound-names.json`: `Namer::enumerate`).
  std::vector<naming::NamerSharedPtr> namers;
  /// The namers' change counter.
  std::function<std::uint64_t()> generation;
  /// Builds the identifiers the router module does not implement (`io.l5d.ingress`). Control
  /// thread, before the workers start.
  router::ExternalIdentifierFactory identifiers;
  /// `/namer_state/<prefix>.json` bodies (`/namer_state/io.l5d.k8s.json`), by admin path.
  /// Called on the control thread.
  std::map<std::string, std::function<std::string()>> namer_states;
  /// True once every Kubernetes watch has listed its objects (always true without any).
  /// Control thread.
  std::function<bool()> synced;
  /// Owns the namers, dtab files and interpreters. Destroy on the control thread, before the
  /// control `io_context`.
  std::shared_ptr<void> owner;
};

/// Builds and starts the namers, transformers, dtab files and per-router interpreters of
/// `config` on `control` (control thread, before the workers start). On an error (an unreadable
/// `rootDir`, a kind that is not implemented) returns null and appends a message naming the key
/// to `errors`. A missing or invalid `dtabFile` is not an error here: it is logged and served as
/// `naming::DtabFile` describes.
std::unique_ptr<Naming> start_naming(const config::Config& config, asio::io_context& control,
                                     telemetry::Registry& registry,
                                     std::vector<std::string>& errors);

}  // namespace meshd::app
