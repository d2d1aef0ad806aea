#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "meshd/dtab/bind.h"
#include "meshd/dtab/dentry.h"
#include "meshd/dtab/dtab.h"
#include "meshd/dtab/name.h"
#include "meshd/dtab/name_tree.h"
#include "meshd/dtab/path.h"
#include "meshd/naming/interpreter.h"
#include "meshd/naming/transformer.h"

namespace meshd::naming {

/// The explanation of how a path delegates (Linkerd `DelegateTree[Name.Bound]`, dtab-spec §9):
/// every lookup step with the path it looked up and the dentry that produced that path. Node
/// kinds: `Delegate` (one rewrite), `Alt`, `Union` (every branch evaluated), `Leaf` (a bound
/// name), `Transformation` (a transformer applied to a bound name), `Neg`, `Fail`, `Empty` and
/// `Exception` (a namer failure or the depth limit inside a branch). Immutable; copies share
/// their children. Safe to share read-only between threads.
class DelegateTree {
 public:
  /// The node variants.
  enum class Kind { Delegate, Alt, Union, Leaf, Transformation, Neg, Fail, Empty, Exception };
  /// A Union member with its weight.
  struct Weighted;

  /// Neg at the empty path with the nop dentry.
  DelegateTree();

  /// `path` rewritten by one dentry (or namer) into `child`.
  static DelegateTree delegate(dtab::Path path, dtab::Dentry dentry, DelegateTree child);
  /// Several dentries matched `path`; `alts` last dentry first, none short-circuited.
  static DelegateTree alt(dtab::Path path, dtab::Dentry dentry, std::vector<DelegateTree> alts);
  /// A weighted union; weights as written.
  static DelegateTree union_(dtab::Path path, dtab::Dentry dentry, std::vector<Weighted> members);
  /// `path` bound by a namer to `bound`.
  static DelegateTree leaf(dtab::Path path, dtab::Dentry dentry, dtab::BoundName bound);
  /// Transformer `name` mapped the bound name `bound` (found at `path`) to `tree`, a leaf whose
  /// path is the new id. Has no dentry.
  static DelegateTree transformation(dtab::Path path, std::string name, dtab::BoundName bound,
                                     DelegateTree tree);
  /// No such name (`~`, or nothing matched).
  static DelegateTree neg(dtab::Path path, dtab::Dentry dentry);
  /// `!` or `/$/fail`.
  static DelegateTree fail(dtab::Path path, dtab::Dentry dentry);
  /// `$` or `/$/nil`.
  static DelegateTree empty(dtab::Path path, dtab::Dentry dentry);
  /// A failure at `path` with `message` (Java `getMessage`).
  static DelegateTree exception(dtab::Path path, dtab::Dentry dentry, std::string message);

  /// The variant.
  Kind kind() const;
  /// The path looked up at this node (empty for a Neg made from an explicit `~`).
  const dtab::Path& path() const;
  /// The dentry that produced `path()`; `Dentry::nop()` at the root and for Transformation.
  const dtab::Dentry& dentry() const;
  /// Delegate and Transformation: the one child; Alt: the alternatives; otherwise empty.
  const std::vector<DelegateTree>& children() const;
  /// Union: the members; otherwise empty.
  const std::vector<Weighted>& weighted() const;
  /// Leaf: the bound name; Transformation: the name before the transform. Precondition: one of
  /// those kinds.
  const dtab::BoundName& bound() const;
  /// Transformation: the transformer's name; Exception: the message; otherwise empty.
  const std::string& text() const;

  /// The same node with `dentry` (Linkerd `withDentry`); a Transformation is returned as is.
  DelegateTree with_dentry(dtab::Dentry dentry) const;

  /// Linkerd `DelegateTree.simplify` (dtab-spec §9.3): a Delegate whose simplified child has the
  /// same path (and is not Neg/Fail/Empty) collapses into the child, which takes its dentry;
  /// empty Alt/Union become Neg; a single-member Alt/Union becomes a Delegate; Alt children
  /// that are Alts of the same path are spliced in. Neg branches are kept; Transformation
  /// contents are left alone.
  DelegateTree simplified() const;

