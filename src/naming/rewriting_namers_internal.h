#pragma once

// The pure path-rewriting `/$/` namers Linkerd ships (inventory §7.2): `io.buoyant.hostportPfx`,
// `io.buoyant.porthostPfx` and `io.buoyant.http.*`.

#include <optional>
#include <string_view>

#include "meshd/dtab/bind.h"
#include "meshd/dtab/name.h"
#include "meshd/dtab/name_tree.h"
#include "meshd/dtab/path.h"

namespace meshd::naming::detail {

/// Applies the rewriting namer called `kind` (its Java class name, e.g.
/// `io.buoyant.http.domainToPathPfx`) to `rest`, the path after `/$/<kind>`: a `Name` path
/// leaf to delegate further, or Neg when the pattern does not match (also when the rewrite
/// would produce an empty label, where Linkerd throws). `nullopt` if `kind` is not one of them.
std::optional<dtab::Activity<dtab::NameTree<dtab::Name>>> rewrite_system_path(
    std::string_view kind, const dtab::Path& rest);

}  // namespace meshd::naming::detail
