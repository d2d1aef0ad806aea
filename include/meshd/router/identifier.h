#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "meshd/config/model.h"
#include "meshd/dtab/path.h"
#include "meshd/http/message.h"

namespace meshd::router {

/// The outcome of identifying a request: a logical name, or Linkerd's reason it has none.
struct Identification {
  std::optional<dtab::Path> dst;
  std::string reason;  ///< set when `dst` is empty, e.g. "Host header is absent"
};

/// Turns a request into a logical name under the router's `dstPrefix` (Linkerd's
/// `RoutingFactory.Identifier`). Immutable and shared by all workers; `identify` may rewrite the
/// request (`io.l5d.path` with `consume`).
class Identifier {
 public:
  virtual ~Identifier() = default;
  virtual Identification identify(http::Request& req) const = 0;
};

using IdentifierConstSharedPtr = std::shared_ptr<const Identifier>;

/// Builds an identifier of a kind implemented outside the router module (`io.l5d.ingress`, by
/// the Kubernetes module) for the router's `dstPrefix`; null if it cannot.
using ExternalIdentifierFactory = std::function<IdentifierConstSharedPtr(
    const dtab::Path& prefix, const config::IdentifierConfig& config)>;

/// Builds the identifiers of a router from its validated config, in order. Kinds the router
/// module does not implement are built by `external` (skipped when it is empty or returns null).
std::vector<IdentifierConstSharedPtr> make_identifiers(
    const config::RouterConfig& router, const ExternalIdentifierFactory& external = {});

/// Tries `identifiers` in order; the first that names the request wins, else the last one's
/// reason is reported (Linkerd's `Identifier.compose`).
Identification identify(const std::vector<IdentifierConstSharedPtr>& identifiers,
                        http::Request& req);

}  // namespace meshd::router
