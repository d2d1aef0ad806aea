#pragma once

#include <string>
#include <string_view>

#include "meshd/dtab/name_tree.h"
#include "meshd/dtab/parse_error.h"
#include "meshd/dtab/path.h"
#include "meshd/dtab/prefix.h"

namespace meshd::dtab {

/// One delegation rule `prefix => dst` (Finagle `Dentry`). A value type.
struct Dentry {
  /// The paths this rule applies to.
  Prefix prefix;
  /// What a matching path is rewritten to; the unmatched suffix is appended to every leaf.
  NameTree<Path> dst;

  /// Parses `text` as `prefix => tree` (Finagle `Dentry.read`); trailing text is an error.
  static ParseResult<Dentry> read(std::string_view text);

  /// Finagle `Dentry.nop`: `/\x2f=>~` (a prefix no written path matches, Neg).
  static Dentry nop();

  /// `prefix.show() + "=>" + dst.show()`, no spaces. Byte-exact.
  std::string show() const;

  /// Finagle `Dentry.toString`: `Dentry(` + show + `)`.
  std::string to_string() const { return "Dentry(" + show() + ")"; }

  /// Structural equality (exact weights).
  bool operator==(const Dentry&) const = default;
};

}  // namespace meshd::dtab
