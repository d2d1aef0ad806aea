#pragma once

#include <memory>
#include <string>

#include "meshd/dtab/bind.h"
#include "meshd/dtab/name.h"
#include "meshd/dtab/name_tree.h"
#include "meshd/dtab/path.h"
#include "meshd/naming/namer.h"
#include "meshd/naming/path_matcher.h"

namespace meshd::naming {

/// Linkerd's `io.l5d.rewrite` namer (inventory §7.1, `RewritingNamer`): when the residual path
/// matches `pattern` (a `PathMatcher`, as a prefix), `lookup` answers a `Name` path leaf, `name`
/// with the captures substituted, which the interpreter delegates again through the dtab.
/// Labels beyond the pattern are dropped, not appended (unlike the `/$/` rewriting namers).
/// A path that does not match is Neg. A substituted name that is not a valid path (a captured
/// label holding a character `Path.read` rejects, or a `{var}` the pattern never captures) is a
/// Failed activity carrying the parse error, as Linkerd's `Path.read` throws there.
/// Pure and immutable: thread-safe, never blocks.
class RewriteNamer final : public Namer {
 public:
  /// A namer served at `prefix` (`/#` ++ the configured prefix) rewriting with `pattern` and
  /// `name` (`/{port}/{ns}/{svc}` → `/k8s/{ns}/{port}/{svc}`).
  RewriteNamer(dtab::Path prefix, PathMatcher pattern, std::string name);

  // naming::Namer
  dtab::Activity<dtab::NameTree<dtab::Name>> lookup(const dtab::Path& residual) const override;

 private:
  PathMatcher pattern_;
  std::string name_;
};

/// Shared ownership of a rewrite namer.
using RewriteNamerSharedPtr = std::shared_ptr<RewriteNamer>;

}  // namespace meshd::naming
