#include "meshd/naming/fs_namer.h"

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <exception>
#include <fstream>
#include <sstream>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "meshd/core/log.h"
#include "meshd/core/shared_snapshot.h"
#include "meshd/naming/generation.h"
#include "naming/inotify_watcher_internal.h"
#include "naming/service_file_internal.h"

namespace meshd::naming {

namespace fs = std::filesystem;
using dtab::Addr;
using dtab::Path;
using Lookup = dtab::Activity<dtab::NameTree<dtab::Name>>;

namespace {

// Deeper nesting is ignored; it also stops symlink loops.
constexpr int kMaxDepth = 16;

struct FileState {
  detail::ServiceFile parsed;
  // Precomputed when every host is an IP literal (or the file failed); null when hostnames
  // must be resolved at lookup time.
  dtab::AddrConstSharedPtr addr;
  bool operator==(const FileState& other) const { return parsed == other.parsed; }
};

// What workers read: replaced wholesale by the control thread.
struct Snapshot {
  std::unordered_map<Path, FileState> files;  // relative name → contents
  std::unordered_set<Path> dirs;              // relative names of subdirectories
  bool operator==(const Snapshot&) const = default;
};

dtab::Address address_of(const detail::ServiceEndpoint& e, std::string ip) {
  return {std::move(ip), e.port, {}, e.weight};
}

FileState state_of(detail::ServiceFile parsed) {
  FileState state{std::move(parsed), nullptr};
  if (!state.parsed.failure.empty()) {
    state.addr = std::make_shared<const Addr>(Addr::failed(state.parsed.failure));
    return state;
  }
  std::vector<dtab::Address> addresses;
  for (const auto& e : state.parsed.endpoints) {
    if (!InetResolver::is_ip_literal(e.host)) {
      return state;
    }
    addresses.push_back(address_of(e, e.host));
  }
  state.addr = std::make_shared<const Addr>(Addr::bound(std::move(addresses)));
  return state;
}

}  // namespace

struct FsNamer::Impl : std::enable_shared_from_this<Impl> {
  Impl(boost::asio::io_context& io, fs::path root, InetResolverSharedPtr res, Options opts)
      : control(io),
        root_dir(std::move(root)),
        resolver(std::move(res)),
        options(opts),
        snapshot(std::make_shared<const Snapshot>()) {}

  void rescan();
  void scan_dir(const fs::path& dir, const Path& name, int depth, Snapshot& out,
                std::vector<fs::path>& watched) const;
  std::optional<FileState> read_file(const fs::path& file) const;
  Addr resolve(const detail::ServiceFile& file) const;

