#pragma once

// Directory change notification for the file-backed naming sources (the io.l5d.fs namer, the
// io.l5d.fs interpreter's dtab file): inotify through an Asio stream_descriptor.

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace meshd::naming::detail {

/// Watches a set of directories (not recursively: the owner lists every directory) and calls
/// `on_change` on the control thread after each batch of events. It reports only that
/// something changed; the owner rescans. Control thread only; owned through a shared_ptr so an
/// outstanding wait keeps it alive until `close`.
class InotifyWatcher : public std::enable_shared_from_this<InotifyWatcher> {
 public:
  /// A watcher whose waits run on `control`.
  InotifyWatcher(boost::asio::io_context& control, std::function<void()> on_change);

  /// Opens the inotify instance and starts waiting. False (and logged) if inotify is
  /// unavailable, e.g. out of instances; the owner then relies on periodic rescans.
  bool open();

  /// Makes the watched set exactly `dirs`: adds watches for new ones, drops vanished ones.
  void watch(const std::vector<std::filesystem::path>& dirs);

  /// Stops waiting and closes the descriptor. Idempotent.
  void close();

 private:
  void wait();
  void drain();

  boost::asio::posix::stream_descriptor descriptor_;
  std::function<void()> on_change_;
  std::map<std::string, int> watches_;  // directory → watch descriptor
};

/// How a file-backed source follows its files: inotify events, debounced so that a burst
/// (an editor's write + rename) gives one `refresh`, plus a full `refresh` every
/// `rescan_interval` as a fallback (inotify may be unavailable or miss changes on some file
/// systems). Control thread only; owned through a shared_ptr (its timers hold it weakly).
class ChangeWatch : public std::enable_shared_from_this<ChangeWatch> {
 public:
  /// Calls `refresh` on `control` after changes; the owner re-reads and calls `watch`.
  ChangeWatch(boost::asio::io_context& control, std::chrono::milliseconds debounce,
              std::chrono::milliseconds rescan_interval, std::function<void()> refresh);

  /// Opens inotify (without it, only the periodic rescans remain) and arms the rescan timer.
  /// Does not call `refresh`: the owner reads once itself, synchronously.
  void start();

  /// Makes the watched directories exactly `dirs`; a no-op without inotify.
  void watch(const std::vector<std::filesystem::path>& dirs);

  /// Stops the timers and inotify; `refresh` is not called again. Idempotent, never throws.
  void stop() noexcept;

 private:
  void on_event();
  void arm_rescan();

  boost::asio::io_context& control_;
  std::chrono::milliseconds debounce_;
  std::chrono::milliseconds rescan_interval_;
  std::function<void()> refresh_;
  boost::asio::steady_timer rescan_timer_;
  boost::asio::steady_timer debounce_timer_;
  std::shared_ptr<InotifyWatcher> watcher_;
  bool debounce_armed_ = false;
  bool stopped_ = false;
};

}  // namespace meshd::naming::detail
