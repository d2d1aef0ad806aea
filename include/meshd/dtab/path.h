#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "meshd/dtab/parse_error.h"

namespace meshd::dtab {

/// A Finagle `Path`: an immutable sequence of non-empty labels. Labels are byte strings, not
/// text: any byte value is allowed and the concrete syntax escapes non-showable bytes as `\xNN`.
/// The empty path prints as `/`. A value type; safe to share read-only between threads.
class Path {
 public:
  /// The empty path (`/`).
  Path() = default;

  /// A path of `elems`. Precondition: no element is empty (asserted in debug builds).
  explicit Path(std::vector<std::string> elems);

  /// Parses `text` with Finagle's `Path.read` grammar (leading whitespace and comments are
  /// skipped, trailing ones too); anything after the path is an error
  /// (`end of input expected but ...`).
  static ParseResult<Path> read(std::string_view text);

  /// A path of the raw labels `elems` (no escape processing), e.g. `Path::of({"svc", "web"})`.
  /// Precondition: no element is empty.
  static Path of(std::initializer_list<std::string_view> elems);

  /// The labels, raw bytes.
  const std::vector<std::string>& elems() const { return elems_; }

  /// The number of labels.
  std::size_t size() const { return elems_.size(); }

  /// True for the empty path `/`.
  bool empty() const { return elems_.empty(); }

  /// True if the first `prefix.size()` labels equal `prefix`'s (whole labels, byte equality).
  bool starts_with(const Path& prefix) const;

  /// The first `n` labels (all of them if `n >= size()`).
  Path take(std::size_t n) const;

  /// All but the first `n` labels (empty if `n >= size()`).
  Path drop(std::size_t n) const;

  /// Concatenation (Finagle `++`).
  Path operator+(const Path& other) const;

  /// Finagle `Path.show`: `/` + labels joined by `/`; a label with any non-showable byte is
  /// printed entirely as lowercase `\xNN` escapes. Byte-exact.
  std::string show() const;

  /// Finagle `Path.toString`: `Path(a,b)` with each label as in `show`.
  std::string to_string() const;

  /// Structural equality (byte comparison of every label).
  bool operator==(const Path&) const = default;

  /// Lexicographic order over labels (bytes), for use as an ordered-map key.
  std::strong_ordering operator<=>(const Path& other) const;

  /// Finagle `Path.showElem` for one label.
  static std::string show_elem(std::string_view label);

  /// True if `c` is in Finagle's `Path.showableChars` (`[0-9A-Za-z_:.#$%-]`).
  static bool is_showable(char c);

 private:
  std::vector<std::string> elems_;
};

}  // namespace meshd::dtab

/// Hash of a path's labels, for unordered containers.
template <>
struct std::hash<meshd::dtab::Path> {
  std::size_t operator()(const meshd::dtab::Path& p) const noexcept;
};
