#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "meshd/dtab/bind.h"
#include "meshd/dtab/name.h"
#include "meshd/dtab/name_tree.h"
#include "meshd/dtab/path.h"

namespace meshd::naming {

/// A bound-tree transformer (Linkerd `NameTreeTransformer`, inventory §7.3): `io.l5d.port`,
/// `io.l5d.localhost`, `io.l5d.specificHost`, `io.l5d.replace`, `io.l5d.const` (and, with the
/// Kubernetes issue, `io.l5d.k8s.daemonset` / `io.l5d.k8s.localnode`). Configured in a router's
/// `interpreter.transformers` (applied to every tree the interpreter binds) or in a namer's
/// `transformers` (applied to the names that namer binds). Immutable after construction and
/// thread-safe: workers call it while binding, so it never blocks (anything it must resolve is
/// read from a snapshot kept up to date on the control thread, announced by
/// `naming::generation()`).
class Transformer {
 public:
  /// A transformer whose bound ids start with `prefix` (`/%/io.l5d.port/4141`); `name` is
  /// Linkerd's class simple name (`PortTransformer`), shown in `/delegator.json`.
  Transformer(dtab::Path prefix, std::string name)
      : prefix_(std::move(prefix)), name_(std::move(name)) {}
  virtual ~Transformer() = default;
  Transformer(const Transformer&) = delete;
  Transformer& operator=(const Transformer&) = delete;

  /// `/%` ++ the configured prefix.
  const dtab::Path& prefix() const { return prefix_; }
  /// The class simple name for delegator `transformation` nodes.
  const std::string& name() const { return name_; }

  /// Transforms one bound leaf. Address transformers return a Leaf whose id is
  /// `prefix() ++ leaf.id`, residual kept, weight kept, and the transformed `Addr` (Neg when
  /// nothing is left where Linkerd says so); `io.l5d.replace` returns the tree it binds, its
  /// ids prefixed the same way. Thread-safe, never blocks.
  virtual dtab::Activity<dtab::NameTree<dtab::BoundName>> transform_leaf(
      const dtab::BoundName& leaf) const = 0;

  /// Transforms a whole bound tree: by default every leaf through `transform_leaf`, Neg, Fail
  /// and Empty kept, the result simplified; Pending/Failed leaves make the result so.
  /// `io.l5d.const` overrides it (the input is ignored).
  virtual dtab::Activity<dtab::NameTree<dtab::BoundName>> transform(
      const dtab::NameTree<dtab::BoundName>& tree) const;

 private:
  dtab::Path prefix_;
  std::string name_;
};

/// Shared immutable transformer.
using TransformerConstSharedPtr = std::shared_ptr<const Transformer>;

/// Applies `transformers` in list order to `tree` (an Ok activity); Pending/Failed pass through.
dtab::Activity<dtab::NameTree<dtab::BoundName>> apply_transformers(
    const std::vector<TransformerConstSharedPtr>& transformers,
    dtab::Activity<dtab::NameTree<dtab::BoundName>> tree);

}  // namespace meshd::naming
