#include "meshd/dtab/prefix.h"

#include <cassert>

#include "dtab/name_tree_parser_internal.h"

namespace meshd::dtab {

Prefix::Elem Prefix::Elem::label(std::string bytes) {
  assert(!bytes.empty());
  Elem e;
  e.any_ = false;
  e.bytes_ = std::move(bytes);
  return e;
}

Prefix Prefix::from_path(const Path& path) {
  std::vector<Elem> elems;
  elems.reserve(path.size());
  for (const auto& label : path.elems()) {
    elems.push_back(Elem::label(label));
  }
  return Prefix(std::move(elems));
}

ParseResult<Prefix> Prefix::read(std::string_view text) {
  return detail::NameTreeParser(text).read_prefix();
}

bool Prefix::matches(const Path& path) const {
  if (size() > path.size()) {
    return false;
  }
  for (std::size_t i = 0; i < size(); ++i) {
    if (!elems_[i].is_any() && elems_[i].bytes() != path.elems()[i]) {
      return false;
    }
  }
  return true;
}

std::string Prefix::show() const {
  if (elems_.empty()) {
    return "/";
  }
  std::string out;
  for (const auto& e : elems_) {
    out += '/';
    out += e.is_any() ? "*" : Path::show_elem(e.bytes());
  }
  return out;
}

std::string Prefix::to_string() const {
  std::string out = "Prefix(";
  for (std::size_t i = 0; i < elems_.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    out += elems_[i].is_any() ? "*" : Path::show_elem(elems_[i].bytes());
  }
  return out + ")";
}

}  // namespace meshd::dtab
