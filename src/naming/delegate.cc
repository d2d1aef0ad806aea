#include "meshd/naming/delegate.h"

#include <string_view>
#include <utility>

namespace meshd::naming {

using dtab::BoundName;
using dtab::Dentry;
using dtab::Path;
using Kind = DelegateTree::Kind;
using NameTreeN = dtab::NameTree<dtab::Name>;
using Lookup = dtab::Activity<NameTreeN>;

struct DelegateTree::Node {
  Kind kind = Kind::Neg;
  Path path;
  Dentry dentry;
  std::vector<DelegateTree> children;
  std::vector<Weighted> weighted;
  std::optional<BoundName> bound;
  std::string text;  // Transformation: the transformer name; Exception: the message
};

namespace {

// Shared, so that every node does not build its own copy of `/\x2f=>~`.
const Dentry& nop_dentry() {
  static const Dentry nop = Dentry::nop();
  return nop;
}

constexpr std::string_view kMaxDepthMessage = "Max recursion level reached.";
constexpr std::string_view kPendingMessage = "lookup pending";

}  // namespace

// ---- DelegateTree ----------------------------------------------------------------------------

std::shared_ptr<DelegateTree::Node> DelegateTree::make_node(Kind kind, Path path, Dentry dentry) {
  auto node = std::make_shared<Node>();
  node->kind = kind;
  node->path = std::move(path);
  node->dentry = std::move(dentry);
  return node;
}

DelegateTree::DelegateTree() : DelegateTree(make_node(Kind::Neg, Path(), nop_dentry())) {}

DelegateTree DelegateTree::delegate(Path path, Dentry dentry, DelegateTree child) {
  auto node = make_node(Kind::Delegate, std::move(path), std::move(dentry));
  node->children.push_back(std::move(child));
  return DelegateTree(std::move(node));
}

DelegateTree DelegateTree::alt(Path path, Dentry dentry, std::vector<DelegateTree> alts) {
  auto node = make_node(Kind::Alt, std::move(path), std::move(dentry));
  node->children = std::move(alts);
  return DelegateTree(std::move(node));
}

DelegateTree DelegateTree::union_(Path path, Dentry dentry, std::vector<Weighted> members) {
  auto node = make_node(Kind::Union, std::move(path), std::move(dentry));
  node->weighted = std::move(members);
  return DelegateTree(std::move(node));
}

DelegateTree DelegateTree::leaf(Path path, Dentry dentry, BoundName bound) {
  auto node = make_node(Kind::Leaf, std::move(path), std::move(dentry));
  node->bound = std::move(bound);
  return DelegateTree(std::move(node));
}

DelegateTree DelegateTree::transformation(Path path, std::string name, BoundName bound,
                                          DelegateTree tree) {
  auto node = make_node(Kind::Transformation, std::move(path), nop_dentry());
  node->text = std::move(name);
  node->bound = std::move(bound);
  node->children.push_back(std::move(tree));
  return DelegateTree(std::move(node));
}

DelegateTree DelegateTree::neg(Path path, Dentry dentry) {
  return DelegateTree(make_node(Kind::Neg, std::move(path), std::move(dentry)));
}

DelegateTree DelegateTree::fail(Path path, Dentry dentry) {
  return DelegateTree(make_node(Kind::Fail, std::move(path), std::move(dentry)));
}

DelegateTree DelegateTree::empty(Path path, Dentry dentry) {
  return DelegateTree(make_node(Kind::Empty, std::move(path), std::move(dentry)));
}

DelegateTree DelegateTree::exception(Path path, Dentry dentry, std::string message) {
  auto node = make_node(Kind::Exception, std::move(path), std::move(dentry));
  node->text = std::move(message);
  return DelegateTree(std::move(node));
}

Kind DelegateTree::kind() const { return node_->kind; }
const Path& DelegateTree::path() const { return node_->path; }
const Dentry& DelegateTree::dentry() const { return node_->dentry; }
const std::vector<DelegateTree>& DelegateTree::children() const { return node_->children; }
const std::vector<DelegateTree::Weighted>& DelegateTree::weighted() const {
  return node_->weighted;
}
const BoundName& DelegateTree::bound() const { return *node_->bound; }
const std::string& DelegateTree::text() const { return node_->text; }

DelegateTree DelegateTree::with_dentry(Dentry dentry) const {
  if (kind() == Kind::Transformation) {
    return *this;
  }
  auto node = std::make_shared<Node>(*node_);
  node->dentry = std::move(dentry);
  return DelegateTree(std::move(node));
}

DelegateTree DelegateTree::simplified() const {
  switch (kind()) {
    case Kind::Delegate: {
      DelegateTree child = children().front().simplified();
      const Kind k = child.kind();
      const bool collapse =
          k != Kind::Neg && k != Kind::Fail && k != Kind::Empty && child.path() == path();
      return collapse ? child.with_dentry(dentry()) : delegate(path(), dentry(), std::move(child));
    }
    case Kind::Alt: {
      if (children().empty()) {
        return neg(path(), dentry());
      }
      if (children().size() == 1) {
        return delegate(path(), dentry(), children().front()).simplified();
      }
      std::vector<DelegateTree> out;
      for (const auto& c : children()) {
        DelegateTree s = c.simplified();
        if (s.kind() == Kind::Alt && s.path() == path()) {
          out.insert(out.end(), s.children().begin(), s.children().end());
        } else {
          out.push_back(std::move(s));
        }
      }
      return alt(path(), dentry(), std::move(out));
    }
    case Kind::Union: {
      if (weighted().empty()) {
        return neg(path(), dentry());
      }
      if (weighted().size() == 1) {
        return delegate(path(), dentry(), weighted().front().tree).simplified();
      }
      std::vector<Weighted> out;
      for (const auto& w : weighted()) {
        out.push_back({w.weight, w.tree.simplified()});
      }
      return union_(path(), dentry(), std::move(out));
    }
    default:
      return *this;
  }
}

bool DelegateTree::operator==(const DelegateTree& other) const {
  if (node_ == other.node_) {
    return true;
  }
  const Node& a = *node_;
  const Node& b = *other.node_;
  return a.kind == b.kind && a.path == b.path && a.dentry == b.dentry && a.text == b.text &&
         a.bound == b.bound && a.children == b.children && a.weighted == b.weighted;
}

// ---- delegation ------------------------------------------------------------------------------

namespace {

// A delegation step: a tree, or a failure that propagates to the nearest Alt/Union (Linkerd's
// failed Future).
struct Step {
  DelegateTree tree;
  std::optional<std::string> failure;
};

// Linkerd `ConfiguredNamersInterpreter.delegateBind` / `delegateLookup` over a synchronous
// lookup. Finagle builds a `DelegateTree[Name]` with unbound leaves and then binds it; here
// `bind_tree` does both at once: `bind_tree(depth, p, d, t)` is `dbind(depth, fromNameTree(p, d,
// t))` and `bind_path(depth, q, d)` is `dbind(depth, Leaf(_, d, Name.Path(q)))`.
class Binder {
 public:
  Binder(const dtab::Dtab& dtab, const NamerLookup& lookup_namers)
      : dtab_(dtab), lookup_namers_(lookup_namers) {}

