#include <sys/inotify.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <set>

#include "meshd/core/log.h"
#include "naming/inotify_watcher_internal.h"

namespace meshd::naming::detail {

namespace {

// Everything that can change what a directory listing or a file read returns, including
// editors that write a temporary file and rename it over the original.
constexpr std::uint32_t kMask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM |
                                IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF |
                                IN_ONLYDIR;

}  // namespace

InotifyWatcher::InotifyWatcher(boost::asio::io_context& control, std::function<void()> on_change)
    : descriptor_(control), on_change_(std::move(on_change)) {}

bool InotifyWatcher::open() {
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    log::get("naming")->warn("inotify unavailable error=\"{}\"; relying on periodic rescans",
                             std::strerror(errno));
    return false;
  }
  descriptor_.assign(fd);
  wait();
  return true;
}

void InotifyWatcher::watch(const std::vector<std::filesystem::path>& dirs) {
  if (!descriptor_.is_open()) {
    return;
  }
  std::set<std::string> wanted;
  for (const auto& dir : dirs) {
    wanted.insert(dir.string());
  }
  for (auto it = watches_.begin(); it != watches_.end();) {
    if (wanted.contains(it->first)) {
      ++it;
      continue;
    }
    // The kernel may have dropped it already (directory deleted); the error is harmless.
    ::inotify_rm_watch(descriptor_.native_handle(), it->second);
    it = watches_.erase(it);
  }
  for (const auto& dir : wanted) {
    if (watches_.contains(dir)) {
      continue;
    }
    const int wd = ::inotify_add_watch(descriptor_.native_handle(), dir.c_str(), kMask);
    if (wd < 0) {
      log::get("naming")->debug("inotify watch failed dir={} error=\"{}\"", dir,
                                std::strerror(errno));
      continue;
    }
    watches_[dir] = wd;
  }
}

void InotifyWatcher::close() {
  boost::system::error_code ignored;
  descriptor_.cancel(ignored);
  descriptor_.close(ignored);
  watches_.clear();
}

void InotifyWatcher::wait() {
  descriptor_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                         [self = shared_from_this()](const boost::system::error_code& ec) {
                           if (ec || !self->descriptor_.is_open()) {
                             return;
                           }
                           self->drain();
                           self->on_change_();
                           self->wait();
                         });
}

void InotifyWatcher::drain() {
  // The events themselves do not matter (the owner rescans), and a watch descriptor removed by
  // the kernel (IN_IGNORED) is re-added by the next `watch` if the directory came back.
  alignas(inotify_event) std::array<char, std::size_t{16} * 1024> buf;
  for (;;) {
    const ssize_t n = ::read(descriptor_.native_handle(), buf.data(), buf.size());
    if (n <= 0) {
      return;
    }
    for (ssize_t off = 0; off < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buf.data() + off);
      if (event->mask & IN_IGNORED) {
        std::erase_if(watches_, [&](const auto& w) { return w.second == event->wd; });
      }
      off += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
    }
  }
}

ChangeWatch::ChangeWatch(boost::asio::io_context& control, std::chrono::milliseconds debounce,
                         std::chrono::milliseconds rescan_interval, std::function<void()> refresh)
    : control_(control),
      debounce_(debounce),
      rescan_interval_(rescan_interval),
      refresh_(std::move(refresh)),
      rescan_timer_(control),
      debounce_timer_(control) {}

void ChangeWatch::start() {
  std::weak_ptr<ChangeWatch> weak = weak_from_this();
  watcher_ = std::make_shared<InotifyWatcher>(control_, [weak] {
    if (auto self = weak.lock()) {
      self->on_event();
    }
  });
  if (!watcher_->open()) {
    watcher_.reset();
  }
  arm_rescan();
}

void ChangeWatch::watch(const std::vector<std::filesystem::path>& dirs) {
  if (watcher_) {
    watcher_->watch(dirs);
  }
}

void ChangeWatch::stop() noexcept {
  stopped_ = true;
  // The error_code overloads are deprecated; cancel() reports failure by throwing.
  try {
    rescan_timer_.cancel();
    debounce_timer_.cancel();
  } catch (const std::exception& e) {
    log::get("naming")->error("cancelling a watch timer failed error=\"{}\"", e.what());
  }
  if (watcher_) {
    watcher_->close();
    watcher_.reset();
  }
}

void ChangeWatch::on_event() {
  if (stopped_ || debounce_armed_) {
    return;
  }
  debounce_armed_ = true;
  debounce_timer_.expires_after(debounce_);
  debounce_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!self || ec || self->stopped_) {
      return;
    }
    self->debounce_armed_ = false;
    self->refresh_();
  });
}

void ChangeWatch::arm_rescan() {
  rescan_timer_.expires_after(rescan_interval_);
  rescan_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!self || ec || self->stopped_) {
      return;
    }
    self->refresh_();
    self->arm_rescan();
  });
}

}  // namespace meshd::naming::detail
