#pragma once

#include <memory>
#include <string>
#include <vector>

#include "meshd/dtab/bind.h"
#include "meshd/dtab/dtab.h"
#include "meshd/dtab/name.h"
#include "meshd/dtab/name_tree.h"
#include "meshd/dtab/path.h"
#include "meshd/naming/dtab_file.h"
#include "meshd/naming/global_namer.h"
#include "meshd/naming/namer.h"
#include "meshd/naming/transformer.h"

namespace meshd::naming {

/// Configuration of `Interpreter` beyond its namers (outside the class so `= {}` defaults work
/// with GCC).
struct InterpreterOptions {
  /// Finagle's `namerMaxDepth`: lookups allowed along one branch.
  int max_depth = dtab::kDefaultMaxDepth;
  /// `interpreter.transformers`, applied in order to every tree `bind` returns.
  std::vector<TransformerConstSharedPtr> transformers = {};
  /// `namers[i].transformers`, parallel to the interpreter's `namers` argument (config order);
  /// missing trailing entries mean no transformers.
  std::vector<std::vector<TransformerConstSharedPtr>> namer_transformers = {};
  /// The `io.l5d.fs` interpreter's watched `dtabFile`, started by the caller; null for the
  /// `default` interpreter.
  std::shared_ptr<const DtabFile> dtab_file = nullptr;
};

/// Linkerd's default interpreter (`ConfiguredNamersInterpreter`, dtab-spec §7.1): binds a path
/// through a dtab, the configured namers and the global `/$` namer, then applies its
/// transformers. With a `dtab_file` it is the `io.l5d.fs` interpreter (inventory §8), whose
/// watched dtab goes before the caller's. Immutable after construction; every method is
/// thread-safe and non-blocking (namers and the dtab file read snapshots), so workers call it
/// directly and re-bind when `naming::generation()` moves.
class Interpreter {
 public:
  /// Configuration beyond the namers.
  using Options = InterpreterOptions;

  /// An interpreter over `namers`, given in **config order** (`namers[]` in the YAML). They are
  /// tried last-configured first, because Linkerd's `Linker` reverses the list before its
  /// first-match interpreter sees it (inventory §1, §18.1); a namer answering Neg falls back to
  /// the next earlier one whose prefix matches. `global` must outlive the interpreter.
  Interpreter(std::vector<NamerSharedPtr> namers, GlobalNamer& global, Options options = {});

  /// Binds `path` through `own_dtab() ++ dtab` (the caller passes `router dtab ++ local dtab`)
  /// with `dtab::bind` (§7.3), then applies `transformers()` in order. The result has no Alt
  /// nodes; Pending while a namer is not ready; Failed with `own_dtab_failure()` when the
  /// `dtabFile` never held a valid dtab.
  dtab::Activity<dtab::NameTree<dtab::BoundName>> bind(const dtab::Dtab& dtab,
                                                       const dtab::Path& path) const;

  /// One lookup step: `dtab.lookup(path)` unless it is exactly Neg, then `lookup_namers(path)`.
  /// `dtab` is used as given (`bind` is what prepends `own_dtab()`).
  dtab::Activity<dtab::NameTree<dtab::Name>> lookup(const dtab::Dtab& dtab,
                                                    const dtab::Path& path) const;

  /// The namers whose prefix `path` starts with, last configured first, falling through Neg
  /// (Pending and Failed stop the search); then the global namer for `/$/...`; else Neg. The
  /// bound leaves a namer returns are transformed by that namer's transformers, in order
  /// (`Name` path leaves are left for further delegation); a namer whose result transforms to
  /// Neg also falls through.
  dtab::Activity<dtab::NameTree<dtab::Name>> lookup_namers(const dtab::Path& path) const;

  /// `interpreter.transformers`, applied in order to every tree `bind` returns (the delegator
  /// shows them as `transformation` nodes). Empty unless configured.
  const std::vector<TransformerConstSharedPtr>& transformers() const {
    return options_.transformers;
  }

  /// The dtab this interpreter puts before the caller's (`io.l5d.fs` interpreter: the watched
  /// `dtabFile`, its last good contents; empty for `default`). A snapshot; thread-safe.
  dtab::Dtab own_dtab() const;

  /// Why every `bind` fails (`dtabFile <file>: <parse error>` while the file never held a valid
  /// dtab), or empty. A snapshot; thread-safe.
  std::string own_dtab_failure() const;

 private:
  /// A namer and its own transformers.
  struct NamerEntry {
    NamerSharedPtr namer;
    std::vector<TransformerConstSharedPtr> transformers;
  };

  std::vector<NamerEntry> namers_;  // try order: reverse of the config order
  GlobalNamer& global_;
  Options options_;
};

}  // namespace meshd::naming
