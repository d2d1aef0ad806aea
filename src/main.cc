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
// A proxied request allocates a dozen coroutine frames of 0.3 to 2 KiB (and a few smaller
// objects); hundreds of requests are in flight under load, and they start and finish in bursts.
// jemalloc's per-thread cache keeps 8 to 20 freed blocks of the classes above 1 KiB by default,
// and its GC, run after every 64 KiB allocated, hands back the blocks a class left unused since
// its last pass: most frames then came from, and went back to, the shared arena (a refill or a
// flush of dozens of blocks at a time), and a block fresh from the arena is a cold one. Here each thread keeps up to 1024
// freed blocks per small class, and the cache GC runs after every 2 MiB allocated instead: an
// h2 request through the router costs 3 500 fewer instructions (61 500 instead of 65 000 under
// `h2load -c50 -m10`). The cost is bounded: a class holds at most 1024 blocks per thread, and
// only as many as were once in use together; the GC still hands back what stays unused.
extern "C" {
extern const char* malloc_conf;
const char* malloc_conf =
    "tcache_nslots_small_min:1024,tcache_nslots_small_max:1024,tcache_gc_incr_bytes:2097152";
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