  Step bind_path(int depth, const Path& path, const Dentry& dentry) {
    if (depth > kDelegateMaxDepth) {
      return too_deep();
    }
    std::vector<std::pair<const Dentry*, NameTreeN>> matches;
    for (auto it = dtab_.dentries().rbegin(); it != dtab_.dentries().rend(); ++it) {
      if (it->prefix.matches(path)) {
        const Path suffix = path.drop(it->prefix.size());
        matches.emplace_back(&*it,
                             it->dst.map([&](const Path& p) { return dtab::Name(p + suffix); }));
      }
    }
    const int next = depth + 1;
    if (matches.empty()) {
      return bind_namers(next, path, dentry);
    }
    if (next > kDelegateMaxDepth) {
      return too_deep();
    }
    if (matches.size() == 1) {
      Step child = bind_tree(next, path, *matches.front().first, matches.front().second);
      if (child.failure) {
        return child;
      }
      return {DelegateTree::delegate(path, dentry, std::move(child.tree)), std::nullopt};
    }
    std::vector<DelegateTree> alts;
    for (const auto& [dentry_i, tree] : matches) {
      alts.push_back(or_exception(bind_tree(next, path, *dentry_i, tree), path, dentry));
    }
    return {DelegateTree::alt(path, dentry, std::move(alts)), std::nullopt};
  }

  bool pending() const { return pending_; }

 private:
  static Step too_deep() { return {DelegateTree(), std::string(kMaxDepthMessage)}; }

  static DelegateTree or_exception(Step step, const Path& path, const Dentry& dentry) {
    if (step.failure) {
      return DelegateTree::exception(path, dentry, std::move(*step.failure));
    }
    return std::move(step.tree);
  }

