#include "app/naming_setup.h"

#include <filesystem>
#include <utility>
#include <variant>

#include "meshd/naming/dtab_file.h"
#include "meshd/naming/fs_namer.h"
#include "meshd/naming/generation.h"
#include "meshd/naming/global_namer.h"
#include "meshd/naming/inet_resolver.h"
#include "meshd/naming/path_matcher.h"
#include "meshd/naming/rewrite_namer.h"
#include "meshd/naming/transformers.h"

namespace meshd::app {
namespace {

using naming::TransformerConstSharedPtr;
using Transformers = std::vector<TransformerConstSharedPtr>;

/// Everything the interpreters need, kept alive together. Members are destroyed bottom-up, so
/// the interpreters go before the namers and the global namer they refer to.
struct NamingState {
  naming::InetResolverSharedPtr resolver;
  std::unique_ptr<naming::GlobalNamer> global;
  std::vector<naming::NamerSharedPtr> namers;    // config order
  std::vector<Transformers> namer_transformers;  // parallel to `namers`
  std::vector<naming::DtabFileSharedPtr> dtab_files;
  // The configured namers with their transformers, no dtab and no interpreter transformers:
  // what `io.l5d.replace` and `io.l5d.const` bind through (Linkerd's global interpreter).
  std::unique_ptr<naming::Interpreter> replace_interpreter;
  std::vector<std::unique_ptr<naming::Interpreter>> routers;  // parallel to config.routers
  std::unique_ptr<naming::Interpreter> namers_only;
};

/// Binds through `state`'s replace interpreter. Held weakly: the transformers that hold this
/// binder are themselves owned by the state.
naming::PathBinder replace_binder(const std::shared_ptr<NamingState>& state) {
  return [weak = std::weak_ptr<NamingState>(state)](const dtab::Path& path) {
    const auto self = weak.lock();
    if (!self || !self->replace_interpreter) {
      return dtab::Activity<dtab::NameTree<dtab::BoundName>>::failed("naming is not running");
    }
    return self->replace_interpreter->bind(dtab::Dtab(), path);
  };
}

/// The transformer `tc` describes, or null (with a message in `errors`) for a kind that is not
/// implemented.
TransformerConstSharedPtr make_transformer(const config::TransformerConfig& tc,
                                           const std::shared_ptr<NamingState>& state,
                                           std::vector<std::string>& errors) {
  dtab::Path prefix = config::transformer_prefix_path(tc);
  if (const auto* port = std::get_if<config::PortTransformerConfig>(&tc.settings)) {
    return naming::make_port_transformer(std::move(prefix),
                                         static_cast<std::uint16_t>(port->port.value));
  }
  if (std::holds_alternative<config::LocalhostTransformerConfig>(tc.settings)) {
    return naming::make_localhost_transformer(std::move(prefix));
  }
  if (const auto* host = std::get_if<config::SpecificHostTransformerConfig>(&tc.settings)) {
    return naming::make_specific_host_transformer(std::move(prefix), host->host.value,
                                                  state->resolver);
  }
  if (const auto* replace = std::get_if<config::ReplaceTransformerConfig>(&tc.settings)) {
    return naming::make_replace_transformer(std::move(prefix), replace->path.value.parsed,
                                            replace_binder(state));
  }
  if (const auto* c = std::get_if<config::ConstTransformerConfig>(&tc.settings)) {
    return naming::make_const_transformer(std::move(prefix), c->path.value.parsed,
                                          replace_binder(state));
  }
  errors.push_back("meshd: " + tc.pos.path + ": transformer kind \"" + tc.kind.value +
                   "\" is not supported");
  return nullptr;
}

/// The transformers of `list`, in order; false (with messages in `errors`) if any failed.
bool make_transformers(const std::vector<config::TransformerConfig>& list,
                       const std::shared_ptr<NamingState>& state, Transformers& out,
                       std::vector<std::string>& errors) {
  for (const auto& tc : list) {
    auto transformer = make_transformer(tc, state, errors);
    if (!transformer) {
      return false;
    }
    out.push_back(std::move(transformer));
  }
  return true;
}

/// The namer `nc` describes, started; null (with a message in `errors`) on an error.
naming::NamerSharedPtr make_namer(const config::NamerConfig& nc, asio::io_context& control,
                                  const NamingState& state, std::vector<std::string>& errors) {
  const dtab::Path prefix = config::effective_prefix_path(nc);
  if (const auto* fs = std::get_if<config::FsNamerConfig>(&nc.settings)) {
    std::error_code ec;
    if (!std::filesystem::is_directory(fs->root_dir.value, ec)) {
      errors.push_back("meshd: " + fs->root_dir.pos.path + ": " + fs->root_dir.value +
                       " is not a readable directory");
      return nullptr;
    }
    auto namer = naming::FsNamer::create(control, fs->root_dir.value, prefix, state.resolver);
    namer->start();
    return namer;
  }
  if (const auto* rw = std::get_if<config::RewriteNamerConfig>(&nc.settings)) {
    return std::make_shared<naming::RewriteNamer>(prefix, naming::PathMatcher(rw->pattern.value),
                                                  rw->name.value);
  }
  errors.push_back("meshd: " + nc.pos.path + ": namer kind \"" + nc.kind.value +
                   "\" is not supported");
  return nullptr;
}

/// The interpreter of router `rc` (its dtab file started); null (with messages) on an error.
std::unique_ptr<naming::Interpreter> make_router_interpreter(
    const config::RouterConfig& rc, asio::io_context& control,
    const std::shared_ptr<NamingState>& state, std::vector<std::string>& errors) {
  naming::InterpreterOptions options;
  options.namer_transformers = state->namer_transformers;
  if (!make_transformers(rc.interpreter.transformers, state, options.transformers, errors)) {
    return nullptr;
  }
  if (rc.interpreter.kind.value == "io.l5d.fs") {
    auto file = naming::DtabFile::create(control, rc.interpreter.dtab_file.value);
    file->start();
    state->dtab_files.push_back(file);
    options.dtab_file = std::move(file);
  } else if (rc.interpreter.kind.value != "default") {
    errors.push_back("meshd: " + rc.interpreter.pos.path + ": interpreter kind \"" +
                     rc.interpreter.kind.value + "\" is not supported");
    return nullptr;
  }
  return std::make_unique<naming::Interpreter>(state->namers, *state->global, std::move(options));
}

/// `interpreter` sharing ownership of `state`, so holding it keeps the namers alive.
std::shared_ptr<const naming::Interpreter> share(const std::shared_ptr<NamingState>& state,
                                                 const naming::Interpreter& interpreter) {
  return {state, &interpreter};
}

}  // namespace

std::unique_ptr<Naming> start_naming(const config::Config& config, asio::io_context& control,
                                     std::vector<std::string>& errors) {
  auto state = std::make_shared<NamingState>();
  state->resolver = naming::InetResolver::create(control);
  state->global = std::make_unique<naming::GlobalNamer>(state->resolver);
  for (const auto& nc : config.namers) {
    auto namer = make_namer(nc, control, *state, errors);
    Transformers transformers;
    if (!namer || !make_transformers(nc.transformers, state, transformers, errors)) {
      return nullptr;
    }
    state->namers.push_back(std::move(namer));
    state->namer_transformers.push_back(std::move(transformers));
  }
  naming::InterpreterOptions replace_options;
  replace_options.namer_transformers = state->namer_transformers;
  state->replace_interpreter = std::make_unique<naming::Interpreter>(state->namers, *state->global,
                                                                     std::move(replace_options));
  state->namers_only =
      std::make_unique<naming::Interpreter>(std::vector<naming::NamerSharedPtr>{}, *state->global);

  auto naming = std::make_unique<Naming>();
  for (const auto& rc : config.routers) {
    auto interpreter = make_router_interpreter(rc, control, state, errors);
    if (!interpreter) {
      return nullptr;
    }
    state->routers.push_back(std::move(interpreter));
    auto shared = share(state, *state->routers.back());
    naming->routers.push_back({[shared](const dtab::Dtab& dtab, const dtab::Path& path) {
                                 return shared->bind(dtab, path);
                               },
                               shared});
  }
  naming->namers_only = share(state, *state->namers_only);
  naming->namers = state->namers;
  naming->generation = [] { return naming::generation(); };
  naming->owner = state;
  return naming;
}

}  // namespace meshd::app
