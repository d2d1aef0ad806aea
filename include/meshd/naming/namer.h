#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "meshd/dtab/bind.h"
#include "meshd/dtab/name.h"
#include "meshd/dtab/name_tree.h"
#include "meshd/dtab/path.h"

namespace meshd::naming {

/// A service-discovery source serving the paths under `prefix()` (Finagle `Namer`, Linkerd
/// `namers[]`): `/#/io.l5d.fs`, `/#` ++ configured prefix, or `/$` for the global namer.
class Namer {
 public:
  /// A namer serving the paths under `prefix`.
  explicit Namer(dtab::Path prefix) : prefix_(std::move(prefix)) {}
  virtual ~Namer() = default;
  Namer(const Namer&) = delete;
  Namer& operator=(const Namer&) = delete;

  /// The paths this namer serves (`/#/io.l5d.fs`). The interpreter hands it the rest.
  const dtab::Path& prefix() const { return prefix_; }

  /// Looks up `residual` (the looked-up path without `prefix()`): a tree of bound names, `Name`
  /// paths to delegate further (rewriting namers), Neg when the name is unknown, or a
  /// Pending/Failed activity. Reads an immutable snapshot: callable from any thread
  /// concurrently, never blocks, never throws. Changes are announced by `naming::generation()`.
  virtual dtab::Activity<dtab::NameTree<dtab::Name>> lookup(const dtab::Path& residual) const = 0;

  /// The bound ids this namer currently knows, sorted (Linkerd `EnumeratingNamer`, for
  /// `/bound-names.json`); empty when the namer cannot enumerate its names (the default).
  /// Thread-safe, never blocks: reads the same snapshot as `lookup`.
  virtual std::vector<dtab::Path> enumerate() const { return {}; }

 private:
  dtab::Path prefix_;
};

/// Shared ownership of a namer (the interpreter and the admin pages hold them).
using NamerSharedPtr = std::shared_ptr<Namer>;

}  // namespace meshd::naming
