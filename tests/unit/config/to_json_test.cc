#include "meshd/config/to_json.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "meshd/config/load.h"
#include "unit/config/test_util.h"

namespace meshd::config {
namespace {

using testing::errors_of;

TEST(ToJson, WritesLinkerdKeysWithDefaultsFilledIn) {
  const LoadResult r = load(
      "namers: [{kind: io.l5d.fs, rootDir: /d}]\n"
      "routers:\n- protocol: http\n  dtab: /svc => /#/io.l5d.fs\n  servers: [{port: 4140}]\n",
      "t.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));

  const boost::json::value json = to_json(r.config);

  EXPECT_EQ(json, boost::json::parse(R"({
    "admin": {"ip": "127.0.0.1", "port": 9990, "shutdownGraceMs": 10000},
    "routers": [{
      "protocol": "http", "label": "http", "dtab": "/svc => /#/io.l5d.fs", "dstPrefix": "/svc",
      "identifier": [{"kind": "io.l5d.header.token", "header": "Host"}],
      "servers": [{"ip": "127.0.0.1", "port": 4140, "clearContext": false}],
      "maxHeadersKB": 8, "maxInitialLineKB": 4, "streamAfterContentLengthKB": 5,
      "tracePropagator": {"kind": "io.l5d.default"}
    }],
    "namers": [{"kind": "io.l5d.fs", "prefix": "/io.l5d.fs", "rootDir": "/d"}],
    "usage": {"enabled": true}
  })"));
}

TEST(ToJson, WritesTelemetryAdminSecurityTlsAndAccessLog) {
  const LoadResult r = load(
      "admin:\n"
      "  security: {uiEnabled: false, pathBlacklist: [/admin/shutdown]}\n"
      "  tls: {certPath: /c.pem, keyPath: /k.pem}\n"
      "telemetry:\n"
      "- {kind: io.l5d.prometheus, prefix: l5d_}\n"
      "- {kind: io.l5d.recentRequests, sampleRate: 0.5}\n"
      "routers:\n- protocol: http\n  servers: [{port: 4140}]\n"
      "  tracePropagator: {kind: io.l5d.zipkin}\n"
      "  httpAccessLog: /tmp/access.log\n",
      "t.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));

  const boost::json::object json = to_json(r.config).as_object();

  EXPECT_EQ(json.at("admin").at("security"), boost::json::parse(R"({
    "uiEnabled": false, "controlEnabled": true, "diagnosticsEnabled": true,
    "pathWhitelist": [], "pathBlacklist": ["/admin/shutdown"]})"));
  EXPECT_EQ(json.at("admin").at("tls"), boost::json::parse(R"({
    "certPath": "/c.pem", "keyPath": "/k.pem", "requireClientAuth": false})"));
  EXPECT_EQ(json.at("telemetry"), boost::json::parse(R"([
    {"kind": "io.l5d.prometheus", "path": "/admin/metrics/prometheus", "prefix": "l5d_"},
    {"kind": "io.l5d.recentRequests", "sampleRate": 0.5, "capacity": 10}])"));
  const auto& router = json.at("routers").at(0);
  EXPECT_EQ(router.at("tracePropagator").at("kind"), "io.l5d.zipkin");
  EXPECT_EQ(router.at("httpAccessLog"), "/tmp/access.log");
  EXPECT_EQ(router.at("httpAccessLogRollPolicy"), "never");
  EXPECT_EQ(router.at("httpAccessLogAppend"), true);
  EXPECT_EQ(router.at("httpAccessLogRotateCount"), -1);
}

TEST(ToJson, WritesBindingKeysAndTransformersOnlyAsWritten) {
  const LoadResult r = load(
      "namers:\n"
      "- {kind: io.l5d.fs, rootDir: /d, transformers: [{kind: io.l5d.port, port: 81}]}\n"
      "- {kind: io.l5d.rewrite, prefix: /rw, pattern: '/{a}', name: '/x/{a}'}\n"
      "routers:\n"
      "- protocol: http\n  servers: [{port: 0}]\n  bindingCache: {clients: 7}\n"
      "  interpreter:\n    transformers:\n    - {kind: io.l5d.localhost, experimental: true}\n"
      "    - {kind: io.l5d.specificHost, host: h, prefix: /sh}\n"
      "    - {kind: io.l5d.replace, path: /r}\n    - {kind: io.l5d.const, path: /c}\n"
      "- protocol: http\n  label: b\n  servers: [{port: 0}]\n  bindingTimeoutMs: 5\n"
      "  interpreter: {kind: io.l5d.fs, dtabFile: /etc/dtab}\n",
      "t.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));

  const boost::json::value json = to_json(r.config);

  EXPECT_EQ(json.at("namers"), boost::json::parse(R"([
    {"kind": "io.l5d.fs", "prefix": "/io.l5d.fs", "rootDir": "/d",
     "transformers": [{"kind": "io.l5d.port", "prefix": "/io.l5d.port/81", "port": 81}]},
    {"kind": "io.l5d.rewrite", "prefix": "/rw", "pattern": "/{a}", "name": "/x/{a}"}
  ])"));
  const boost::json::object& first = json.at("routers").at(0).as_object();
  EXPECT_EQ(first.at("interpreter"), boost::json::parse(R"({"kind": "default", "transformers": [
    {"kind": "io.l5d.localhost", "prefix": "/io.l5d.localhost", "experimental": true},
    {"kind": "io.l5d.specificHost", "prefix": "/sh", "host": "h"},
    {"kind": "io.l5d.replace", "prefix": "/io.l5d.replace", "path": "/r"},
    {"kind": "io.l5d.const", "prefix": "/io.l5d.const", "path": "/c"}]})"));
  EXPECT_EQ(first.at("bindingCache"), boost::json::parse(R"({"clients": 7})"));
  EXPECT_FALSE(first.contains("bindingTimeoutMs"));
  const boost::json::object& second = json.at("routers").at(1).as_object();
  EXPECT_EQ(second.at("interpreter"),
            boost::json::parse(R"({"kind": "io.l5d.fs", "dtabFile": "/etc/dtab"})"));
  EXPECT_EQ(second.at("bindingTimeoutMs"), 5);
  EXPECT_FALSE(second.contains("bindingCache"));
}

TEST(ToJson, UnsupportedInterpreterIsWrittenAsCaptured) {
  const LoadResult r = load(
      "routers:\n- protocol: http\n  servers: [{port: 0}]\n"
      "  interpreter: {kind: io.l5d.namerd, dst: /$/inet/n/4100, namespace: web}\n",
      "t.yaml");
  ASSERT_FALSE(r.ok());

  const boost::json::value json = to_json(r.config);

  EXPECT_EQ(json.at("routers").at(0).at("interpreter"),
            boost::json::parse(
                R"({"kind": "io.l5d.namerd", "dst": "/$/inet/n/4100", "namespace": "web"})"));
}

// A router with every `client` and `service` key (static client, global service).
const std::string kPolicyRouter = R"(workers: 1
routers:
- protocol: http
  servers: [{port: 0}]
  client:
    kind: io.l5d.static
    configs:
    - prefix: /#/io.l5d.fs
      loadBalancer: {kind: aperture, maxEffort: 2, enableProbation: true, smoothWindowMs: 100,
                     lowLoad: 0.25, highLoad: 3, minAperture: 2}
      failureAccrual:
        kind: io.l5d.successRate
        successRate: 0.75
        requests: 10
        backoff: {kind: jittered, minMs: 5, maxMs: 50}
      requestAttemptTimeoutMs: 100
      hostConnectionPool: {minSize: 1, maxSize: 4, idleTimeMs: 1000, maxWaiters: 9}
      requeueBudget: {ttlSecs: 20, minRetriesPerSec: 3, percentCanRetry: 0.1}
      failFast: false
    - prefix: "/#/io.l5d.fs/{svc}"
      loadBalancer: {kind: ewma, decayTimeMs: 500}
      failureAccrual: {kind: io.l5d.successRateWindowed, successRate: 0.5, window: 30}
  service:
    totalTimeoutMs: 3000
    retries:
      budget: {percentCanRetry: 0.5}
      backoff: {kind: constant, ms: 10}
    responseClassifier: {kind: io.l5d.http.retryableAll5XX}
)";

TEST(ToJson, WritesClientAndServiceKeysAsWritten) {
  const LoadResult r = load(kPolicyRouter, "t.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));

  const boost::json::value json = to_json(r.config);

  const boost::json::object& router = json.at("routers").at(0).as_object();
  EXPECT_EQ(router.at("client"), boost::json::parse(R"({"kind": "io.l5d.static", "configs": [
    {"prefix": "/#/io.l5d.fs",
     "loadBalancer": {"kind": "aperture", "maxEffort": 2, "enableProbation": true,
                      "smoothWindowMs": 100, "lowLoad": 0.25, "highLoad": 3.0, "minAperture": 2},
     "failureAccrual": {"kind": "io.l5d.successRate", "successRate": 0.75, "requests": 10,
                        "backoff": {"kind": "jittered", "minMs": 5, "maxMs": 50}},
     "requestAttemptTimeoutMs": 100,
     "hostConnectionPool": {"minSize": 1, "maxSize": 4, "idleTimeMs": 1000, "maxWaiters": 9},
     "requeueBudget": {"ttlSecs": 20, "minRetriesPerSec": 3, "percentCanRetry": 0.1},
     "failFast": false},
    {"prefix": "/#/io.l5d.fs/{svc}",
     "loadBalancer": {"kind": "ewma", "decayTimeMs": 500},
     "failureAccrual": {"kind": "io.l5d.successRateWindowed", "successRate": 0.5,
                        "window": 30}}]})"));
  EXPECT_EQ(router.at("service"), boost::json::parse(R"({"kind": "io.l5d.global",
    "totalTimeoutMs": 3000,
    "retries": {"budget": {"percentCanRetry": 0.5}, "backoff": {"kind": "constant", "ms": 10}},
    "responseClassifier": {"kind": "io.l5d.http.retryableAll5XX"}})"));
}

TEST(ToJson, WritesTheKindOfAWrittenSectionAndOfItsObjects) {
  const LoadResult r = load(
      "routers:\n- protocol: http\n  servers: [{port: 0}]\n"
      "  client: {loadBalancer: {}}\n  service: {kind: io.l5d.global}\n",
      "t.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r));

  const boost::json::value json = to_json(r.config);

  const boost::json::object& router = json.at("routers").at(0).as_object();
  EXPECT_EQ(router.at("client"),
            boost::json::parse(R"({"kind": "io.l5d.global", "loadBalancer": {"kind": "p2c"}})"));
  EXPECT_EQ(router.at("service"), boost::json::parse(R"({"kind": "io.l5d.global"})"));
}

TEST(ToJson, ClientAndServiceOutputLoadsBackToTheSameJson) {
  const LoadResult first = load(kPolicyRouter, "t.yaml");
  ASSERT_TRUE(first.ok()) << ::testing::PrintToString(errors_of(first));
  const std::string text = boost::json::serialize(to_json(first.config));

  const LoadResult second = load(text, "config.json");

  ASSERT_TRUE(second.ok()) << ::testing::PrintToString(errors_of(second)) << text;
  EXPECT_EQ(to_json(second.config), to_json(first.config));
}

TEST(ToJson, OutputLoadsBackToTheSameJson) {
  const LoadResult first = load_file(testing::testdata_path("meshd-full.yaml"));
  ASSERT_TRUE(first.ok()) << ::testing::PrintToString(errors_of(first));
  const std::string text = boost::json::serialize(to_json(first.config));

  const LoadResult second = load(text, "config.json");

  ASSERT_TRUE(second.ok()) << ::testing::PrintToString(errors_of(second)) << text;
  EXPECT_EQ(to_json(second.config), to_json(first.config));
}

}  // namespace
}  // namespace meshd::config
