#include "app/naming_setup.h"

#include <filesystem>

#include "meshd/naming/fs_namer.h"
#include "meshd/naming/generation.h"
#include "meshd/naming/global_namer.h"
#include "meshd/naming/inet_resolver.h"
#include "meshd/naming/interpreter.h"

namespace meshd::app {
namespace {

/// Everything the interpreter needs, kept alive together.
struct NamingState {
  naming::InetResolverSharedPtr resolver;
  std::unique_ptr<naming::GlobalNamer> global;
  std::vector<naming::NamerSharedPtr> namers;
  std::unique_ptr<naming::Interpreter> interpreter;
};

}  // namespace

std::unique_ptr<Naming> start_naming(const config::Config& config, asio::io_context& control,
                                     std::vector<std::string>& errors) {
  auto state = std::make_shared<NamingState>();
  state->resolver = naming::InetResolver::create(control);
  state->global = std::make_unique<naming::GlobalNamer>(state->resolver);
  for (const auto& nc : config.namers) {
    const auto* fs = std::get_if<config::FsNamerConfig>(&nc.settings);
    if (fs == nullptr) {
      continue;  // config validation rejects every other kind for now
    }
    std::error_code ec;
    if (!std::filesystem::is_directory(fs->root_dir.value, ec)) {
      errors.push_back("meshd: " + fs->root_dir.pos.path + ": " + fs->root_dir.value +
                       " is not a readable directory");
      return nullptr;
    }
    auto prefix = dtab::Path::read(config::effective_prefix(nc));
    auto namer = naming::FsNamer::create(control, fs->root_dir.value, *prefix, state->resolver);
    namer->start();
    state->namers.push_back(namer);
  }
  state->interpreter = std::make_unique<naming::Interpreter>(state->namers, *state->global);
  auto naming = std::make_unique<Naming>();
  naming->bind = [state](const dtab::Dtab& dtab, const dtab::Path& path) {
    return state->interpreter->bind(dtab, path);
  };
  naming->generation = [] { return naming::generation(); };
  naming->owner = state;
  return naming;
}

}  // namespace meshd::app
