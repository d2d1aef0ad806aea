// Keys, kinds and protocols that later issues implement are recognised, captured and rejected
// with "not supported yet" (never "unknown key"); keys Linkerd itself removed say when.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "meshd/config/load.h"
#include "unit/config/test_util.h"

namespace meshd::config {
namespace {

using ::testing::ElementsAre;
using testing::errors_of;
using testing::load_yaml;

const std::string kRouter = "routers:\n- protocol: http\n  servers:\n  - port: 0\n";

struct KeyCase {
  std::string yaml;
  std::string error;
};

std::ostream& operator<<(std::ostream& os, const KeyCase& c) { return os << c.error; }

std::vector<KeyCase> unsupported_cases() {
  std::vector<KeyCase> cases;
  for (std::string key :
       {"originator", "announcers", "streamingEnabled", "compressionLevel", "maxErrResponseKB"}) {
    cases.push_back({"routers:\n- protocol: http\n  servers: [{port: 0}]\n  " + key + ": 1\n",
                     "t.yaml:4:3: routers[0]." + key + ": \"" + key + "\" is not supported yet"});
  }
  for (std::string key : {"timeoutMs", "addForwardedHeader", "timestampHeader",
                          "maxCallDepth", "socketOptions", "serverSession", "label", "announce"}) {
    cases.push_back(
        {kRouter + "    " + key + ": {a: 1}\n",
         "t.yaml:5:5: routers[0].servers[0]." + key + ": \"" + key + "\" is not supported yet"});
  }
  for (std::string key : {"httpIdentifierPort", "socketOptions", "workerThreads"}) {
    cases.push_back({kRouter + "admin:\n  " + key + ": 2\n",
                     "t.yaml:6:3: admin." + key + ": \"" + key + "\" is not supported yet"});
  }
  for (std::string kind : {"io.l5d.influxdb", "io.zipkin.kafka", "io.zipkin.scribe"}) {
    cases.push_back(
        {kRouter + "telemetry:\n- kind: " + kind + "\n",
         "t.yaml:6:3: telemetry[0].kind: telemeter kind \"" + kind + "\" is not supported yet"});
  }
  for (std::string kind : {"io.l5d.namerd", "io.l5d.namerd.http", "io.l5d.mesh",
                           "io.l5d.k8s.configMap", "io.l5d.consul.interpreter"}) {
    cases.push_back(
        {"routers:\n- protocol: http\n  servers: [{port: 0}]\n  interpreter:\n"
         "    kind: " +
             kind + "\n    dst: /$/inet/namerd/4100\n",
         "t.yaml:5:5: routers[0].interpreter.kind: interpreter kind \"" + kind +
             "\" is not supported yet"});
  }
  for (std::string protocol : {"thrift", "thriftmux", "mux"}) {
    cases.push_back(
        {"routers:\n- protocol: " + protocol + "\n  servers: [{port: 0}]\n",
         "t.yaml:2:3: routers[0].protocol: protocol \"" + protocol + "\" is not supported yet"});
  }
  for (std::string kind : {"io.l5d.k8s.external", "io.l5d.k8s.istio", "io.l5d.consul",
                           "io.l5d.dnssrv", "io.l5d.marathon", "io.l5d.serversets",
                           "io.l5d.zkLeader", "io.l5d.curator", "io.l5d.rancher"}) {
    cases.push_back(
        {kRouter + "namers:\n- kind: " + kind + "\n  host: localhost\n",
         "t.yaml:6:3: namers[0].kind: namer kind \"" + kind + "\" is not supported yet"});
  }
  for (std::string kind : {"io.l5d.k8s.istio", "io.l5d.k8s.istio-ingress"}) {
    cases.push_back({"routers:\n- protocol: http\n  identifier:\n    kind: " + kind +
                         "\n  servers: [{port: 0}]\n",
                     "t.yaml:4:5: routers[0].identifier.kind: identifier kind \"" + kind +
                         "\" is not supported yet"});
  }
  return cases;
}

std::vector<KeyCase> removed_cases() {
  const std::string router = "routers:\n- protocol: http\n  servers: [{port: 0}]\n  ";
  return {
      {router + "maxRequestKB: 5120\n",
       "t.yaml:4:3: routers[0].maxRequestKB: \"maxRequestKB\" was removed in Linkerd 1.7.0 "
       "(bodies are streamed; the limit is 2 GB)"},
      {router + "maxResponseKB: 5120\n",
       "t.yaml:4:3: routers[0].maxResponseKB: \"maxResponseKB\" was removed in Linkerd 1.7.0 "
       "(bodies are streamed; the limit is 2 GB)"},
      {router + "maxChunkKB: 8\n",
       "t.yaml:4:3: routers[0].maxChunkKB: \"maxChunkKB\" was removed in Linkerd 1.6.0"},
      {router + "loggers: []\n",
       "t.yaml:4:3: routers[0].loggers: \"loggers\" was removed in Linkerd 1.4.0 (renamed "
       "requestAuthorizers, now under client)"},
      {router + "requestAuthorizers: []\n",
       "t.yaml:4:3: routers[0].requestAuthorizers: \"requestAuthorizers\" was removed in Linkerd "
       "1.6.0 (moved under client)"},
      {router + "timeoutMs: 100\n",
       "t.yaml:4:3: routers[0].timeoutMs: \"timeoutMs\" was removed in Linkerd 1.0.0 (use "
       "client.requestAttemptTimeoutMs and service.totalTimeoutMs)"},
      {router + "baseDtab: /a=>/b\n",
       "t.yaml:4:3: routers[0].baseDtab: \"baseDtab\" was removed in Linkerd 0.9.0 (renamed dtab)"},
      {kRouter + "    engine: {kind: netty4}\n",
       "t.yaml:5:5: routers[0].servers[0].engine: \"engine\" was removed in Linkerd 1.3.0 (netty4 "
       "is the only engine)"},
  };
}

class NotSupportedYet : public ::testing::TestWithParam<KeyCase> {};

TEST_P(NotSupportedYet, IsRecognisedAndRejected) {
  const LoadResult r = load_yaml(GetParam().yaml);

  EXPECT_THAT(errors_of(r), ElementsAre(GetParam().error)) << GetParam().yaml;
}

INSTANTIATE_TEST_SUITE_P(Table, NotSupportedYet, ::testing::ValuesIn(unsupported_cases()));

class RemovedInLinkerd : public ::testing::TestWithParam<KeyCase> {};

TEST_P(RemovedInLinkerd, SaysWhichVersionRemovedIt) {
  const LoadResult r = load_yaml(GetParam().yaml);

  EXPECT_THAT(errors_of(r), ElementsAre(GetParam().error)) << GetParam().yaml;
}

INSTANTIATE_TEST_SUITE_P(Table, RemovedInLinkerd, ::testing::ValuesIn(removed_cases()));

TEST(NotSupportedYet, ValueIsCapturedAsJson) {
  const std::string yaml = R"(routers:
- protocol: http
  servers: [{port: 0}]
  announcers:
  - kind: io.l5d.serversets
    zkAddrs: [{host: zk, port: 2181}]
    pathPrefix: "/discovery"
    experimental: true
)";

