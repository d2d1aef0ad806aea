#pragma once

#include <functional>
#include <string>
#include <utility>

#include "meshd/dtab/name.h"
#include "meshd/dtab/name_tree.h"
#include "meshd/dtab/path.h"

namespace meshd::dtab {

/// A snapshot of a Finagle `Activity` state: a value, not known yet, or failed with a message.
template <class T>
struct Activity {
  /// Ok: `value` holds the result; Pending: not known yet; Failed: `failure` says why.
  enum class State { Ok, Pending, Failed };
  /// The state.
  State state = State::Pending;
  /// The result when `state == State::Ok`.
  T value{};
  /// Why, when `state == State::Failed`.
  std::string failure;

  /// An Ok activity.
  static Activity ok(T value) { return {State::Ok, std::move(value), {}}; }
  /// A Pending activity.
  static Activity pending() { return {State::Pending, T{}, {}}; }
  /// A Failed activity.
  static Activity failed(std::string message) { return {State::Failed, T{}, std::move(message)}; }
  /// True when Ok.
  bool is_ok() const { return state == State::Ok; }
};

/// One lookup step of binding: a dtab lookup, namer or `/$/` namer applied to `path`. Must not
/// throw; a failure is a Failed activity.
using NameLookup = std::function<Activity<NameTree<Name>>(const Path&)>;

/// Finagle's default `namerMaxDepth`.
inline constexpr int kDefaultMaxDepth = 100;

/// Binds `path` by repeated `lookup` until every leaf is bound (Finagle `Namer.bind`, dtab-spec
/// §7.3 exactly): Alts are bound lazily in order (Neg falls through, Fail stops, Pending/Failed
/// propagate), Unions bind every member and keep the Ok ones (simplified), the innermost union
/// weight is recorded in `BoundName::weight`. A lookup result deeper than `max_depth` fails
/// with `Max recursion level: {max_depth} reached in Namer lookup`. The result has no Alt nodes.
/// Pure and synchronous; runs on the caller's thread. Call it qualified (`dtab::bind`): with a
/// `std::function` argument, unqualified lookup also finds `std::bind` by ADL.
Activity<NameTree<BoundName>> bind(const NameLookup& lookup, const Path& path,
                                   int max_depth = kDefaultMaxDepth);

/// Like the `Path` overload, starting from `tree` at depth 0.
Activity<NameTree<BoundName>> bind(const NameLookup& lookup, const NameTree<Name>& tree,
                                   int max_depth = kDefaultMaxDepth);

}  // namespace meshd::dtab
