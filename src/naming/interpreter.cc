#include "meshd/naming/interpreter.h"

#include <algorithm>
#include <utility>

namespace meshd::naming {

namespace {

using Lookup = dtab::Activity<dtab::NameTree<dtab::Name>>;
using NameTree = dtab::NameTree<dtab::Name>;
using BoundTree = dtab::NameTree<dtab::BoundName>;
using Bound = dtab::Activity<BoundTree>;

// A namer's transformers over one of its bound names, back as a tree of names.
Lookup transform_bound(const std::vector<TransformerConstSharedPtr>& transformers,
                       const dtab::BoundName& bound) {
  Bound t = apply_transformers(transformers, Bound::ok(BoundTree::leaf(bound)));
  if (t.state == Bound::State::Pending) {
    return Lookup::pending();
  }
  if (t.state == Bound::State::Failed) {
    return Lookup::failed(std::move(t.failure));
  }
  return Lookup::ok(t.value.map([](const dtab::BoundName& b) { return dtab::Name(b); }));
}

// Every bound leaf of `tree` through `transformers`; `Name` path leaves and the shape are kept.
// The first leaf that is not Ok decides the result.
Lookup transform_names(const std::vector<TransformerConstSharedPtr>& transformers,
                       const NameTree& tree) {
  switch (tree.kind()) {
    case NameTree::Kind::Leaf: {
      const dtab::BoundName* bound = tree.value().as_bound();
      return bound ? transform_bound(transformers, *bound) : Lookup::ok(tree);
    }
    case NameTree::Kind::Alt: {
      std::vector<NameTree> alts;
      for (const NameTree& alt : tree.alts()) {
        Lookup t = transform_names(transformers, alt);
        if (!t.is_ok()) {
          return t;
        }
        alts.push_back(std::move(t.value));
      }
      return Lookup::ok(NameTree::alt(std::move(alts)));
    }
    case NameTree::Kind::Union: {
      std::vector<NameTree::Weighted> members;
      for (const NameTree::Weighted& member : tree.weighted()) {
        Lookup t = transform_names(transformers, member.tree);
        if (!t.is_ok()) {
          return t;
        }
        members.push_back({member.weight, std::move(t.value)});
      }
      return Lookup::ok(NameTree::union_(std::move(members)));
    }
    case NameTree::Kind::Fail:
    case NameTree::Kind::Neg:
    case NameTree::Kind::Empty:
      break;
  }
  return Lookup::ok(tree);
}

bool is_neg(const Lookup& l) { return l.is_ok() && l.value.kind() == NameTree::Kind::Neg; }

}  // namespace

Interpreter::Interpreter(std::vector<NamerSharedPtr> namers, GlobalNamer& global, Options options)
    : global_(global), options_(std::move(options)) {
  namers_.reserve(namers.size());
  for (std::size_t i = 0; i < namers.size(); ++i) {
    namers_.push_back({std::move(namers[i]), i < options_.namer_transformers.size()
                                                 ? options_.namer_transformers[i]
                                                 : std::vector<TransformerConstSharedPtr>{}});
  }
  // Linkerd's Linker reverses `namers` before the first-match interpreter sees them.
  std::reverse(namers_.begin(), namers_.end());
}

Bound Interpreter::bind(const dtab::Dtab& dtab, const dtab::Path& path) const {
  dtab::Dtab full = dtab;
  if (options_.dtab_file) {
    const auto state = options_.dtab_file->state();
    if (!state->failure.empty()) {
      return Bound::failed(state->failure);
    }
    full = state->dtab + dtab;
  }
  const dtab::NameLookup lookup = [this, &full](const dtab::Path& p) {
    return this->lookup(full, p);
  };
  return apply_transformers(options_.transformers, dtab::bind(lookup, path, options_.max_depth));
}

Lookup Interpreter::lookup(const dtab::Dtab& dtab, const dtab::Path& path) const {
  const dtab::NameTree<dtab::Path> rewritten = dtab.lookup(path);
  // Only an exact Neg reaches the namers: two matching `~` dentries give Alt(~, ~), which binds
  // to Neg without consulting them (dtab-spec §7.1).
  if (rewritten.kind() != dtab::NameTree<dtab::Path>::Kind::Neg) {
    return Lookup::ok(rewritten.map([](const dtab::Path& p) { return dtab::Name(p); }));
  }
  return lookup_namers(path);
}

Lookup Interpreter::lookup_namers(const dtab::Path& path) const {
  for (const auto& [namer, transformers] : namers_) {
    if (!path.starts_with(namer->prefix())) {
      continue;
    }
    Lookup result = namer->lookup(path.drop(namer->prefix().size()));
    if (!transformers.empty() && result.is_ok() && !is_neg(result)) {
      result = transform_names(transformers, result.value);
    }
    if (!is_neg(result)) {
      return result;
    }
  }
  if (path.starts_with(global_.prefix())) {
    return global_.lookup(path.drop(global_.prefix().size()));
  }
  return Lookup::ok(NameTree::neg());
}

dtab::Dtab Interpreter::own_dtab() const {
  return options_.dtab_file ? options_.dtab_file->state()->dtab : dtab::Dtab();
}

std::string Interpreter::own_dtab_failure() const {
  return options_.dtab_file ? options_.dtab_file->state()->failure : std::string();
}

}  // namespace meshd::naming