  /// Structural equality (bound names compare by id, weights exactly).
  bool operator==(const DelegateTree& other) const;

 private:
  struct Node;
  explicit DelegateTree(std::shared_ptr<const Node> node) : node_(std::move(node)) {}
  static std::shared_ptr<Node> make_node(Kind kind, dtab::Path path, dtab::Dentry dentry);

  std::shared_ptr<const Node> node_;
};

struct DelegateTree::Weighted {
  /// The member's weight (a double, not normalised).
  double weight = 1.0;
  /// The member.
  DelegateTree tree;
  /// Equal when weights (exactly) and trees are equal.
  bool operator==(const Weighted&) const = default;
};

/// The outcome of one `delegate` evaluation.
struct Delegation {
  /// The simplified tree, transformers applied. Meaningless when `failure` is set.
  DelegateTree tree;
  /// True while a namer lookup, a transformer or the `Addr` of a bound name is still Pending:
  /// evaluate again later (after the control executor ran) to get the settled answer. A
  /// pending lookup shows as an `exception` node with message `lookup pending`.
  bool pending = false;
  /// Set when delegation failed as a whole: `Max recursion level reached.` outside any
  /// Alt/Union (inside one it becomes an `exception` node instead).
  std::optional<std::string> failure;
};

/// The namer step of delegation: the configured namers, then `/$` (`Interpreter::lookup_namers`).
using NamerLookup = std::function<dtab::Activity<dtab::NameTree<dtab::Name>>(const dtab::Path&)>;

/// The delegation depth limit of Linkerd's explainer (fixed, unlike `namerMaxDepth`).
inline constexpr int kDelegateMaxDepth = 100;

/// Explains how `path` delegates through `interpreter.own_dtab() ++ dtab`, the interpreter's
/// namers and `/$` (Linkerd `ConfiguredNamersInterpreter.delegate`, dtab-spec §9.2): every
/// Alt/Union branch is evaluated, namer failures and a depth overflow inside a branch become
/// `exception` nodes, the tree is simplified (§9.3), and then every bound leaf is wrapped in a
/// `transformation` node for each of `interpreter.transformers()`, in order. Synchronous and
/// non-blocking (namers read snapshots); callable from any thread. Never throws. While the
/// interpreter's `dtabFile` never held a valid dtab, fails with `own_dtab_failure()`.
Delegation delegate(const Interpreter& interpreter, const dtab::Dtab& dtab, const dtab::Path& path);

/// Like the `Interpreter` overload with the pieces given separately: `dtab` is used as is,
/// `lookup_namers` is consulted when the dtab lookup is exactly Neg, and `transformers` are
/// applied in order. The seam for tests and for interpreters that are not `Interpreter`s.
Delegation delegate(const dtab::Dtab& dtab, const dtab::Path& path,
                    const NamerLookup& lookup_namers,
                    const std::vector<TransformerConstSharedPtr>& transformers);

/// The compact JSON of Linkerd's `/delegator.json` for `tree` (dtab-spec §9.4), byte-exact:
/// `"type"` first, then the fields in Linkerd's order; `dentry` left out when it is equivalent
/// to `Dentry::nop()`; Neg paths `"~"` when empty, Fail paths `"!"` unless under `/$/fail`;
/// weights as Java `Double.toString`; `/` not escaped; bound names as `{"addr":...,"id":...,
/// "path":<residual or "/">}` with `addr` one of `bound` (ip, port, meta of each address; a
/// weight other than 1.0 as meta `endpoint_addr_weight`), `neg`, `pending`, `failed` (cause).
std::string to_json(const DelegateTree& tree);

/// Java `Double.toString(value)`: `1.0`, `0.7`, `1.0E-4`, `1.0E7`, `NaN`, `Infinity`.
std::string java_double_to_string(double value);

}  // namespace meshd::naming
