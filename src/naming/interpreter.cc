#include "meshd/naming/interpreter.h"

#include <algorithm>
#include <utility>

namespace meshd::naming {

using Lookup = dtab::Activity<dtab::NameTree<dtab::Name>>;

Interpreter::Interpreter(std::vector<NamerSharedPtr> namers, GlobalNamer& global, Options options)
    : namers_(std::move(namers)), global_(global), options_(options) {
  // Linkerd's Linker reverses `namers` before the first-match interpreter sees them.
  std::reverse(namers_.begin(), namers_.end());
}

dtab::Activity<dtab::NameTree<dtab::BoundName>> Interpreter::bind(const dtab::Dtab& dtab,
                                                                  const dtab::Path& path) const {
  const dtab::NameLookup lookup = [this, &dtab](const dtab::Path& p) {
    return this->lookup(dtab, p);
  };
  return dtab::bind(lookup, path, options_.max_depth);
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
  for (const auto& namer : namers_) {
    if (!path.starts_with(namer->prefix())) {
      continue;
    }
    Lookup result = namer->lookup(path.drop(namer->prefix().size()));
    if (!result.is_ok() || result.value.kind() != dtab::NameTree<dtab::Name>::Kind::Neg) {
      return result;
    }
  }
  if (path.starts_with(global_.prefix())) {
    return global_.lookup(path.drop(global_.prefix().size()));
  }
  return Lookup::ok(dtab::NameTree<dtab::Name>::neg());
}

}  // namespace meshd::naming
