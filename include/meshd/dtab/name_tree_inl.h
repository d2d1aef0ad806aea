#pragma once

// Template definitions of meshd/dtab/name_tree.h. Include name_tree.h, not this file.

#include <algorithm>

#include "meshd/dtab/name_tree.h"

namespace meshd::dtab {

template <class T>
NameTree<T> NameTree<T>::make(Kind kind) {
  auto node = std::make_shared<Node>();
  node->kind = kind;
  return NameTree(std::move(node));
}

template <class T>
NameTree<T> NameTree<T>::leaf(T value) {
  auto node = std::make_shared<Node>();
  node->kind = Kind::Leaf;
  node->value.emplace(std::move(value));
  return NameTree(std::move(node));
}

template <class T>
NameTree<T> NameTree<T>::alt(std::vector<NameTree> trees) {
  auto node = std::make_shared<Node>();
  node->kind = Kind::Alt;
  node->alts = std::move(trees);
  return NameTree(std::move(node));
}

template <class T>
NameTree<T> NameTree<T>::union_(std::vector<Weighted> trees) {
  auto node = std::make_shared<Node>();
  node->kind = Kind::Union;
  node->weighted = std::move(trees);
  return NameTree(std::move(node));
}

// The three constant trees are shared process-wide; function-local statics are initialised
// thread-safely on first use, so no global constructor runs.
template <class T>
NameTree<T> NameTree<T>::fail() {
  static const NameTree tree = make(Kind::Fail);
  return tree;
}

template <class T>
NameTree<T> NameTree<T>::neg() {
  static const NameTree tree = make(Kind::Neg);
  return tree;
}

template <class T>
NameTree<T> NameTree<T>::empty() {
  static const NameTree tree = make(Kind::Empty);
  return tree;
}

template <class T>
template <class F>
auto NameTree<T>::map(const F& f) const
    -> NameTree<std::decay_t<std::invoke_result_t<const F&, const T&>>> {
  using U = std::decay_t<std::invoke_result_t<const F&, const T&>>;
  switch (kind()) {
    case Kind::Leaf:
      return NameTree<U>::leaf(f(value()));
    case Kind::Alt: {
      std::vector<NameTree<U>> trees;
      trees.reserve(alts().size());
      for (const auto& t : alts()) {
        trees.push_back(t.map(f));
      }
      return NameTree<U>::alt(std::move(trees));
    }
    case Kind::Union: {
      std::vector<typename NameTree<U>::Weighted> trees;
      trees.reserve(weighted().size());
      for (const auto& w : weighted()) {
        trees.push_back({w.weight, w.tree.map(f)});
      }
      return NameTree<U>::union_(std::move(trees));
    }
    case Kind::Fail:
      return NameTree<U>::fail();
    case Kind::Empty:
      return NameTree<U>::empty();
    case Kind::Neg:
      break;
  }
  return NameTree<U>::neg();
}

template <class T>
NameTree<T> NameTree<T>::simplified() const {
  switch (kind()) {
    case Kind::Alt:
      return simplify_alt();
    case Kind::Union:
      return simplify_union();
    default:
      return *this;
  }
}

template <class T>
NameTree<T> NameTree<T>::simplify_alt() const {
  std::vector<NameTree> kept;
  for (const auto& t : alts()) {
    NameTree s = t.simplified();
    if (s.kind() == Kind::Neg) {
      continue;
    }
    kept.push_back(std::move(s));
    if (kept.back().kind() == Kind::Fail) {
      break;
    }
  }
  if (kept.empty()) {
    return neg();
  }
  if (kept.size() == 1) {
    return kept.front();
  }
  return alt(std::move(kept));
}

template <class T>
NameTree<T> NameTree<T>::simplify_union() const {
  std::vector<Weighted> kept;
  for (const auto& w : weighted()) {
    NameTree s = w.tree.simplified();
    if (s.kind() != Kind::Fail && s.kind() != Kind::Neg) {
      kept.push_back({w.weight, std::move(s)});
    }
  }
  if (kept.empty()) {
    return neg();
  }
  if (kept.size() == 1) {
    return kept.front().tree;
  }
  return union_(std::move(kept));
}

// Finagle's eval returns None for both Fail and Neg, but an Alt must stop at a member that fails
// and skip one that is negative, exactly as `simplified` does, so that `t.eval() ==
// t.simplified().eval()` holds; hence a three-way outcome internally.
template <class T>
typename NameTree<T>::EvalOutcome NameTree<T>::eval_into(std::vector<T>& out) const {
  switch (kind()) {
    case Kind::Leaf:
      if (std::find(out.begin(), out.end(), value()) == out.end()) {
        out.push_back(value());
      }
      return EvalOutcome::Set;
    case Kind::Empty:
      return EvalOutcome::Set;
    case Kind::Fail:
      return EvalOutcome::Fail;
    case Kind::Neg:
      return EvalOutcome::Neg;
    case Kind::Alt:
      for (const auto& t : alts()) {
        const EvalOutcome r = t.eval_into(out);
        if (r != EvalOutcome::Neg) {
          return r;
        }
      }
      return EvalOutcome::Neg;
    case Kind::Union:
      break;
  }
  if (weighted().size() == 1) {
    return weighted().front().tree.eval_into(out);
  }
  EvalOutcome result = EvalOutcome::Neg;
  for (const auto& w : weighted()) {
    if (w.tree.eval_into(out) == EvalOutcome::Set) {
      result = EvalOutcome::Set;
    }
  }
  return result;
}

template <class T>
std::optional<std::vector<T>> NameTree<T>::eval() const {
  std::vector<T> out;
  if (eval_into(out) != EvalOutcome::Set) {
    return std::nullopt;
  }
  return out;
}

template <class T>
const NameTree<T>& NameTree<T>::unwrapped() const {
  const NameTree* t = this;
  for (;;) {
    if (t->kind() == Kind::Alt && t->alts().size() == 1) {
      t = &t->alts().front();
    } else if (t->kind() == Kind::Union && t->weighted().size() == 1) {
      t = &t->weighted().front().tree;
    } else {
      return *t;
    }
  }
}

template <class T>
std::string NameTree<T>::show() const {
  const NameTree& t = unwrapped();
  if (t.kind() != Kind::Alt) {
    return t.show1();
  }
  std::string out;
  for (std::size_t i = 0; i < t.alts().size(); ++i) {
    if (i > 0) {
      out += " | ";
    }
    out += t.alts()[i].show1();
  }
  return out;
}

template <class T>
std::string NameTree<T>::show1() const {
  const NameTree& t = unwrapped();
  if (t.kind() == Kind::Alt) {
    return "(" + t.show() + ")";
  }
  if (t.kind() != Kind::Union) {
    return t.show_simple();
  }
  std::string out;
  for (std::size_t i = 0; i < t.weighted().size(); ++i) {
    const Weighted& w = t.weighted()[i];
    if (i > 0) {
      out += " & ";
    }
    if (w.weight != kDefaultWeight) {
      out += detail::format_weight(w.weight) + "*";
    }
    out += w.tree.show_simple();
  }
  return out;
}

template <class T>
std::string NameTree<T>::show_simple() const {
  const NameTree& t = unwrapped();
  switch (t.kind()) {
    case Kind::Alt:
    case Kind::Union:
      return "(" + t.show() + ")";
    case Kind::Leaf:
      return t.value().show();
    case Kind::Fail:
      return "!";
    case Kind::Empty:
      return "$";
    case Kind::Neg:
      break;
  }
  return "~";
}

template <class T>
bool NameTree<T>::operator==(const NameTree& other) const {
  if (node_ == other.node_) {
    return true;
  }
  if (kind() != other.kind()) {
    return false;
  }
  switch (kind()) {
    case Kind::Leaf:
      return value() == other.value();
    case Kind::Alt:
      return alts() == other.alts();
    case Kind::Union:
      return weighted() == other.weighted();
    default:
      return true;
  }
}

}  // namespace meshd::dtab
