#pragma once

#include <vector>

#include "meshd/dtab/bind.h"
#include "meshd/dtab/dtab.h"
#include "meshd/dtab/name.h"
#include "meshd/dtab/name_tree.h"
#include "meshd/dtab/path.h"
#include "meshd/naming/global_namer.h"
#include "meshd/naming/namer.h"

namespace meshd::naming {

/// Tuning of `Interpreter` (outside the class so `= {}` defaults work with GCC).
struct InterpreterOptions {
  /// Finagle's `namerMaxDepth`: lookups allowed along one branch.
  int max_depth = dtab::kDefaultMaxDepth;
};

/// Linkerd's default interpreter (`ConfiguredNamersInterpreter`, dtab-spec §7.1): binds a path
/// through a dtab, the configured namers and the global `/$` namer. Immutable after
/// construction; every method is thread-safe and non-blocking (namers read snapshots), so
/// workers call it directly and re-bind when `naming::generation()` moves.
class Interpreter {
 public:
  /// Tuning.
  using Options = InterpreterOptions;

  /// An interpreter over `namers`, given in **config order** (`namers[]` in the YAML). They are
  /// tried last-configured first, because Linkerd's `Linker` reverses the list before its
  /// first-match interpreter sees it (inventory §1, §18.1); a namer answering Neg falls back to
  /// the next earlier one whose prefix matches. `global` must outlive the interpreter.
  Interpreter(std::vector<NamerSharedPtr> namers, GlobalNamer& global, Options options = {});

  /// Binds `path` through `dtab` (the caller passes `router dtab ++ local dtab`) with
  /// `dtab::bind` (§7.3). The result has no Alt nodes; Pending while a namer is not ready.
  dtab::Activity<dtab::NameTree<dtab::BoundName>> bind(const dtab::Dtab& dtab,
                                                       const dtab::Path& path) const;

  /// One lookup step: `dtab.lookup(path)` unless it is exactly Neg, then `lookup_namers(path)`.
  dtab::Activity<dtab::NameTree<dtab::Name>> lookup(const dtab::Dtab& dtab,
                                                    const dtab::Path& path) const;

  /// The namers whose prefix `path` starts with, last configured first, falling through Neg
  /// (Pending and Failed stop the search); then the global namer for `/$/...`; else Neg.
  dtab::Activity<dtab::NameTree<dtab::Name>> lookup_namers(const dtab::Path& path) const;

 private:
  std::vector<NamerSharedPtr> namers_;  // try order: reverse of the config order
  GlobalNamer& global_;
  Options options_;
};

}  // namespace meshd::naming
