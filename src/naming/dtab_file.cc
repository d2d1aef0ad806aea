#include "meshd/naming/dtab_file.h"

#include <boost/asio/steady_timer.hpp>
#include <exception>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "meshd/core/log.h"
#include "meshd/naming/generation.h"
#include "naming/inotify_watcher_internal.h"
#include "naming/shared_snapshot_internal.h"

namespace meshd::naming {

namespace fs = std::filesystem;

namespace {

// The outcome of one read: the text, or why there is none.
struct ReadResult {
  enum class Kind { Ok, Missing, Unreadable };
  Kind kind = Kind::Missing;
  std::string text;  // Ok: the contents; Unreadable: the reason
};

ReadResult read_text(const fs::path& file, std::size_t max_size) {
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    return {ReadResult::Kind::Missing, {}};
  }
  const auto size = fs::file_size(file, ec);
  if (ec) {
    return {ReadResult::Kind::Unreadable, ec.message()};
  }
  if (size > max_size) {
    return {ReadResult::Kind::Unreadable, "file too large (" + std::to_string(size) + " bytes)"};
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return {ReadResult::Kind::Unreadable, "cannot open the file"};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return {ReadResult::Kind::Ok, text.str()};
}

// Absolute, so the watched directory of `dtab` alone is `.`'s; relative if the working
// directory is gone.
fs::path absolute_path(const fs::path& file) {
  std::error_code ec;
  fs::path out = fs::absolute(file, ec);
  return ec ? file : out;
}

}  // namespace

struct DtabFile::Impl : std::enable_shared_from_this<Impl> {
  Impl(boost::asio::io_context& io, fs::path f, Options opts)
      : control(io),
        file(absolute_path(f)),
        options(opts),
        rescan_timer(io),
        debounce_timer(io),
        snapshot(std::make_shared<const State>()) {}

  void reread();
  void publish(State next);
  void problem(const std::string& message, bool warn_only);
  void on_change();
  void arm_rescan();

  boost::asio::io_context& control;
  fs::path file;
  Options options;
  boost::asio::steady_timer rescan_timer;
  boost::asio::steady_timer debounce_timer;
  std::shared_ptr<detail::InotifyWatcher> watcher;
  bool debounce_armed = false;
  bool stopped = false;
  bool served = false;         // a dtab (possibly the empty one of a missing file) was served
  std::string logged_problem;  // the last problem logged, so each is logged once
  detail::SharedSnapshot<State> snapshot;
};

void DtabFile::Impl::reread() {
  if (watcher) {
    // The directory, not the file: editors replace the file by renaming a new one over it.
    watcher->watch({file.parent_path()});
  }
  ReadResult read = read_text(file, options.max_file_size);
  if (read.kind == ReadResult::Kind::Missing) {
    problem("dtab file missing file=" + file.string() + "; serving the empty dtab", true);
    publish({});
    return;
  }
  std::string error = read.text;
  if (read.kind == ReadResult::Kind::Ok) {
    auto parsed = dtab::Dtab::read(read.text);
    if (parsed) {
      logged_problem.clear();
      publish({std::move(*parsed), {}});
      return;
    }
    error = parsed.error().message;
  }
  problem("dtab file invalid file=" + file.string() + " error=\"" + error + "\"" +
              (served ? "; keeping the last good dtab" : ""),
          false);
  if (!served) {
    publish({{}, "dtabFile " + file.string() + ": " + error});
  }
}

void DtabFile::Impl::publish(State next) {
  served = served || next.failure.empty();
  if (next == *snapshot.load()) {
    return;
  }
  log::get("naming")->debug("dtab file reloaded file={} dentries={}", file.string(),
                            next.dtab.size());
  snapshot.store(std::make_shared<const State>(std::move(next)));
  bump_generation();
}

void DtabFile::Impl::problem(const std::string& message, bool warn_only) {
  if (message == logged_problem) {
    return;
  }
  logged_problem = message;
  if (warn_only) {
    log::get("naming")->warn("{}", message);
  } else {
    log::get("naming")->error("{}", message);
  }
}

void DtabFile::Impl::on_change() {
  if (stopped || debounce_armed) {
    return;
  }
  debounce_armed = true;
  debounce_timer.expires_after(options.debounce);
  debounce_timer.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!self || ec || self->stopped) {
      return;
    }
    self->debounce_armed = false;
    self->reread();
  });
}

void DtabFile::Impl::arm_rescan() {
  rescan_timer.expires_after(options.rescan_interval);
  rescan_timer.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!self || ec || self->stopped) {
      return;
    }
    self->reread();
    self->arm_rescan();
  });
}

std::shared_ptr<DtabFile> DtabFile::create(boost::asio::io_context& control, fs::path file,
                                           Options options) {
  return std::make_shared<DtabFile>(control, std::move(file), options);
}

DtabFile::DtabFile(boost::asio::io_context& control, fs::path file, Options options)
    : impl_(std::make_shared<Impl>(control, std::move(file), options)) {}

DtabFile::~DtabFile() {
  // Asio's cancel() reports failure by throwing; a destructor must not.
  try {
    stop();
  } catch (const std::exception& e) {
    log::get("naming")->error("dtab file stop failed error=\"{}\"", e.what());
  }
}

void DtabFile::start() {
  std::weak_ptr<Impl> weak = impl_;
  impl_->watcher = std::make_shared<detail::InotifyWatcher>(impl_->control, [weak] {
    if (auto self = weak.lock()) {
      self->on_change();
    }
  });
  if (!impl_->watcher->open()) {
    impl_->watcher.reset();
  }
  impl_->reread();
  impl_->arm_rescan();
}

void DtabFile::stop() {
  impl_->stopped = true;
  impl_->rescan_timer.cancel();
  impl_->debounce_timer.cancel();
  if (impl_->watcher) {
    impl_->watcher->close();
    impl_->watcher.reset();
  }
}

void DtabFile::reload() { impl_->reread(); }

std::shared_ptr<const DtabFile::State> DtabFile::state() const { return impl_->snapshot.load(); }

const fs::path& DtabFile::file() const { return impl_->file; }

}  // namespace meshd::naming
