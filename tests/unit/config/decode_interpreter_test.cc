// A router's `interpreter`, `bindingTimeoutMs` and `bindingCache`, and the `transformers` of
// interpreters and namers: defaults, every kind, and every class of error.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <variant>

#include "meshd/config/load.h"
#include "meshd/dtab/path.h"
#include "unit/config/test_util.h"

namespace meshd::config {
namespace {

using ::testing::ElementsAre;
using testing::errors_of;
using testing::load_yaml;

const std::string& kRouter = testing::kMinimalRouter;

TEST(Interpreter, AbsentMeansDefaultKindWithoutTransformers) {
  const LoadResult r = load_yaml(kRouter);

  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));
  const RouterConfig& rt = r.config.routers[0];
  EXPECT_EQ(rt.interpreter.kind.value, "default");
  EXPECT_FALSE(rt.interpreter.kind.present);
  EXPECT_EQ(rt.interpreter.kind.pos.path, "routers[0].interpreter.kind");
  EXPECT_EQ(rt.interpreter.kind.pos.line, 2);
  EXPECT_TRUE(rt.interpreter.transformers.empty());
  EXPECT_TRUE(rt.interpreter.raw.is_null());
  EXPECT_FALSE(rt.interpreter.dtab_file.present);
  EXPECT_EQ(rt.binding_timeout.value, std::chrono::milliseconds{10000});
  EXPECT_FALSE(rt.binding_timeout.present);
  EXPECT_EQ(rt.binding_cache.paths.value, 1000);
  EXPECT_EQ(rt.binding_cache.trees.value, 1000);
  EXPECT_EQ(rt.binding_cache.bounds.value, 1000);
  EXPECT_EQ(rt.binding_cache.clients.value, 1000);
  EXPECT_EQ(rt.binding_cache.idle_ttl.value, std::chrono::seconds{600});
  EXPECT_EQ(rt.binding_cache.idle_ttl.pos.path, "routers[0].bindingCache.idleTtlSecs");
  EXPECT_FALSE(rt.binding_cache.clients.present);
}

TEST(Interpreter, KindMayBeLeftOut) {
  const LoadResult r =
      load_yaml(kRouter + "  interpreter:\n    transformers: [{kind: io.l5d.localhost}]\n");

  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));
  const InterpreterConfig& in = r.config.routers[0].interpreter;
  EXPECT_EQ(in.kind.value, "default");
  EXPECT_FALSE(in.kind.present);
  ASSERT_EQ(in.transformers.size(), 1u);
  EXPECT_EQ(in.transformers[0].pos.path, "routers[0].interpreter.transformers[0]");
}

TEST(Interpreter, FsReadsDtabFileAndTransformers) {
  const LoadResult r = load_yaml(kRouter +
                                 "  interpreter:\n    kind: io.l5d.fs\n    dtabFile: /etc/dtab\n"
                                 "    experimental: true\n"
                                 "    transformers:\n    - kind: io.l5d.port\n      port: 4141\n");

  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));
  const InterpreterConfig& in = r.config.routers[0].interpreter;
  EXPECT_EQ(in.kind.value, "io.l5d.fs");
  EXPECT_TRUE(in.kind.present);
  EXPECT_TRUE(in.experimental.value);
  EXPECT_EQ(in.dtab_file.value, "/etc/dtab");
  EXPECT_EQ(in.dtab_file.pos.line, 6);
  ASSERT_EQ(in.transformers.size(), 1u);
  EXPECT_EQ(std::get<PortTransformerConfig>(in.transformers[0].settings).port.value, 4141);
}

TEST(Interpreter, UnsupportedKindKeepsItsSettings) {
  const LoadResult r = load_yaml(kRouter +
                                 "  interpreter:\n    kind: io.l5d.mesh\n"
                                 "    dst: /$/inet/namerd/4321\n    root: /default\n");

  EXPECT_THAT(errors_of(r), ElementsAre("t.yaml:5:5: routers[0].interpreter.kind: interpreter "
                                        "kind \"io.l5d.mesh\" is not supported yet"));
  EXPECT_EQ(r.config.routers[0].interpreter.raw,
            boost::json::parse(
                R"({"kind": "io.l5d.mesh", "dst": "/$/inet/namerd/4321", "root": "/default"})"));
}