  const LoadResult r = load_yaml(yaml);

  ASSERT_EQ(r.config.routers[0].unsupported.size(), 1u);
  const UnsupportedValue& v = r.config.routers[0].unsupported[0];
  EXPECT_EQ(v.key, "announcers");
  EXPECT_EQ(v.pos.path, "routers[0].announcers");
  EXPECT_EQ(v.pos.line, 4);
  EXPECT_EQ(v.value, boost::json::parse(R"([{"kind": "io.l5d.serversets",
      "zkAddrs": [{"host": "zk", "port": 2181}], "pathPrefix": "/discovery",
      "experimental": true}])"));
}

TEST(NotSupportedYet, UnsupportedPluginsKeepTheirSettings) {
  const std::string yaml = R"(namers:
- kind: io.l5d.consul
  host: localhost
  port: 8500
routers:
- protocol: thrift
  label: echo
  servers: [{port: 4114}]
- protocol: http
  identifier: {kind: io.l5d.k8s.istio, namespace: default}
  servers: [{port: 0}]
)";

  const LoadResult r = load_yaml(yaml);

  EXPECT_EQ(std::get<UnsupportedPluginConfig>(r.config.namers[0].settings).raw,
            boost::json::parse(R"({"kind": "io.l5d.consul", "host": "localhost", "port": 8500})"));
  EXPECT_EQ(r.config.routers[0].raw,
            boost::json::parse(
                R"({"protocol": "thrift", "label": "echo", "servers": [{"port": 4114}]})"));
  EXPECT_EQ(std::get<UnsupportedPluginConfig>(r.config.routers[1].identifiers[0].settings).raw,
            boost::json::parse(R"({"kind": "io.l5d.k8s.istio", "namespace": "default"})"));
}

TEST(NotSupportedYet, ExperimentalFlagOnUnsupportedPluginIsNotAnExtraError) {
  const LoadResult r =
      load_yaml(kRouter + "namers:\n- kind: io.l5d.dnssrv\n  experimental: true\n");

  EXPECT_THAT(errors_of(r),
              ElementsAre("t.yaml:6:3: namers[0].kind: namer kind \"io.l5d.dnssrv\" is not "
                          "supported yet"));
}

}  // namespace
}  // namespace meshd::config
