#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "meshd/dtab/dentry.h"
#include "meshd/dtab/name_tree.h"
#include "meshd/dtab/parse_error.h"
#include "meshd/dtab/path.h"
#include "meshd/dtab/prefix.h"

namespace meshd::dtab {

/// A delegation table (Finagle `Dtab`): an ordered list of dentries where later entries take
/// precedence. A pure value type with no I/O; safe to share read-only between threads.
class Dtab {
 public:
  /// Iterator over the dentries, first to last.
  using const_iterator = std::vector<Dentry>::const_iterator;

  /// The empty dtab.
  Dtab() = default;

  /// A dtab of `dentries`, in order.
  explicit Dtab(std::vector<Dentry> dentries) : dentries_(std::move(dentries)) {}

  /// Parses `text` (Finagle `Dtab.read`): dentries separated by `;`, an optional trailing `;`,
  /// whitespace and `#` comments between tokens. Empty or comment-only text is the empty dtab.
  static ParseResult<Dtab> read(std::string_view text);

  /// Finagle `Dtab.fail`: `/=>!`.
  static Dtab fail();

  /// The dentries' `show` joined by `;` (no spaces, no trailing `;`); `""` when empty.
  std::string show() const;

  /// Finagle `Dtab.toString`: `Dtab(` + show + `)`.
  std::string to_string() const { return "Dtab(" + show() + ")"; }

  /// True when there are no dentries.
  bool empty() const { return dentries_.empty(); }

  /// The number of dentries.
  std::size_t size() const { return dentries_.size(); }

  /// The dentries, first to last.
  const std::vector<Dentry>& dentries() const { return dentries_; }

  /// The `i`-th dentry. Precondition: `i < size()`.
  const Dentry& operator[](std::size_t i) const { return dentries_[i]; }

  /// First dentry.
  const_iterator begin() const { return dentries_.begin(); }

  /// Past the last dentry.
  const_iterator end() const { return dentries_.end(); }

  /// Concatenation (Finagle `++`): `other`'s dentries come later and so take precedence.
  Dtab operator+(const Dtab& other) const;

  /// Appends one dentry (Finagle `+`).
  Dtab operator+(const Dentry& dentry) const;

  /// One rewrite step (dtab-spec §6): every dentry whose prefix matches `path`, last first,
  /// rewritten with the unmatched suffix appended to every leaf. No match → Neg; one match →
  /// its tree; several → `Alt(last..first)`.
  NameTree<Path> lookup(const Path& path) const;

  /// Every dst simplified; dentries whose dst simplifies to Neg are dropped.
  Dtab simplified() const;

  /// If this dtab begins with exactly `prefix`'s dentries, the rest; otherwise this dtab.
  Dtab strip_prefix(const Dtab& prefix) const;

  /// Finagle `Equiv[Dtab]`: same size, equal prefixes and equal simplified dsts pairwise.
  bool equiv(const Dtab& other) const;

  /// Structural equality (exact parse trees and weights).
  bool operator==(const Dtab&) const = default;

 private:
  std::vector<Dentry> dentries_;
};

}  // namespace meshd::dtab
