// meshd: a per-host L7 service-mesh proxy that runs Linkerd 1 configs.
//
//   meshd [--log-level LEVEL] CONFIG        run (CONFIG `-` reads standard input)
//   meshd [--log-level LEVEL] -validate CONFIG
//   meshd version
//   meshd dtab show|path|tree|delegate ...   dtab tools (src/app/dtab_cli.cc)

#include <cstring>
#include <ctime>
#include <iostream>
#include <string>
#include <string_view>

#include "meshd/app/dtab_cli.h"
#include "meshd/app/linker.h"
#include "meshd/config/load.h"
#include "meshd/core/log.h"

namespace {

constexpr int kExitConfigError = 2;
constexpr int kExitEnvironmentError = 1;

int usage() {
  std::cerr << "usage: meshd [--log-level LEVEL] [-validate] CONFIG\n"
               "       meshd version\n"
               "       meshd dtab show|path|tree|delegate ...  (meshd dtab for details)\n"
               "CONFIG is a Linkerd 1 YAML or JSON config file, or - for standard input.\n"
               "LEVEL is one of trace, debug, info, warn, error, off (default info).\n";
  return kExitConfigError;
}

}  // namespace

#ifdef MESHD_WITH_JEMALLOC
// jemalloc's defaults for this program (MALLOC_CONF in the environment still overrides them).
// Each thread keeps at least 64 freed blocks of every small size class in its cache, where it
// keeps 8 to 20 of the classes above 1 KiB by default. Under load, dozens of requests finish
// together and each frees coroutine frames of 0.3 to 2 KiB: with the default, most of those
// frees overflowed the cache (a flush to the arena, and a refill on the next allocations), a
// thousand instructions per proxied request. The cost is bounded: at most 64 blocks per class
// and thread, handed back by jemalloc's cache GC while the thread allocates.
extern "C" {
extern const char* malloc_conf;
const char* malloc_conf = "tcache_nslots_small_min:64";
}
#endif

int main(int argc, char** argv) {
  ::tzset();  // the access log prints local time: read TZ once, before any thread starts
  if (argc >= 2 && std::string_view(argv[1]) == "dtab") {
    return meshd::app::run_dtab_cli(argc, argv, std::cout, std::cerr);
  }
  bool validate = false;
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "version" || arg == "--version" || arg == "-version") {
      std::cout << "meshd " << MESHD_VERSION << "\n";
      return 0;
    }
    if (arg == "-validate" || arg == "--validate") {
      validate = true;
    } else if (arg == "--log-level" || arg == "-log-level") {
      if (i + 1 >= argc || !meshd::log::set_level(argv[i + 1])) {
        std::cerr << "meshd: --log-level needs one of trace, debug, info, warn, error, off\n";
        return kExitConfigError;
      }
      ++i;
    } else if (arg == "-h" || arg == "--help" || arg == "-help") {
      usage();
      return 0;
    } else if (!arg.empty() && arg != "-" && arg.front() == '-') {
      std::cerr << "meshd: unknown option " << arg << "\n";
      return usage();
    } else if (config_path.empty()) {
      config_path = arg;
    } else {
      std::cerr << "meshd: more than one config file given\n";
      return usage();
    }
  }
  if (config_path.empty()) {
    return usage();
  }
  auto loaded = meshd::config::load_file(config_path);
  for (const auto& e : loaded.errors) {
    std::cerr << e.to_string() << "\n";
  }
  if (loaded.unreadable) {
    return kExitEnvironmentError;
  }
  if (!loaded.ok()) {
    std::cerr << "meshd: " << loaded.errors.size() << " error"
              << (loaded.errors.size() == 1 ? "" : "s") << " in " << config_path << "\n";
    return kExitConfigError;
  }
  if (validate) {
    std::cout << config_path << ": ok\n";
    return 0;
  }
  auto linker = meshd::app::Linker::build(loaded.config);
  if (!linker) {
    return kExitEnvironmentError;
  }
  return linker->run();
}