TEST(Interpreter, ExperimentalUnsupportedKindIsOneError) {
  const LoadResult r = load_yaml(kRouter + "  interpreter: {kind: io.l5d.namerd.http}\n");

  EXPECT_THAT(errors_of(r), ElementsAre("t.yaml:4:17: routers[0].interpreter.kind: interpreter "
                                        "kind \"io.l5d.namerd.http\" is not supported yet"));
}

TEST(Binding, TimeoutAndCacheAreDecoded) {
  const LoadResult r = load_yaml(kRouter +
                                 "  bindingTimeoutMs: 250\n  bindingCache:\n    paths: 1\n"
                                 "    trees: 2\n    bounds: 3\n    clients: 4\n"
                                 "    idleTtlSecs: 5\n");

  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));
  const RouterConfig& rt = r.config.routers[0];
  EXPECT_EQ(rt.binding_timeout.value, std::chrono::milliseconds{250});
  EXPECT_TRUE(rt.binding_timeout.present);
  EXPECT_EQ(rt.binding_cache.paths.value, 1);
  EXPECT_EQ(rt.binding_cache.trees.value, 2);
  EXPECT_EQ(rt.binding_cache.bounds.value, 3);
  EXPECT_EQ(rt.binding_cache.clients.value, 4);
  EXPECT_EQ(rt.binding_cache.idle_ttl.value, std::chrono::seconds{5});
  EXPECT_EQ(rt.binding_cache.idle_ttl.pos.line, 10);
  EXPECT_EQ(rt.binding_cache.pos.path, "routers[0].bindingCache");
}

TEST(Binding, PartialCacheKeepsOtherDefaults) {
  const LoadResult r = load_yaml(kRouter + "  bindingCache: {clients: 10}\n");

  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));
  const BindingCacheConfig& c = r.config.routers[0].binding_cache;
  EXPECT_EQ(c.clients.value, 10);
  EXPECT_EQ(c.paths.value, 1000);
  EXPECT_EQ(c.idle_ttl.value, std::chrono::seconds{600});
}

// One transformer kind: its YAML (a flow map) and what it must decode to.
struct TransformerCase {
  std::string yaml;
  std::string prefix;    // the effective prefix text
  dtab::Path id_prefix;  // transformer_prefix_path
};

std::ostream& operator<<(std::ostream& os, const TransformerCase& c) { return os << c.yaml; }

class TransformerKinds : public ::testing::TestWithParam<TransformerCase> {};

TEST_P(TransformerKinds, DecodeWithTheirPrefix) {
  const LoadResult r =
      load_yaml(kRouter + "  interpreter:\n    transformers:\n    - " + GetParam().yaml + "\n");

  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));
  ASSERT_EQ(r.config.routers[0].interpreter.transformers.size(), 1u);
  const TransformerConfig& t = r.config.routers[0].interpreter.transformers[0];
  EXPECT_EQ(t.prefix.value.text, GetParam().prefix);
  EXPECT_EQ(transformer_prefix_path(t), GetParam().id_prefix);
}

INSTANTIATE_TEST_SUITE_P(
    Table, TransformerKinds,
    ::testing::Values(TransformerCase{"{kind: io.l5d.port, port: 8080}", "/io.l5d.port/8080",
                                      dtab::Path::of({"%", "io.l5d.port", "8080"})},
                      TransformerCase{"{kind: io.l5d.localhost}", "/io.l5d.localhost",
                                      dtab::Path::of({"%", "io.l5d.localhost"})},
                      TransformerCase{"{kind: io.l5d.specificHost, host: example.com}",
                                      "/io.l5d.specificHost",
                                      dtab::Path::of({"%", "io.l5d.specificHost"})},
                      TransformerCase{"{kind: io.l5d.replace, path: /$/inet/127.1/80}",
                                      "/io.l5d.replace", dtab::Path::of({"%", "io.l5d.replace"})},
                      TransformerCase{"{kind: io.l5d.const, path: /#/io.l5d.fs/x}", "/io.l5d.const",
                                      dtab::Path::of({"%", "io.l5d.const"})},
                      TransformerCase{"{kind: io.l5d.port, port: 1, prefix: /p/q}", "/p/q",
                                      dtab::Path::of({"%", "p", "q"})},
                      TransformerCase{"{kind: io.l5d.localhost, experimental: true, prefix: /}",
                                      "/", dtab::Path::of({"%"})}));

