#include "meshd/naming/dtab_file.h"

#include <boost/asio/steady_timer.hpp>
#include <exception>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "meshd/core/log.h"
#include "meshd/core/shared_snapshot.h"
#include "meshd/naming/generation.h"
#include "naming/inotify_watcher_internal.h"

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
        snapshot(std::make_shared<const State>()) {}

  void reread();
  void publish(State next);
  void problem(const std::string& message, bool warn_only);

  boost::asio::io_context& control;
  fs::path file;
  Options options;
  std::shared_ptr<detail::ChangeWatch> watch;  // set by start()
  bool served = false;         // a dtab (possibly the empty one of a missing file) was served
  std::string logged_problem;  // the last problem logged, so each is logged once
  core::SharedSnapshot<State> snapshot;
};

void DtabFile::Impl::reread() {
  if (watch) {
    // The directory, not the file: editors replace the file by renaming a new one over it.
    watch->watch({file.parent_path()});
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

std::shared_ptr<DtabFile> DtabFile::create(boost::asio::io_context& control, fs::path file,
                                           Options options) {
  return std::make_shared<DtabFile>(control, std::move(file), options);
}

DtabFile::DtabFile(boost::asio::io_context& control, fs::path file, Options options)
    : impl_(std::make_shared<Impl>(control, std::move(file), options)) {}

DtabFile::~DtabFile() { stop(); }

void DtabFile::start() {
  std::weak_ptr<Impl> weak = impl_;
  impl_->watch = std::make_shared<detail::ChangeWatch>(impl_->control, impl_->options.debounce,
                                                       impl_->options.rescan_interval, [weak] {
                                                         if (auto self = weak.lock()) {
                                                           self->reread();
                                                         }
                                                       });
  impl_->watch->start();
  impl_->reread();
}

void DtabFile::stop() {
  if (impl_->watch) {
    impl_->watch->stop();
  }
}

void DtabFile::reload() { impl_->reread(); }

std::shared_ptr<const DtabFile::State> DtabFile::state() const { return impl_->snapshot.load(); }

const fs::path& DtabFile::file() const { return impl_->file; }

}  // namespace meshd::naming
