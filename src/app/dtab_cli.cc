#include "meshd/app/dtab_cli.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "app/naming_setup.h"
#include "meshd/config/load.h"
#include "meshd/core/asio.h"
#include "meshd/core/log.h"
#include "meshd/dtab/dtab.h"
#include "meshd/dtab/name_tree.h"
#include "meshd/dtab/path.h"
#include "meshd/naming/delegate.h"

namespace meshd::app {
namespace {

constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

// As long as `/delegator.json` waits for pending names (Linkerd: 2 s).
constexpr std::chrono::milliseconds kDelegateTimeout{2000};
constexpr std::chrono::milliseconds kFirstBackoff{5};
constexpr std::chrono::milliseconds kMaxBackoff{50};

int usage(std::ostream& err) {
  err << "usage: meshd dtab show DTAB          print DTAB in canonical form\n"
         "       meshd dtab path PATH          print PATH in canonical form\n"
         "       meshd dtab tree NAMETREE      print NAMETREE in canonical form\n"
         "       meshd dtab delegate [--config FILE] [--router LABEL] [--dtab DTAB] PATH\n"
         "                                     explain how PATH delegates (/delegator.json)\n";
  return kExitUsage;
}

// Prints `parsed.show()`, or its parse error.
template <class Parsed>
int print_shown(const Parsed& parsed, std::ostream& out, std::ostream& err) {
  if (!parsed) {
    err << parsed.error().message << "\n";
    return kExitError;
  }
  out << parsed->show() << "\n";
  return 0;
}

struct DelegateArgs {
  std::optional<std::string> config_file;
  std::optional<std::string> router;
  std::optional<std::string> dtab;
  std::string path;
};

// Parses the arguments after `delegate`; nullopt on a usage error.
std::optional<DelegateArgs> parse_delegate_args(const std::vector<std::string_view>& args) {
  DelegateArgs out;
  bool have_path = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::optional<std::string>* option = nullptr;
    if (args[i] == "--config") {
      option = &out.config_file;
    } else if (args[i] == "--router") {
      option = &out.router;
    } else if (args[i] == "--dtab") {
      option = &out.dtab;
    } else if (!have_path && (args[i].empty() || args[i].front() != '-' || args[i] == "-")) {
      out.path = args[i];
      have_path = true;
      continue;
    } else {
      return std::nullopt;
    }
    if (i + 1 >= args.size() || option->has_value()) {
      return std::nullopt;
    }
    *option = std::string(args[++i]);
  }
  if (!have_path || (out.router && !out.config_file)) {
    return std::nullopt;
  }
  return out;
}

// Runs `io` for `wait` (or until it is stopped), so namers and the resolver make progress.
void run_io_for(asio::io_context& io, std::chrono::steady_clock::duration wait) {
  asio::steady_timer timer(io, wait);
  // Shared: if `io` stopped early the handler could run during a later call.
  auto fired = std::make_shared<bool>(false);
  timer.async_wait([fired](boost::system::error_code) { *fired = true; });
  io.restart();
  while (!*fired) {
    if (io.run_one() == 0) {
      break;
    }
  }
}

// Delegates until nothing is pending or the timeout passes, driving `io` in between.
naming::Delegation settle(asio::io_context& io, const naming::Interpreter& interpreter,
                          const dtab::Dtab& dtab, const dtab::Path& path) {
  const auto deadline = std::chrono::steady_clock::now() + kDelegateTimeout;
  auto backoff = kFirstBackoff;
  naming::Delegation d = naming::delegate(interpreter, dtab, path);
  while (d.pending && !d.failure) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      break;
    }
    run_io_for(io, std::min<std::chrono::steady_clock::duration>(backoff, deadline - now));
    backoff = std::min(backoff * 2, kMaxBackoff);
    d = naming::delegate(interpreter, dtab, path);
  }
  return d;
}

// Loads `file` into `config`; prints the errors and returns the exit status on failure.
std::optional<int> load_config(const std::string& file, config::Config& config, std::ostream& err) {
  auto loaded = config::load_file(file);
  for (const auto& e : loaded.errors) {
    err << e.to_string() << "\n";
  }
  if (loaded.unreadable) {
    return kExitError;
  }
  if (!loaded.ok()) {
    return kExitUsage;  // a config error
  }
  config = std::move(loaded.config);
  return std::nullopt;
}

int run_delegate(const DelegateArgs& args, std::ostream& out, std::ostream& err) {
  log::set_level("warn");  // namers log their start at info; stdout is the document
  config::Config config;
  if (args.config_file) {
    if (auto status = load_config(*args.config_file, config, err)) {
      return *status;
    }
  }
  std::optional<std::size_t> router;
  if (args.config_file) {
    router = 0;
    if (args.router) {
      auto it = std::find_if(config.routers.begin(), config.routers.end(),
                             [&](const auto& r) { return r.label.value == *args.router; });
      if (it == config.routers.end()) {
        err << "meshd: no router labelled \"" << *args.router << "\" in " << *args.config_file
            << "\n";
        return kExitUsage;
      }
      router = static_cast<std::size_t>(it - config.routers.begin());
    }
  }
  dtab::Dtab dtab = router ? config.routers[*router].dtab.value.parsed : dtab::Dtab();
  if (args.dtab) {
    auto parsed = dtab::Dtab::read(*args.dtab);
    if (!parsed) {
      err << "Invalid dtab: " << parsed.error().message << "\n";
      return kExitError;
    }
    dtab = std::move(*parsed);
  }
  auto path = dtab::Path::read(args.path);
  if (!path) {
    err << "Invalid path: " << path.error().message << "\n";
    return kExitError;
  }

  asio::io_context io;
  telemetry::Registry registry;
  std::vector<std::string> errors;
  auto naming = start_naming(config, io, registry, errors);
  if (naming == nullptr) {
    for (const auto& e : errors) {
      err << e << "\n";
    }
    return kExitError;
  }
  const auto& interpreter = router ? naming->routers.at(*router).interpreter : naming->namers_only;
  const naming::Delegation d = settle(io, *interpreter, dtab, *path);
  if (d.failure) {
    err << *d.failure << "\n";
    return kExitError;
  }
  out << naming::to_json(d.tree) << "\n";
  if (d.pending) {
    err << "meshd: some names are still pending after " << kDelegateTimeout.count() << " ms\n";
    return kExitError;
  }
  return 0;
}

}  // namespace

int run_dtab_cli(int argc, char** argv, std::ostream& out, std::ostream& err) {
  std::vector<std::string_view> args(argv + std::min(argc, 2), argv + argc);
  if (args.empty()) {
    return usage(err);
  }
  const std::string_view command = args.front();
  args.erase(args.begin());
  if (command == "delegate") {
    auto parsed = parse_delegate_args(args);
    return parsed ? run_delegate(*parsed, out, err) : usage(err);
  }
  if (args.size() != 1) {
    return usage(err);
  }
  if (command == "show") {
    return print_shown(dtab::Dtab::read(args.front()), out, err);
  }
  if (command == "path") {
    return print_shown(dtab::Path::read(args.front()), out, err);
  }
  if (command == "tree") {
    return print_shown(dtab::read_name_tree(args.front()), out, err);
  }
  return usage(err);
}

}  // namespace meshd::app
