#pragma once

// The recursive-descent parser behind every dtab grammar (dtab-spec §2–3), reproducing
// Finagle's `NameTreeParsers` trees and error texts.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "meshd/dtab/dentry.h"
#include "meshd/dtab/dtab.h"
#include "meshd/dtab/name_tree.h"
#include "meshd/dtab/parse_error.h"
#include "meshd/dtab/path.h"
#include "meshd/dtab/prefix.h"

namespace meshd::dtab::detail {

/// Parses one input string. Each `read_*` entry point parses its production, skips trailing
/// whitespace and comments, and requires the end of input. Use one parser per call.
class NameTreeParser {
 public:
  /// A parser over `input`, which must outlive it.
  explicit NameTreeParser(std::string_view input) : input_(input) {}

  /// Finagle `Path.read`.
  ParseResult<Path> read_path();
  /// Finagle `Dentry.readPrefix`.
  ParseResult<Prefix> read_prefix();
  /// Finagle `NameTree.read`.
  ParseResult<NameTree<Path>> read_tree();
  /// Finagle `Dentry.read`.
  ParseResult<Dentry> read_dentry();
  /// Finagle `Dtab.read`.
  ParseResult<Dtab> read_dtab();

 private:
  using Tree = NameTree<Path>;

  char32_t peek() const;
  void next();
  bool failed() const { return error_.has_value(); }
  void fail_expected(std::string_view expected);
  bool eat(char c);
  void eat_whitespace();
  void skip_comment();

  Path parse_path();
  std::string parse_label();
  unsigned parse_hex();
  Prefix parse_prefix();
  Tree parse_tree();
  Tree parse_tree1();
  Tree::Weighted parse_weighted();
  double parse_number();
  Tree parse_simple();
  Dentry parse_dentry();

  template <class T>
  ParseResult<T> finish(T value);

  std::string_view input_;
  std::size_t pos_ = 0;
  std::optional<ParseError> error_;
};

}  // namespace meshd::dtab::detail