  // Nothing in the dtab matched `path`: ask the namers. The result is bound at `depth`.
  Step bind_namers(int depth, const Path& path, const Dentry& dentry) {
    const Lookup found = lookup_namers_(path);
    DelegateTree settled;
    switch (found.state) {
      case Lookup::State::Pending:
        pending_ = true;
        settled = DelegateTree::exception(path, dentry, std::string(kPendingMessage));
        break;
      case Lookup::State::Failed:
        settled = DelegateTree::exception(path, dentry, found.failure);
        break;
      case Lookup::State::Ok:
        if (found.value.kind() != NameTreeN::Kind::Neg) {
          return bind_tree(depth, path, dentry, found.value);
        }
        settled = DelegateTree::neg(path, dentry);
        break;
    }
    if (depth > kDelegateMaxDepth) {
      return too_deep();
    }
    return {std::move(settled), std::nullopt};
  }

  Step bind_tree(int depth, const Path& path, const Dentry& dentry, const NameTreeN& tree) {
    if (depth > kDelegateMaxDepth) {
      return too_deep();
    }
    switch (tree.kind()) {
      case NameTreeN::Kind::Empty:
        return {DelegateTree::empty(path, dentry), std::nullopt};
      case NameTreeN::Kind::Fail:
        return {DelegateTree::fail(path, dentry), std::nullopt};
      case NameTreeN::Kind::Neg:
        return {DelegateTree::neg(Path(), dentry), std::nullopt};
      case NameTreeN::Kind::Leaf:
        if (const BoundName* bound = tree.value().as_bound()) {
          return {DelegateTree::leaf(path, dentry, *bound), std::nullopt};
        }
        return bind_path(depth, *tree.value().as_path(), dentry);
      case NameTreeN::Kind::Alt:
        return bind_alt(depth, path, dentry, tree.alts());
      case NameTreeN::Kind::Union:
        return bind_union(depth, path, dentry, tree.weighted());
    }
    return {DelegateTree(), std::nullopt};
  }

  Step bind_alt(int depth, const Path& path, const Dentry& dentry,
                const std::vector<NameTreeN>& alts) {
    if (alts.empty()) {
      return {DelegateTree::neg(path, dentry), std::nullopt};
    }
    if (alts.size() == 1) {
      Step child = bind_tree(depth, path, dentry, alts.front());
      if (child.failure) {
        return child;
      }
      return {DelegateTree::delegate(path, dentry, std::move(child.tree)), std::nullopt};
    }
    // Unlike binding, every alternative is evaluated, so the explanation shows them all.
    std::vector<DelegateTree> out;
    for (const auto& alt : alts) {
      out.push_back(or_exception(bind_tree(depth, path, dentry, alt), path, dentry));
    }
    return {DelegateTree::alt(path, dentry, std::move(out)), std::nullopt};
  }

  Step bind_union(int depth, const Path& path, const Dentry& dentry,
                  const std::vector<NameTreeN::Weighted>& members) {
    if (members.empty()) {
      return {DelegateTree::neg(path, dentry), std::nullopt};
    }
    if (members.size() == 1) {  // the weight is dropped, as Linkerd does
      Step child = bind_tree(depth, path, dentry, members.front().tree);
      if (child.failure) {
        return child;
      }
      return {DelegateTree::delegate(path, dentry, std::move(child.tree)), std::nullopt};
    }
    std::vector<DelegateTree::Weighted> out;
    for (const auto& m : members) {
      out.push_back({m.weight, or_exception(bind_tree(depth, path, dentry, m.tree), path, dentry)});
    }
    return {DelegateTree::union_(path, dentry, std::move(out)), std::nullopt};
  }

