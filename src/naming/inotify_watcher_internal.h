#pragma once

// Directory change notification for the fs namer: inotify through an Asio stream_descriptor.

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
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

}  // namespace meshd::naming::detail
