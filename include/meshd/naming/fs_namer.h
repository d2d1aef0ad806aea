#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <vector>

#include "meshd/dtab/bind.h"
#include "meshd/dtab/name.h"
#include "meshd/dtab/name_tree.h"
#include "meshd/dtab/path.h"
#include "meshd/naming/inet_resolver.h"
#include "meshd/naming/namer.h"

namespace meshd::naming {

/// Tuning of `FsNamer` (outside the class so `= {}` defaults work with GCC).
struct FsNamerOptions {
  /// Period of the fallback full rescan.
  std::chrono::milliseconds rescan_interval{std::chrono::seconds(2)};
  /// Delay between an inotify event and the rescan it triggers, to coalesce bursts.
  std::chrono::milliseconds debounce{std::chrono::milliseconds(20)};
  /// Files larger than this are Failed rather than read.
  std::size_t max_file_size = 1 << 20;
};

/// Linkerd's `io.l5d.fs` namer (inventory §7.1): one file per service under `root_dir`
/// (subdirectories nest names), served at `prefix()` (`/#/io.l5d.fs` by default).
///
/// A file holds one endpoint per line, `host port` or `host port * weight`, separated by spaces
/// or tabs; `#` starts a comment; blank lines are ignored; port 1–65535; weight a finite
/// number ≥ 0 (`Address::weight`). Any bad line makes the whole file's `Addr` Failed with
/// `<file>:<line>: <reason>`. Hosts are IP literals or hostnames (resolved on the control
/// thread by the shared `InetResolver`; the Addr is Pending while no address is known yet).
///
/// `lookup(/<name>[/<name>...]/<residual>)` walks directories and binds the first regular file
/// reached: id `prefix ++ /<dir>/.../<file>`, residual the rest. A missing name (or a path
/// ending on a directory) is Neg. Directories whose name starts with `.` are not descended into
/// (Kubernetes ConfigMap mounts keep their versioned copies there).
///
/// Changes (create, write, delete, rename-over as editors do) are picked up with inotify on the
/// control `io_context`, plus a full rescan every `rescan_interval` as a fallback; each change
/// publishes a new snapshot and bumps `naming::generation()`.
class FsNamer final : public Namer {
 public:
  /// Tuning.
  using Options = FsNamerOptions;

  /// Creates a namer over `root_dir` served at `prefix`, running its watches on `control`
  /// (which must outlive it). Hostnames are resolved with `resolver` (one is created on
  /// `control` if null). Nothing is read until `start`.
  static std::shared_ptr<FsNamer> create(boost::asio::io_context& control,
                                         std::filesystem::path root_dir, dtab::Path prefix,
                                         InetResolverSharedPtr resolver = nullptr,
                                         Options options = {});

  /// Like `create`, for callers that own the namer otherwise. Destroy on the control thread.
  FsNamer(boost::asio::io_context& control, std::filesystem::path root_dir, dtab::Path prefix,
          InetResolverSharedPtr resolver = nullptr, Options options = {});
  ~FsNamer() override;

  /// Reads the whole directory synchronously (so names are known before workers start), then
  /// starts watching. Run on the control thread, once. A missing `root_dir` is logged and
  /// serves Neg until it appears.
  void start();

  /// Stops watching; the last snapshot keeps being served. Run on the control thread.
  void stop();

  // naming::Namer
  dtab::Activity<dtab::NameTree<dtab::Name>> lookup(const dtab::Path& residual) const override;
  /// One id per service file, `prefix() ++ /<dir>/.../<file>`, sorted.
  std::vector<dtab::Path> enumerate() const override;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

/// Shared ownership of an fs namer.
using FsNamerSharedPtr = std::shared_ptr<FsNamer>;

}  // namespace meshd::naming
