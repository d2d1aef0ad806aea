#include "meshd/naming/rewrite_namer.h"

#include <utility>

namespace meshd::naming {

using Lookup = dtab::Activity<dtab::NameTree<dtab::Name>>;

RewriteNamer::RewriteNamer(dtab::Path prefix, PathMatcher pattern, std::string name)
    : Namer(std::move(prefix)), pattern_(std::move(pattern)), name_(std::move(name)) {}

Lookup RewriteNamer::lookup(const dtab::Path& residual) const {
  const std::optional<std::string> rewritten = pattern_.substitute(residual, name_);
  if (!rewritten) {
    return Lookup::ok(dtab::NameTree<dtab::Name>::neg());
  }
  auto path = dtab::Path::read(*rewritten);
  if (!path) {
    return Lookup::failed(path.error().message);
  }
  return Lookup::ok(dtab::NameTree<dtab::Name>::leaf(dtab::Name(std::move(*path))));
}

}  // namespace meshd::naming
