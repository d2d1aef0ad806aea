#pragma once

#include "meshd/dtab/bind.h"
#include "meshd/dtab/name.h"
#include "meshd/dtab/name_tree.h"
#include "meshd/dtab/path.h"
#include "meshd/naming/inet_resolver.h"
#include "meshd/naming/namer.h"

namespace meshd::naming {

/// Finagle's `Namer.global`, the namer of the system paths under `/$` (dtab-spec §7.2 and
/// inventory §7.2). Its `lookup` receives the path without the leading `$`:
/// - `inet|fixedinet/<host>/<port>[/res]` and `inet|fixedinet/<port>[/res]` (host 127.0.0.1):
///   a bound leaf with id `/$/<kind>/<host>/<port>` (the consumed path) and residual `res`. IP
///   literals are bound at once; hostnames resolve on the control thread, the leaf's `Addr`
///   staying Pending until then. `<port>` is a Java int; outside 0–65535 the Addr is Failed.
/// - `io.buoyant.rinet/<port>/<host>[/res]`: the same with id `/$/io.buoyant.rinet/<port>/<host>`.
/// - `fail...` → Fail, `nil...` → Empty.
/// - the rewriting namers `io.buoyant.hostportPfx`, `io.buoyant.porthostPfx` and
///   `io.buoyant.http.{anyMethod,anyHost,subdomainOf,domainToPath}[Pfx]`: a `Name` path to
///   delegate further, or Neg when the pattern does not match.
/// - any other `<kind>` → a Failed activity `Unknown namer: <kind> for path: /$/<kind>/...`.
/// - the empty path (`/$` alone) → Neg.
/// Thread-safe; never blocks.
class GlobalNamer final : public Namer {
 public:
  /// A global namer resolving hostnames with `resolver`, which it shares.
  explicit GlobalNamer(InetResolverSharedPtr resolver);

  // naming::Namer
  dtab::Activity<dtab::NameTree<dtab::Name>> lookup(const dtab::Path& residual) const override;

 private:
  dtab::Activity<dtab::NameTree<dtab::Name>> bind_inet(const dtab::Path& id,
                                                       const std::string& host,
                                                       const std::string& port,
                                                       const dtab::Path& residual) const;

  InetResolverSharedPtr resolver_;
};

}  // namespace meshd::naming