TEST(Transformers, SettingsAreDecodedInOrder) {
  const LoadResult r = load_yaml(kRouter +
                                 "  interpreter:\n    transformers:\n"
                                 "    - {kind: io.l5d.specificHost, host: 10.1.2.3}\n"
                                 "    - {kind: io.l5d.replace, path: /$/inet/a/1}\n"
                                 "    - {kind: io.l5d.const, path: /b}\n"
                                 "    - {kind: io.l5d.localhost}\n");

  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));
  const auto& ts = r.config.routers[0].interpreter.transformers;
  ASSERT_EQ(ts.size(), 4u);
  EXPECT_EQ(std::get<SpecificHostTransformerConfig>(ts[0].settings).host.value, "10.1.2.3");
  EXPECT_EQ(std::get<ReplaceTransformerConfig>(ts[1].settings).path.value.parsed,
            dtab::Path::of({"$", "inet", "a", "1"}));
  EXPECT_EQ(std::get<ConstTransformerConfig>(ts[2].settings).path.value.text, "/b");
  EXPECT_TRUE(std::holds_alternative<LocalhostTransformerConfig>(ts[3].settings));
  EXPECT_EQ(ts[3].pos.line, 9);
  EXPECT_EQ(ts[3].kind.value, "io.l5d.localhost");
}

TEST(Transformers, KubernetesKindsDecodeWithLinkerdsPrefixes) {
  const LoadResult r = load_yaml(kRouter +
                                 "  interpreter:\n    transformers:\n"
                                 "    - {kind: io.l5d.k8s.daemonset, namespace: default, port: "
                                 "incoming, service: l5d, hostNetwork: true, k8sPort: 8002}\n"
                                 "    - {kind: io.l5d.k8s.localnode}\n");

  ASSERT_TRUE(r.ok()) << errors_of(r)[0];
  const auto& ts = r.config.routers[0].interpreter.transformers;
  ASSERT_EQ(ts.size(), 2u);
  const auto& ds = std::get<DaemonSetTransformerConfig>(ts[0].settings);
  EXPECT_EQ(ds.ns.value, "default");
  EXPECT_EQ(ds.service.value, "l5d");
  EXPECT_EQ(ds.port.value, "incoming");
  EXPECT_TRUE(ds.host_network.value);
  EXPECT_EQ(ds.api.host.value, "localhost");
  EXPECT_FALSE(ds.api.host.present);
  EXPECT_EQ(ds.api.port.value, 8002);
  EXPECT_EQ(transformer_prefix_path(ts[0]),
            dtab::Path::of({"%", "io.l5d.k8s.daemonset", "default", "incoming", "l5d"}));
  EXPECT_FALSE(std::get<LocalnodeTransformerConfig>(ts[1].settings).host_network.value);
  EXPECT_EQ(transformer_prefix_path(ts[1]), dtab::Path::of({"%", "io.l5d.k8s.localnode"}));
}

TEST(Transformers, DaemonSetNeedsNamespaceServiceAndPort) {
  const LoadResult r = load_yaml(kRouter +
                                 "  interpreter:\n    transformers:\n"
                                 "    - {kind: io.l5d.k8s.daemonset, namespace: Default}\n");

  EXPECT_THAT(errors_of(r),
              ElementsAre("t.yaml:6:7: routers[0].interpreter.transformers[0]: missing required "
                          "key \"service\"",
                          "t.yaml:6:7: routers[0].interpreter.transformers[0]: missing required "
                          "key \"port\"",
                          "t.yaml:6:36: routers[0].interpreter.transformers[0].namespace: "
                          "\"Default\" is not a Kubernetes name: lower-case letters, digits and "
                          "\"-\", at most 63 characters"));
}

struct ErrorCase {
  std::string name;
  std::string yaml;  // appended to kRouter
  std::vector<std::string> errors;
};

std::ostream& operator<<(std::ostream& os, const ErrorCase& c) { return os << c.name; }

