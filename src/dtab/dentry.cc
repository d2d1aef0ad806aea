#include "meshd/dtab/dentry.h"

#include "dtab/name_tree_parser_internal.h"

namespace meshd::dtab {

ParseResult<Dentry> Dentry::read(std::string_view text) {
  return detail::NameTreeParser(text).read_dentry();
}

Dentry Dentry::nop() { return {Prefix({Prefix::Elem::label("/")}), NameTree<Path>::neg()}; }

std::string Dentry::show() const { return prefix.show() + "=>" + dst.show(); }

}  // namespace meshd::dtab
