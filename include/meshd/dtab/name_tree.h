#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "meshd/dtab/parse_error.h"
#include "meshd/dtab/path.h"

namespace meshd::dtab {

namespace detail {
/// Java `String.format("%.2f", w)` in the `en` locale: the shortest round-trip decimal of `w`
/// rounded HALF_UP to two places (`0.125` → `0.13`, `2.675` → `2.68`); `NaN`, `Infinity`.
std::string format_weight(double w);
}  // namespace detail

/// Finagle's `NameTree[T]`: Leaf, Alt (ordered fail-over), weighted Union, Fail (`!`), Neg (`~`)
/// and Empty (`$`). Immutable; copies share their children, so a copy costs one atomic
/// increment. Safe to share read-only between threads. `T` must be equality-comparable; `show()`
/// also needs `std::string T::show() const`.
template <class T>
class NameTree {
 public:
  /// The node variants.
  enum class Kind { Leaf, Alt, Union, Fail, Neg, Empty };
  /// A child of a Union with its weight (Finagle `NameTree.Weighted`).
  struct Weighted;
  /// The weight of a union member written without `N *` (Finagle `Weighted.defaultWeight`).
  static constexpr double kDefaultWeight = 1.0;

  /// Neg (`~`).
  NameTree() : NameTree(neg()) {}

  /// A Leaf holding `value`.
  static NameTree leaf(T value);
  /// An Alt of `trees` (0..n children; not flattened).
  static NameTree alt(std::vector<NameTree> trees);
  /// A Union of `trees` (0..n weighted children; weights are not normalised).
  static NameTree union_(std::vector<Weighted> trees);
  /// Fail (`!`): stops an Alt.
  static NameTree fail();
  /// Neg (`~`): "no such name"; an Alt falls through it.
  static NameTree neg();
  /// Empty (`$`): the name exists but has no addresses.
  static NameTree empty();

  /// The variant of this node.
  Kind kind() const { return node_->kind; }
  /// The leaf value. Precondition: `kind() == Kind::Leaf`.
  const T& value() const { return *node_->value; }
  /// The alternatives, in order (empty unless `kind() == Kind::Alt`).
  const std::vector<NameTree>& alts() const { return node_->alts; }
  /// The union members, in order (empty unless `kind() == Kind::Union`).
  const std::vector<Weighted>& weighted() const { return node_->weighted; }

  /// The same shape with every leaf value replaced by `f(value)`.
  template <class F>
  auto map(const F& f) const -> NameTree<std::decay_t<std::invoke_result_t<const F&, const T&>>>;

  /// Finagle `NameTree.simplify` (dtab-spec §7.4): removes Neg from Alts, cuts an Alt after
  /// Fail, drops Fail/Neg members of Unions, unwraps single children; nested Alts stay nested.
  NameTree simplified() const;

  /// Finagle `NameTree.eval` (§7.4): the set of leaf values (deduplicated, first occurrence
  /// order), an empty set for Empty, `nullopt` for Fail/Neg/an Alt that fails. Weights ignored.
  /// Always equal to `simplified().eval()`.
  std::optional<std::vector<T>> eval() const;

  /// Finagle `NameTree.show`, byte-exact (§4), e.g. `/a | 0.50*/b & /c`.
  std::string show() const;

  /// Structural equality, including exact weights and child order.
  bool operator==(const NameTree& other) const;

 private:
  struct Node;
  enum class EvalOutcome { Set, Fail, Neg };
  explicit NameTree(std::shared_ptr<const Node> node) : node_(std::move(node)) {}
  static NameTree make(Kind kind);
  const NameTree& unwrapped() const;
  std::string show1() const;
  std::string show_simple() const;
  NameTree simplify_alt() const;
  NameTree simplify_union() const;
  EvalOutcome eval_into(std::vector<T>& out) const;

  std::shared_ptr<const Node> node_;
};

template <class T>
struct NameTree<T>::Weighted {
  /// The relative weight (a double; never normalised in the tree).
  double weight = kDefaultWeight;
  /// The member.
  NameTree<T> tree;
  /// Equal when weights (exactly) and trees are equal.
  bool operator==(const Weighted&) const = default;
};

template <class T>
struct NameTree<T>::Node {
  Kind kind = Kind::Neg;
  std::optional<T> value;
  std::vector<NameTree<T>> alts;
  std::vector<Weighted> weighted;
};

/// Parses `text` as a name tree (Finagle `NameTree.read`): `/a | 2 * /b & /c`, `!`, `~`, `$`.
/// Whitespace and `#` comments are allowed between tokens; trailing text is an error.
ParseResult<NameTree<Path>> read_name_tree(std::string_view text);

}  // namespace meshd::dtab

#include "meshd/dtab/name_tree_inl.h"
