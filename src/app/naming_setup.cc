#include "app/naming_setup.h"

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <utility>
#include <variant>

#include "meshd/k8s_naming/k8s_naming.h"
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
  // The Kubernetes API clients and watchers; stopped by its destructor after everything below
  // (which reads its snapshots) is gone.
  std::unique_ptr<k8s_naming::Kubernetes> kubernetes;
  // `/namer_state` providers, by admin path.
  std::map<std::string, std::function<std::string()>> namer_states;
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

/// The value of environment variable `name`, or "" when unset.
std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

/// The transformer `tc` describes, or null (with a message in `errors`) for a kind that is not
/// implemented or whose environment is missing.
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
  if (const auto* ds = std::get_if<config::DaemonSetTransformerConfig>(&tc.settings)) {
    auto client = state->kubernetes->client(ds->api, {"namer", "#/io.l5d.k8s"});
    k8s_naming::ServiceKey daemon{ds->ns.value, ds->port.value, ds->service.value, {}, {}};
    return k8s_naming::make_daemonset_transformer(std::move(prefix),
                                                  state->kubernetes->service_watcher(client),
                                                  std::move(daemon), ds->host_network.value);
  }
  if (const auto* ln = std::get_if<config::LocalnodeTransformerConfig>(&tc.settings)) {
    // Linkerd: POD_IP, or NODE_NAME with hostNetwork, required when the transformer starts.
    const char* var = ln->host_network.value ? "NODE_NAME" : "POD_IP";
    std::string local = env(var);
    if (local.empty()) {
      errors.push_back("meshd: " + tc.pos.path +
                       ": io.l5d.k8s.localnode needs the environment "
                       "variable " +
                       var + " (set it from the downward API)");
      return nullptr;
    }
    if (!tc.prefix.present) {
      prefix = prefix + dtab::Path::of({local});
    }
    return k8s_naming::make_localnode_transformer(std::move(prefix), std::move(local),
                                                  ln->host_network.value);
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
                                  NamingState& state, std::vector<std::string>& errors) {
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
  if (const auto* k = std::get_if<config::K8sNamerConfig>(&nc.settings)) {
    std::string ns;
    if (k->fixed_namespace) {
      ns = env(k->env_var.value.c_str());
      if (ns.empty()) {
        errors.push_back("meshd: " + k->env_var.pos.path +
                         ": io.l5d.k8s.ns needs the "
                         "environment variable " +
                         k->env_var.value + " (the namespace)");
        return nullptr;
      }
    }
    const std::string scope = config::effective_prefix(nc).substr(1);  // `#/io.l5d.k8s`
    auto client = state.kubernetes->client(k->api, {"namer", scope});
    auto watcher = state.kubernetes->service_watcher(client);
    state.namer_states["/namer_state/" + nc.prefix.value.text.substr(1) + ".json"] =
        [kubernetes = state.kubernetes.get(), client] {
          return boost::json::serialize(kubernetes->state_json(client));
        };
    return k8s_naming::make_k8s_namer(prefix, std::move(watcher), k->label_selector.value,
                                      std::move(ns));
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
                                     telemetry::Registry& registry,
                                     std::vector<std::string>& errors) {
  auto state = std::make_shared<NamingState>();
  state->kubernetes = std::make_unique<k8s_naming::Kubernetes>(control, registry);
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
  naming->identifiers =
      [state](const dtab::Path& prefix,
              const config::IdentifierConfig& ic) -> router::IdentifierConstSharedPtr {
    if (const auto* ingress = std::get_if<config::IngressIdentifierConfig>(&ic.settings)) {
      return k8s_naming::make_ingress_identifier(prefix,
                                                 state->kubernetes->ingress_watcher(*ingress));
    }
    return nullptr;
  };
  naming->namer_states = state->namer_states;
  naming->synced = [kubernetes = state->kubernetes.get()] { return kubernetes->synced(); };
  naming->owner = state;
  return naming;
}

}  // namespace meshd::app
