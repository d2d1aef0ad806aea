#include "meshd/naming/transformer.h"

#include <utility>

namespace meshd::naming {

namespace {

using Tree = dtab::NameTree<dtab::BoundName>;
using Bound = dtab::Activity<Tree>;

// Every leaf through `transform_leaf`, the shape kept. The first leaf that is not Ok (in tree
// order) decides the result, as a Finagle `Activity.collect` over the leaves would.
Bound transform_leaves(const Transformer& transformer, const Tree& tree) {
  switch (tree.kind()) {
    case Tree::Kind::Leaf:
      return transformer.transform_leaf(tree.value());
    case Tree::Kind::Alt: {
      std::vector<Tree> alts;
      alts.reserve(tree.alts().size());
      for (const Tree& alt : tree.alts()) {
        Bound t = transform_leaves(transformer, alt);
        if (!t.is_ok()) {
          return t;
        }
        alts.push_back(std::move(t.value));
      }
      return Bound::ok(Tree::alt(std::move(alts)));
    }
    case Tree::Kind::Union: {
      std::vector<Tree::Weighted> members;
      members.reserve(tree.weighted().size());
      for (const Tree::Weighted& member : tree.weighted()) {
        Bound t = transform_leaves(transformer, member.tree);
        if (!t.is_ok()) {
          return t;
        }
        members.push_back({member.weight, std::move(t.value)});
      }
      return Bound::ok(Tree::union_(std::move(members)));
    }
    case Tree::Kind::Fail:
    case Tree::Kind::Neg:
    case Tree::Kind::Empty:
      break;
  }
  return Bound::ok(tree);
}

}  // namespace

Bound Transformer::transform(const Tree& tree) const {
  Bound result = transform_leaves(*this, tree);
  if (result.is_ok()) {
    result.value = result.value.simplified();
  }
  return result;
}

Bound apply_transformers(const std::vector<TransformerConstSharedPtr>& transformers, Bound tree) {
  for (const auto& transformer : transformers) {
    if (!tree.is_ok()) {
      break;
    }
    tree = transformer->transform(tree.value);
  }
  return tree;
}

}  // namespace meshd::naming
