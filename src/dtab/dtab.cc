#include "meshd/dtab/dtab.h"

#include <algorithm>

#include "dtab/name_tree_parser_internal.h"

namespace meshd::dtab {

ParseResult<Dtab> Dtab::read(std::string_view text) {
  return detail::NameTreeParser(text).read_dtab();
}

Dtab Dtab::fail() { return Dtab({Dentry{Prefix(), NameTree<Path>::fail()}}); }

std::string Dtab::show() const {
  std::string out;
  for (std::size_t i = 0; i < dentries_.size(); ++i) {
    if (i > 0) {
      out += ';';
    }
    out += dentries_[i].show();
  }
  return out;
}

Dtab Dtab::operator+(const Dtab& other) const {
  if (other.empty()) {
    return *this;
  }
  std::vector<Dentry> all = dentries_;
  all.insert(all.end(), other.dentries_.begin(), other.dentries_.end());
  return Dtab(std::move(all));
}

Dtab Dtab::operator+(const Dentry& dentry) const {
  std::vector<Dentry> all = dentries_;
  all.push_back(dentry);
  return Dtab(std::move(all));
}

NameTree<Path> Dtab::lookup(const Path& path) const {
  std::vector<NameTree<Path>> matches;
  for (auto it = dentries_.rbegin(); it != dentries_.rend(); ++it) {
    if (!it->prefix.matches(path)) {
      continue;
    }
    const Path suffix = path.drop(it->prefix.size());
    matches.push_back(it->dst.map([&suffix](const Path& p) { return p + suffix; }));
  }
  if (matches.empty()) {
    return NameTree<Path>::neg();
  }
  if (matches.size() == 1) {
    return matches.front();
  }
  return NameTree<Path>::alt(std::move(matches));
}

Dtab Dtab::simplified() const {
  std::vector<Dentry> kept;
  for (const auto& d : dentries_) {
    NameTree<Path> dst = d.dst.simplified();
    if (dst.kind() != NameTree<Path>::Kind::Neg) {
      kept.push_back({d.prefix, std::move(dst)});
    }
  }
  return Dtab(std::move(kept));
}

Dtab Dtab::strip_prefix(const Dtab& prefix) const {
  if (empty() || size() < prefix.size()) {
    return *this;
  }
  if (!std::equal(prefix.begin(), prefix.end(), begin())) {
    return *this;
  }
  return Dtab(std::vector<Dentry>(dentries_.begin() + static_cast<std::ptrdiff_t>(prefix.size()),
                                  dentries_.end()));
}

bool Dtab::equiv(const Dtab& other) const {
  if (size() != other.size()) {
    return false;
  }
  for (std::size_t i = 0; i < size(); ++i) {
    if (dentries_[i].prefix != other[i].prefix ||
        !(dentries_[i].dst.simplified() == other[i].dst.simplified())) {
      return false;
    }
  }
  return true;
}

}  // namespace meshd::dtab