// Line 4 is the first router key after kRouter; `interpreter:` cases put the interpreter keys
// on line 5 (column 5) and `transformers:` items on line 6 (column 7 for the first key).
std::vector<ErrorCase> error_cases() {
  const std::string in = "  interpreter:\n";
  const std::string tr = in + "    transformers:\n    - ";
  const std::string bad_path = dtab::Path::read("a").error().message;
  return {
      {"InterpreterIsNotAMap",
       "  interpreter: default\n",
       {"t.yaml:4:3: routers[0].interpreter: expected a map, got \"default\""}},
      {"InterpreterKindIsAList",
       in + "    kind: [default]\n",
       {"t.yaml:5:5: routers[0].interpreter.kind: expected a string, got a list"}},
      {"UnknownInterpreterKind",
       in + "    kind: io.l5d.dtab\n",
       {"t.yaml:5:5: routers[0].interpreter.kind: unknown interpreter kind \"io.l5d.dtab\" "
        "(supported: default, io.l5d.fs)"}},
      {"UnknownInterpreterKey",
       in + "    transformer: []\n",
       {"t.yaml:5:5: routers[0].interpreter.transformer: unknown key \"transformer\" (did you "
        "mean \"transformers\"?)"}},
      {"DtabFileOnDefaultInterpreter",
       in + "    dtabFile: /d\n",
       {"t.yaml:5:5: routers[0].interpreter.dtabFile: unknown key \"dtabFile\""}},
      {"FsInterpreterWithoutDtabFile",
       in + "    kind: io.l5d.fs\n",
       {"t.yaml:5:5: routers[0].interpreter: missing required key \"dtabFile\""}},
      {"FsInterpreterWithEmptyDtabFile",
       in + "    kind: io.l5d.fs\n    dtabFile: ''\n",
       {"t.yaml:6:5: routers[0].interpreter.dtabFile: must not be empty"}},
      {"FsInterpreterDtabFileIsAMap",
       in + "    kind: io.l5d.fs\n    dtabFile: {a: 1}\n",
       {"t.yaml:6:5: routers[0].interpreter.dtabFile: expected a string, got a map"}},
      {"TransformersIsAMap",
       in + "    transformers: {kind: io.l5d.localhost}\n",
       {"t.yaml:5:5: routers[0].interpreter.transformers: expected a list, got a map"}},
      {"TransformerIsAString",
       tr + "io.l5d.localhost\n",
       {"t.yaml:6:7: routers[0].interpreter.transformers[0]: expected a map, got "
        "\"io.l5d.localhost\""}},
      {"TransformerWithoutKind",
       tr + "{port: 80}\n",
       {"t.yaml:6:7: routers[0].interpreter.transformers[0]: missing required key \"kind\""}},
      {"UnknownTransformerKind",
       tr + "{kind: io.l5d.subnet}\n",
       {"t.yaml:6:8: routers[0].interpreter.transformers[0].kind: unknown transformer kind "
        "\"io.l5d.subnet\" (supported: io.l5d.port, io.l5d.localhost, io.l5d.specificHost, "
        "io.l5d.replace, io.l5d.const, io.l5d.k8s.daemonset, io.l5d.k8s.localnode)"}},
      {"UnknownTransformerKey",
       tr + "{kind: io.l5d.port, port: 80, prot: 81}\n",
       {"t.yaml:6:37: routers[0].interpreter.transformers[0].prot: unknown key \"prot\" (did you "
        "mean \"port\"?)"}},
      {"PortTransformerWithoutPort",
       tr + "{kind: io.l5d.port}\n",
       {"t.yaml:6:7: routers[0].interpreter.transformers[0]: missing required key \"port\""}},
      {"PortTransformerPortZero",
       tr + "{kind: io.l5d.port, port: 0}\n",
       {"t.yaml:6:27: routers[0].interpreter.transformers[0].port: must be between 1 and 65535, "
        "got 0"}},
      {"PortTransformerPortTooLarge",
       tr + "{kind: io.l5d.port, port: 65536}\n",
       {"t.yaml:6:27: routers[0].interpreter.transformers[0].port: must be between 1 and 65535, "
        "got 65536"}},
      {"PortTransformerPortIsAName",
       tr + "{kind: io.l5d.port, port: http}\n",
       {"t.yaml:6:27: routers[0].interpreter.transformers[0].port: expected an integer, got "
        "\"http\""}},
      {"SpecificHostWithoutHost",
       tr + "{kind: io.l5d.specificHost}\n",
       {"t.yaml:6:7: routers[0].interpreter.transformers[0]: missing required key \"host\""}},
      {"SpecificHostEmptyHost",
       tr + "{kind: io.l5d.specificHost, host: ''}\n",
       {"t.yaml:6:35: routers[0].interpreter.transformers[0].host: must not be empty"}},
      {"ReplaceWithoutPath",
       tr + "{kind: io.l5d.replace}\n",
       {"t.yaml:6:7: routers[0].interpreter.transformers[0]: missing required key \"path\""}},
      {"ReplaceWithBadPath",
       tr + "{kind: io.l5d.replace, path: a}\n",
       {"t.yaml:6:30: routers[0].interpreter.transformers[0].path: invalid path: " + bad_path}},
      {"ConstWithoutPath",
       tr + "{kind: io.l5d.const, path: ~}\n",
       {"t.yaml:6:7: routers[0].interpreter.transformers[0]: missing required key \"path\""}},
      {"TransformerWithBadPrefix",
       tr + "{kind: io.l5d.localhost, prefix: a}\n",
       {"t.yaml:6:32: routers[0].interpreter.transformers[0].prefix: invalid path: " + bad_path}},
      {"TransformerExperimentalIsNotABool",
       tr + "{kind: io.l5d.localhost, experimental: maybe}\n",
       {"t.yaml:6:32: routers[0].interpreter.transformers[0].experimental: expected a boolean "
        "(true or false), got \"maybe\""}},
      {"BindingTimeoutZero",
       "  bindingTimeoutMs: 0\n",
       {"t.yaml:4:3: routers[0].bindingTimeoutMs: must be between 1 and 2147483647, got 0"}},
      {"BindingTimeoutIsADuration",
       "  bindingTimeoutMs: 10s\n",
       {"t.yaml:4:3: routers[0].bindingTimeoutMs: expected an integer, got \"10s\""}},
      {"BindingCacheIsAList",
       "  bindingCache: [1]\n",
       {"t.yaml:4:3: routers[0].bindingCache: expected a map, got a list"}},
      {"BindingCachePathsZero",
       "  bindingCache: {paths: 0}\n",
       {"t.yaml:4:18: routers[0].bindingCache.paths: must be between 1 and 2147483647, got 0"}},
      {"BindingCacheTreesNegative",
       "  bindingCache: {trees: -1}\n",
       {"t.yaml:4:18: routers[0].bindingCache.trees: must be between 1 and 2147483647, got -1"}},
      {"BindingCacheBoundsNotAnInteger",
       "  bindingCache: {bounds: many}\n",
       {"t.yaml:4:18: routers[0].bindingCache.bounds: expected an integer, got \"many\""}},
      {"BindingCacheClientsTooLarge",
       "  bindingCache: {clients: 2147483648}\n",
       {"t.yaml:4:18: routers[0].bindingCache.clients: must be between 1 and 2147483647, got "
        "2147483648"}},
      {"BindingCacheIdleTtlZero",
       "  bindingCache: {idleTtlSecs: 0}\n",
       {"t.yaml:4:18: routers[0].bindingCache.idleTtlSecs: must be between 1 and 2147483647, "
        "got 0"}},
      {"BindingCacheUnknownKey",
       "  bindingCache: {idleTtlMs: 5}\n",
       {"t.yaml:4:18: routers[0].bindingCache.idleTtlMs: unknown key \"idleTtlMs\""}},
  };
}

class InterpreterErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(InterpreterErrors, ReportsExactText) {
  const ErrorCase& c = GetParam();

  const LoadResult r = load_yaml(kRouter + c.yaml);

  EXPECT_FALSE(r.ok());
  EXPECT_EQ(errors_of(r), c.errors) << "config:\n" << kRouter + c.yaml;
}

INSTANTIATE_TEST_SUITE_P(Table, InterpreterErrors, ::testing::ValuesIn(error_cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace meshd::config