  boost::asio::io_context& control;
  fs::path root_dir;
  InetResolverSharedPtr resolver;
  Options options;
  std::shared_ptr<detail::ChangeWatch> watch;  // set by start()
  bool root_missing_logged = false;
  core::SharedSnapshot<Snapshot> snapshot;
};

void FsNamer::Impl::rescan() {
  auto next = std::make_shared<Snapshot>();
  std::vector<fs::path> watched;
  std::error_code ec;
  if (fs::is_directory(root_dir, ec)) {
    root_missing_logged = false;
    watched.push_back(root_dir);
    scan_dir(root_dir, Path(), 0, *next, watched);
  } else if (!root_missing_logged) {
    root_missing_logged = true;
    log::get("naming")->warn("fs namer root missing dir={}; serving no names", root_dir.string());
  }
  if (watch) {
    watch->watch(watched);
  }
  if (*next == *snapshot.load()) {
    return;
  }
  for (const auto& [name, state] : next->files) {
    if (!state.parsed.failure.empty()) {
      log::get("naming")->warn("fs namer bad file: {}", state.parsed.failure);
    }
  }
  log::get("naming")->debug("fs namer reloaded dir={} files={}", root_dir.string(),
                            next->files.size());
  snapshot.store(std::move(next));
  bump_generation();
}

void FsNamer::Impl::scan_dir(const fs::path& dir, const Path& name, int depth, Snapshot& out,
                             std::vector<fs::path>& watched) const {
  std::error_code ec;
  for (fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    const std::string label = it->path().filename().string();
    const Path child = name + Path::of({label});
    std::error_code type_ec;
    if (it->is_regular_file(type_ec)) {
      if (auto state = read_file(it->path())) {
        out.files.emplace(child, std::move(*state));
      }
    } else if (it->is_directory(type_ec) && label.front() != '.' && depth < kMaxDepth) {
      out.dirs.insert(child);
      watched.push_back(it->path());
      scan_dir(it->path(), child, depth + 1, out, watched);
    }
  }
}

std::optional<FileState> FsNamer::Impl::read_file(const fs::path& file) const {
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  if (ec) {
    return std::nullopt;  // deleted since it was listed
  }
  if (size > options.max_file_size) {
    return state_of({{}, file.string() + ": file too large (" + std::to_string(size) + " bytes)"});
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return state_of(detail::parse_service_file(text.str(), file.string()));
}

Addr FsNamer::Impl::resolve(const detail::ServiceFile& file) const {
  std::vector<dtab::Address> addresses;
  bool pending = false;
  for (const auto& e : file.endpoints) {
    const auto answer = resolver->lookup(e.host);
    if (answer->state == InetResolver::HostAddrs::State::Pending) {
      pending = true;
    }
    for (const auto& ip : answer->ips) {
      addresses.push_back(address_of(e, ip));
    }
  }
  // Serve what is known; wait only while nothing is.
  if (addresses.empty() && pending) {
    return Addr{};
  }
  return Addr::bound(std::move(addresses));
}

std::shared_ptr<FsNamer> FsNamer::create(boost::asio::io_context& control, fs::path root_dir,
                                         Path prefix, InetResolverSharedPtr resolver,
                                         Options options) {
  return std::make_shared<FsNamer>(control, std::move(root_dir), std::move(prefix),
                                   std::move(resolver), options);
}

FsNamer::FsNamer(boost::asio::io_context& control, fs::path root_dir, Path prefix,
                 InetResolverSharedPtr resolver, Options options)
    : Namer(std::move(prefix)),
      impl_(std::make_shared<Impl>(control, std::move(root_dir),
                                   resolver ? std::move(resolver) : InetResolver::create(control),
                                   options)) {}

FsNamer::~FsNamer() { stop(); }

void FsNamer::start() {
  std::weak_ptr<Impl> weak = impl_;
  impl_->watch = std::make_shared<detail::ChangeWatch>(impl_->control, impl_->options.debounce,
                                                       impl_->options.rescan_interval, [weak] {
                                                         if (auto self = weak.lock()) {
                                                           self->rescan();
                                                         }
                                                       });
  impl_->watch->start();
  impl_->rescan();
}

void FsNamer::stop() {
  if (impl_->watch) {
    impl_->watch->stop();
  }
}

Lookup FsNamer::lookup(const Path& residual) const {
  const auto snapshot = impl_->snapshot.load();
  for (std::size_t i = 1; i <= residual.size(); ++i) {
    const Path name = residual.take(i);
    if (const auto it = snapshot->files.find(name); it != snapshot->files.end()) {
      const FileState& file = it->second;
      auto addr = file.addr ? file.addr : std::make_shared<const Addr>(impl_->resolve(file.parsed));
      return Lookup::ok(dtab::NameTree<dtab::Name>::leaf(
          dtab::BoundName{prefix() + name, residual.drop(i), std::move(addr), 1.0}));
    }
    if (!snapshot->dirs.contains(name)) {
      break;
    }
  }
  return Lookup::ok(dtab::NameTree<dtab::Name>::neg());
}

std::vector<Path> FsNamer::enumerate() const {
  const auto snapshot = impl_->snapshot.load();
  std::vector<Path> ids;
  ids.reserve(snapshot->files.size());
  for (const auto& [name, state] : snapshot->files) {
    ids.push_back(prefix() + name);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace meshd::naming