  const dtab::Dtab& dtab_;
  const NamerLookup& lookup_namers_;
  bool pending_ = false;
};

// A transformer's bound tree as delegate nodes: each leaf at its new id, keeping `dentry`.
DelegateTree from_bound_tree(const Path& path, const Dentry& dentry,
                             const dtab::NameTree<BoundName>& tree) {
  using BKind = dtab::NameTree<BoundName>::Kind;
  switch (tree.kind()) {
    case BKind::Leaf:
      return DelegateTree::leaf(tree.value().id, dentry, tree.value());
    case BKind::Alt: {
      std::vector<DelegateTree> alts;
      for (const auto& t : tree.alts()) {
        alts.push_back(from_bound_tree(path, dentry, t));
      }
      return DelegateTree::alt(path, dentry, std::move(alts));
    }
    case BKind::Union: {
      std::vector<DelegateTree::Weighted> members;
      for (const auto& w : tree.weighted()) {
        members.push_back({w.weight, from_bound_tree(path, dentry, w.tree)});
      }
      return DelegateTree::union_(path, dentry, std::move(members));
    }
    case BKind::Fail:
      return DelegateTree::fail(path, dentry);
    case BKind::Empty:
      return DelegateTree::empty(path, dentry);
    case BKind::Neg:
      break;
  }
  return DelegateTree::neg(Path(), dentry);
}

// Linkerd `DelegatingNameTreeTransformer.transformDelegate`: every bound leaf (also the ones
// inside earlier transformations) becomes `Transformation(leaf path, name, leaf bound, leaf at
// the new id)`.
DelegateTree transform(const DelegateTree& tree, const Transformer& transformer, bool& pending) {
  switch (tree.kind()) {
    case Kind::Leaf: {
      const auto result = transformer.transform_leaf(tree.bound());
      using State = decltype(result.state);
      if (result.state == State::Pending) {
        pending = true;
        return DelegateTree::exception(tree.path(), tree.dentry(), std::string(kPendingMessage));
      }
      if (result.state == State::Failed) {
        return DelegateTree::exception(tree.path(), tree.dentry(), result.failure);
      }
      return DelegateTree::transformation(
          tree.path(), transformer.name(), tree.bound(),
          from_bound_tree(tree.path(), tree.dentry(), result.value));
    }
    case Kind::Delegate:
      return DelegateTree::delegate(tree.path(), tree.dentry(),
                                    transform(tree.children().front(), transformer, pending));
    case Kind::Transformation:
      return DelegateTree::transformation(tree.path(), tree.text(), tree.bound(),
                                          transform(tree.children().front(), transformer, pending));
    case Kind::Alt: {
      std::vector<DelegateTree> alts;
      for (const auto& c : tree.children()) {
        alts.push_back(transform(c, transformer, pending));
      }
      return DelegateTree::alt(tree.path(), tree.dentry(), std::move(alts));
    }
    case Kind::Union: {
      std::vector<DelegateTree::Weighted> members;
      for (const auto& w : tree.weighted()) {
        members.push_back({w.weight, transform(w.tree, transformer, pending)});
      }
      return DelegateTree::union_(tree.path(), tree.dentry(), std::move(members));
    }
    default:
      return tree;
  }
}

bool addr_pending(const BoundName& bound) {
  return bound.addr == nullptr || bound.addr->kind == dtab::Addr::Kind::Pending;
}

// True if the `Addr` of any bound name in `tree` is still Pending (Linkerd's JSON encoder waits
// for each of them).
bool any_addr_pending(const DelegateTree& tree) {
  if ((tree.kind() == Kind::Leaf || tree.kind() == Kind::Transformation) &&
      addr_pending(tree.bound())) {
    return true;
  }
  for (const auto& c : tree.children()) {
    if (any_addr_pending(c)) {
      return true;
    }
  }
  for (const auto& w : tree.weighted()) {
    if (any_addr_pending(w.tree)) {
      return true;
    }
  }
  return false;
}

}  // namespace

Delegation delegate(const dtab::Dtab& dtab, const Path& path, const NamerLookup& lookup_namers,
                    const std::vector<TransformerConstSharedPtr>& transformers) {
  Binder binder(dtab, lookup_namers);
  Step root = binder.bind_path(0, path, nop_dentry());
  Delegation out;
  if (root.failure) {
    out.failure = std::move(root.failure);
    return out;
  }
  out.pending = binder.pending();
  // Linkerd simplifies inside the interpreter and the transformers wrap it from outside, so
  // their nodes are added to the simplified tree (and keep the leaf's dentry).
  out.tree = root.tree.simplified();
  for (const auto& transformer : transformers) {
    out.tree = transform(out.tree, *transformer, out.pending);
  }
  out.pending = out.pending || any_addr_pending(out.tree);
  return out;
}

Delegation delegate(const Interpreter& interpreter, const dtab::Dtab& dtab, const Path& path) {
  if (std::string failure = interpreter.own_dtab_failure(); !failure.empty()) {
    return {DelegateTree(), false, std::move(failure)};  // Linkerd: the dtab Activity failed
  }
  const NamerLookup lookup = [&interpreter](const Path& p) { return interpreter.lookup_namers(p); };
  return delegate(interpreter.own_dtab() + dtab, path, lookup, interpreter.transformers());
}

}  // namespace meshd::naming
