#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "meshd/dtab/dtab.h"

namespace meshd::naming {

/// Tuning of `DtabFile` (outside the class so `= {}` defaults work with GCC).
struct DtabFileOptions {
  /// Period of the fallback re-read.
  std::chrono::milliseconds rescan_interval{std::chrono::seconds(2)};
  /// Delay between an inotify event and the re-read it triggers, to coalesce bursts.
  std::chrono::milliseconds debounce{std::chrono::milliseconds(20)};
  /// Files larger than this are treated as unreadable.
  std::size_t max_file_size = 1 << 20;
};

/// The watched `dtabFile` of an `io.l5d.fs` interpreter (inventory §8): a file holding one dtab
/// that the interpreter puts before the router's. Changes (writes, rename-over, deletion) are
/// picked up with inotify on the file's directory, plus a periodic re-read as a fallback; each
/// change of the served dtab publishes a new snapshot and bumps `naming::generation()`.
///
/// A file that does not parse is logged (file name and parse error) and the last good dtab keeps
/// being served; if there never was a good one, the snapshot carries a failure that makes every
/// binding fail. A missing (or unreadable) file serves the empty dtab, with a warning.
class DtabFile {
 public:
  /// Tuning.
  using Options = DtabFileOptions;

  /// What the interpreter reads.
  struct State {
    /// The dtab to prepend (the last good one).
    dtab::Dtab dtab;
    /// Non-empty when no good dtab was ever read: `dtabFile <file>: <parse error>`.
    std::string failure;
    /// Field-wise equality.
    bool operator==(const State&) const = default;
  };

  /// Creates a watcher of `file` whose work runs on `control` (which must outlive it). Nothing
  /// is read until `start`.
  static std::shared_ptr<DtabFile> create(boost::asio::io_context& control,
                                          std::filesystem::path file, Options options = {});

  /// Like `create`. Destroy on the control thread (or once it has stopped running).
  DtabFile(boost::asio::io_context& control, std::filesystem::path file, Options options = {});
  ~DtabFile();
  DtabFile(const DtabFile&) = delete;
  DtabFile& operator=(const DtabFile&) = delete;

  /// Reads the file synchronously (so the dtab is known before workers start), then starts
  /// watching. Control thread, once.
  void start();

  /// Stops watching; the last snapshot keeps being served. Control thread.
  void stop();

  /// Re-reads the file now, as a change event would (synchronously). Control thread.
  void reload();

  /// The current snapshot. Thread-safe, never blocks on I/O.
  std::shared_ptr<const State> state() const;

  /// The watched file.
  const std::filesystem::path& file() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

/// Shared ownership of a dtab file watcher.
using DtabFileSharedPtr = std::shared_ptr<DtabFile>;

}  // namespace meshd::naming
