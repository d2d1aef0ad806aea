#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "meshd/dtab/parse_error.h"
#include "meshd/dtab/path.h"

namespace meshd::dtab {

/// The left-hand side of a dentry (Finagle `Dentry.Prefix`): labels and `*` wildcards, each
/// wildcard matching exactly one path element. A value type.
class Prefix {
 public:
  /// One prefix element: a label (raw bytes, non-empty) or the wildcard `*`.
  class Elem {
   public:
    /// The wildcard element (`AnyElem`).
    static Elem any() { return Elem(); }
    /// A literal label. Precondition: `bytes` is non-empty.
    static Elem label(std::string bytes);
    /// True for the wildcard.
    bool is_any() const { return any_; }
    /// The label bytes; empty for the wildcard.
    const std::string& bytes() const { return bytes_; }
    /// Equal when both are wildcards or both are the same label.
    bool operator==(const Elem&) const = default;

   private:
    Elem() = default;
    bool any_ = true;
    std::string bytes_;
  };

  /// The empty prefix `/`, which matches every path.
  Prefix() = default;

  /// A prefix of `elems`.
  explicit Prefix(std::vector<Elem> elems) : elems_(std::move(elems)) {}

  /// A prefix with the labels of `path` and no wildcards.
  static Prefix from_path(const Path& path);

  /// Parses `text` with Finagle's `Dentry.readPrefix` grammar (whitespace and comments around
  /// it are skipped; trailing text is an error).
  static ParseResult<Prefix> read(std::string_view text);

  /// The elements.
  const std::vector<Elem>& elems() const { return elems_; }

  /// The number of elements.
  std::size_t size() const { return elems_.size(); }

  /// True for the empty prefix `/`.
  bool empty() const { return elems_.empty(); }

  /// True if `path` has at least `size()` labels and each element is `*` or equals the label at
  /// the same position (byte comparison).
  bool matches(const Path& path) const;

  /// Like `Path::show`, with wildcards printed as `*`. Byte-exact.
  std::string show() const;

  /// Finagle `Prefix.toString`: `Prefix(a,*,b)`.
  std::string to_string() const;

  /// Structural equality.
  bool operator==(const Prefix&) const = default;

 private:
  std::vector<Elem> elems_;
};

}  // namespace meshd::dtab
