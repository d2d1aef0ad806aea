#include "meshd/dtab/bind.h"

#include <optional>
#include <string>
#include <vector>

namespace meshd::dtab {

namespace {

using BoundTree = NameTree<BoundName>;
using BindResult = Activity<BoundTree>;
using Kind = NameTree<Name>::Kind;

// One bind call: Finagle's `Namer.bind(lookup, tree)` with the depth and innermost union weight
// threaded through the recursion (dtab-spec §7.3).
class Binder {
 public:
  Binder(const NameLookup& lookup, int max_depth) : lookup_(lookup), max_depth_(max_depth) {}

  BindResult bind(int depth, std::optional<double> weight, const NameTree<Name>& tree) const {
    // The check runs before the tree is inspected: the 101st lookup's result fails, whatever
    // it is.
    if (depth > max_depth_) {
      return BindResult::failed("Max recursion level: " + std::to_string(max_depth_) +
                                " reached in Namer lookup");
    }
    switch (tree.kind()) {
      case Kind::Leaf:
        return bind_leaf(depth, weight, tree.value());
      case Kind::Fail:
        return BindResult::ok(BoundTree::fail());
      case Kind::Empty:
        return BindResult::ok(BoundTree::empty());
      case Kind::Neg:
        return BindResult::ok(BoundTree::neg());
      case Kind::Union:
        if (tree.weighted().size() == 1) {
          return bind(depth, tree.weighted().front().weight, tree.weighted().front().tree);
        }
        return bind_union(depth, tree);
      case Kind::Alt:
        if (tree.alts().size() == 1) {
          return bind(depth, weight, tree.alts().front());
        }
        return bind_alt(depth, weight, tree);
    }
    return BindResult::ok(BoundTree::neg());
  }

 private:
  BindResult bind_leaf(int depth, std::optional<double> weight, const Name& name) const {
    if (const Path* path = name.as_path()) {
      Activity<NameTree<Name>> next = lookup_(*path);
      if (!next.is_ok()) {
        return {static_cast<BindResult::State>(next.state), BoundTree::neg(),
                std::move(next.failure)};
      }
      return bind(depth + 1, weight, next.value);
    }
    BoundName bound = *name.as_bound();
    if (weight) {
      bound.weight = *weight;
    }
    return BindResult::ok(BoundTree::leaf(std::move(bound)));
  }

  // Every member is bound; failing and negative members are dropped when any member is Ok.
  // Empty (no members) is handled by the caller as Neg via simplification.
  BindResult bind_union(int depth, const NameTree<Name>& tree) const {
    std::vector<BoundTree::Weighted> oks;
    std::optional<std::string> first_failure;
    for (const auto& member : tree.weighted()) {
      BindResult r = bind(depth, member.weight, member.tree);
      if (r.state == BindResult::State::Ok) {
        oks.push_back({member.weight, std::move(r.value)});
      } else if (r.state == BindResult::State::Failed && !first_failure) {
        first_failure = std::move(r.failure);
      }
    }
    if (!oks.empty()) {
      return BindResult::ok(BoundTree::union_(std::move(oks)).simplified());
    }
    if (first_failure) {
      return BindResult::failed(std::move(*first_failure));
    }
    return tree.weighted().empty() ? BindResult::ok(BoundTree::neg()) : BindResult::pending();
  }

  // Lazily, in order: Neg falls through, Fail stops, anything else (or Pending/Failed) wins.
  BindResult bind_alt(int depth, std::optional<double> weight, const NameTree<Name>& tree) const {
    for (const auto& alt : tree.alts()) {
      BindResult r = bind(depth, weight, alt);
      if (!r.is_ok() || r.value.kind() != BoundTree::Kind::Neg) {
        return r;
      }
    }
    return BindResult::ok(BoundTree::neg());
  }

  const NameLookup& lookup_;
  int max_depth_;
};

}  // namespace

Activity<NameTree<BoundName>> bind(const NameLookup& lookup, const Path& path, int max_depth) {
  return dtab::bind(lookup, NameTree<Name>::leaf(Name(path)), max_depth);
}

Activity<NameTree<BoundName>> bind(const NameLookup& lookup, const NameTree<Name>& tree,
                                   int max_depth) {
  return Binder(lookup, max_depth).bind(0, std::nullopt, tree);
}

}  // namespace meshd::dtab
