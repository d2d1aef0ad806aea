// h2 routers (src/config/decode_router.cc, decode_h2.cc, decode_policy.cc; inventory §3, §12.5,
// §13): defaults, every h2 key, the keys of one protocol on the other, and the one error h2
// routers get until the runtime runs them (`h2_routers_runnable`).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "meshd/config/load.h"
#include "meshd/config/to_json.h"
#include "unit/config/test_util.h"

namespace meshd::config {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAreArray;
using testing::errors_except_h2_pending;
using testing::errors_of;
using testing::expect_only_h2_pending;
using testing::load_yaml;

const std::string kH2 = "routers:\n- protocol: h2\n  servers: [{port: 0}]\n";
const std::string kHttp = testing::kMinimalRouter;

// The first router of `yaml`, which must load but for the h2-pending error.
RouterConfig h2_router_of(const std::string& yaml) {
  const LoadResult r = load_yaml(yaml);
  expect_only_h2_pending(r);
  return r.config.routers.empty() ? RouterConfig{} : r.config.routers[0];
}

TEST(H2Router, IsRejectedWithOneErrorAtItsProtocolUntilRunnable) {
  const LoadResult r = load_yaml(kH2);

  if (h2_routers_runnable()) {
    EXPECT_TRUE(r.ok());
  } else {
    EXPECT_THAT(errors_of(r), ElementsAreArray({"t.yaml:2:3: routers[0].protocol: protocol "
                                                "\"h2\" is not supported yet"}));
  }
}

TEST(H2Router, DefaultsDifferFromHttp) {
  const RouterConfig rt = h2_router_of("routers:\n- protocol: h2\n  servers: [{}]\n");

  EXPECT_EQ(rt.protocol.value, "h2");
  EXPECT_EQ(rt.label.value, "h2");
  EXPECT_TRUE(rt.raw.is_null());
  ASSERT_EQ(rt.servers.size(), 1u);
  EXPECT_EQ(rt.servers[0].port.value, 4142);
  EXPECT_EQ(rt.servers[0].max_concurrent_streams_per_connection.value, 1000);
  EXPECT_FALSE(rt.servers[0].h2.initial_stream_window_bytes.present);
  EXPECT_FALSE(rt.servers[0].h2.window_update_ratio.value);
  ASSERT_EQ(rt.identifiers.size(), 1u);
  EXPECT_EQ(rt.identifiers[0].kind.value, "io.l5d.header.token");
  EXPECT_EQ(std::get<HeaderTokenIdentifierConfig>(rt.identifiers[0].settings).header.value,
            ":authority");
  const ServicePolicyConfig& svc = rt.service.configs.at(0);
  EXPECT_EQ(svc.classification_timeout.value, milliseconds{100});
  EXPECT_FALSE(svc.classification_timeout.present);
  EXPECT_EQ(svc.classification_timeout.pos.path, "routers[0].service.classificationTimeoutMs");
  EXPECT_FALSE(svc.retry_buffer_size);
  EXPECT_FALSE(svc.response_classifier);
  EXPECT_FALSE(rt.client.configs.at(0).h2.max_frame_bytes.present);
  EXPECT_EQ(rt.client.configs.at(0).h2.max_frame_bytes.pos.path, "routers[0].client.maxFrameBytes");
}

TEST(H2Router, ExperimentalIsAcceptedNotRequired) {
  const RouterConfig rt =
      h2_router_of("routers:\n- protocol: h2\n  experimental: true\n  servers: [{port: 0}]\n");

  EXPECT_TRUE(rt.experimental.value);
}

TEST(H2Router, DecodesEveryH2Key) {
  const RouterConfig rt = h2_router_of(R"(routers:
- protocol: h2
  label: grpc
  dstPrefix: /grpc
  experimental: true
  identifier:
  - {kind: io.l5d.header.path, segments: 1}
  - {kind: io.l5d.header.token, header: ":authority"}
  h2AccessLog: /var/log/h2.log
  h2AccessLogRollPolicy: daily
  h2AccessLogAppend: false
  h2AccessLogRotateCount: 3
  tracePropagator: {kind: io.l5d.zipkin}
  servers:
  - port: 4143
    maxConcurrentStreamsPerConnection: 50
    initialStreamWindowBytes: 1048576
    windowUpdateRatio: 0.5
    headerTableBytes: 0
    maxFrameBytes: 16777215
    maxHeaderListBytes: 65536
  client:
    kind: io.l5d.static
    configs:
    - prefix: /#/io.l5d.fs/{svc}
      windowUpdateRatio: 0.75
      maxFrameBytes: 32768
      tls: {commonName: "{svc}.example.com"}
  service:
    classificationTimeoutMs: 250
    retryBufferSize: {requestBytes: 65536}
    responseClassifier:
      kind: io.l5d.h2.grpc.retryableStatusCodes
      retryableStatusCodes: [14, 4]
      successStatusCodes: [0, 5]
)");

  EXPECT_EQ(rt.label.value, "grpc");
  ASSERT_EQ(rt.identifiers.size(), 2u);
  const auto& path = std::get<HeaderPathIdentifierConfig>(rt.identifiers[0].settings);
  EXPECT_EQ(path.header.value, ":path");
  EXPECT_FALSE(path.header.present);
  EXPECT_EQ(path.segments.value, 1);
  EXPECT_EQ(rt.access_log.path.value, "/var/log/h2.log");
  EXPECT_EQ(rt.access_log.roll_policy.value, "daily");
  EXPECT_FALSE(rt.access_log.append.value);
  EXPECT_EQ(rt.access_log.rotate_count.value, 3);
  EXPECT_EQ(rt.access_log.rotate_count.pos.path, "routers[0].h2AccessLogRotateCount");
  EXPECT_EQ(rt.trace_propagator.value, "io.l5d.zipkin");
  const ServerConfig& s = rt.servers.at(0);
  EXPECT_EQ(s.port.value, 4143);
  EXPECT_EQ(s.max_concurrent_streams_per_connection.value, 50);
  EXPECT_EQ(s.h2.initial_stream_window_bytes.value, 1048576);
  EXPECT_EQ(s.h2.window_update_ratio.value, 0.5);
  EXPECT_EQ(s.h2.header_table_bytes.value, 0);
  EXPECT_EQ(s.h2.max_frame_bytes.value, 16777215);
  EXPECT_EQ(s.h2.max_header_list_bytes.value, 65536);
  EXPECT_EQ(s.h2.max_header_list_bytes.pos.path, "routers[0].servers[0].maxHeaderListBytes");
  EXPECT_EQ(s.h2.max_header_list_bytes.pos.line, 21);
  const ClientPolicyConfig& c = rt.client.configs.at(0);
  EXPECT_EQ(c.h2.window_update_ratio.value, 0.75);
  EXPECT_EQ(c.h2.max_frame_bytes.value, 32768);
  EXPECT_FALSE(c.h2.header_table_bytes.present);
  ASSERT_TRUE(c.tls);
  EXPECT_EQ(c.tls->common_name.value, "{svc}.example.com");
  const ServicePolicyConfig& svc = rt.service.configs.at(0);
  EXPECT_EQ(svc.classification_timeout.value, milliseconds{250});
  ASSERT_TRUE(svc.retry_buffer_size);
  EXPECT_EQ(svc.retry_buffer_size->request_bytes.value, 65536);
  EXPECT_EQ(svc.retry_buffer_size->response_bytes.value, 16383);
  EXPECT_FALSE(svc.retry_buffer_size->response_bytes.present);
  ASSERT_TRUE(svc.response_classifier);
  EXPECT_EQ(svc.response_classifier->kind.value, "io.l5d.h2.grpc.retryableStatusCodes");
  EXPECT_EQ(svc.response_classifier->retryable_status_codes.value, (std::vector<int>{14, 4}));
  EXPECT_EQ(svc.response_classifier->success_status_codes.value, (std::vector<int>{0, 5}));
}

TEST(H2Router, EveryClassifierKindIsAccepted) {
  for (std::string kind :
       {"io.l5d.h2.nonRetryable5XX", "io.l5d.h2.retryableRead5XX",
        "io.l5d.h2.retryableIdempotent5XX", "io.l5d.h2.retryableAll5XX", "io.l5d.h2.allSuccessful",
        "io.l5d.h2.grpc.default", "io.l5d.h2.grpc.neverRetryable", "io.l5d.h2.grpc.alwaysRetryable",
        "io.l5d.h2.grpc.compliant"}) {
    SCOPED_TRACE(kind);
    const RouterConfig rt =
        h2_router_of(kH2 + "  service: {responseClassifier: {kind: " + kind + "}}\n");

    ASSERT_TRUE(rt.service.configs.at(0).response_classifier);
    const ResponseClassifierConfig& c = *rt.service.configs.at(0).response_classifier;
    EXPECT_EQ(c.kind.value, kind);
    EXPECT_EQ(c.success_status_codes.value, std::vector<int>{0});
    EXPECT_FALSE(c.success_status_codes.present);
    EXPECT_TRUE(c.retryable_status_codes.value.empty());
  }
}

TEST(H2Router, EmptySuccessStatusCodesIsWritten) {
  const RouterConfig rt =
      h2_router_of(kH2 +
                   "  service:\n    responseClassifier: {kind: io.l5d.h2.grpc.default, "
                   "successStatusCodes: []}\n");

  const ResponseClassifierConfig& c = *rt.service.configs.at(0).response_classifier;
  EXPECT_TRUE(c.success_status_codes.present);
  EXPECT_TRUE(c.success_status_codes.value.empty());
}

TEST(H2Router, LabelsAndPortsAreCheckedAcrossProtocols) {
  const LoadResult r = load_yaml(
      "routers:\n"
      "- protocol: http\n  label: h2\n  servers: [{port: 4142}]\n"
      "- protocol: h2\n  servers: [{}]\n");

  EXPECT_THAT(errors_except_h2_pending(r),
              ElementsAreArray({"t.yaml:5:3: routers[1].label: label \"h2\" already used by "
                                "routers[0]; give each router a distinct \"label\"",
                                "t.yaml:6:13: routers[1].servers[0].port: 4142 already used by "
                                "router \"h2\""}));
}

struct ErrorCase {
  std::string yaml;
  std::vector<std::string> errors;  ///< without the h2-pending error
};

std::ostream& operator<<(std::ostream& os, const ErrorCase& c) { return os << c.yaml; }

std::vector<ErrorCase> router_cases() {
  std::vector<ErrorCase> cases;
  for (std::string key :
       {"maxHeadersKB", "maxInitialLineKB", "streamAfterContentLengthKB", "streamingEnabled",
        "compressionLevel", "maxErrResponseKB", "httpAccessLog", "httpAccessLogRollPolicy",
        "httpAccessLogAppend", "httpAccessLogRotateCount"}) {
    cases.push_back(
        {kH2 + "  " + key + ": 1\n",
         {"t.yaml:4:3: routers[0]." + key + ": \"" + key + "\" exists only for http routers"}});
  }
  for (std::string key :
       {"h2AccessLog", "h2AccessLogRollPolicy", "h2AccessLogAppend", "h2AccessLogRotateCount"}) {
    cases.push_back(
        {kHttp + "  " + key + ": 1\n",
         {"t.yaml:4:3: routers[0]." + key + ": \"" + key + "\" exists only for h2 routers"}});
  }
  for (std::string key : {"originator", "announcers"}) {
    cases.push_back({kH2 + "  " + key + ": 1\n",
                     {"t.yaml:4:3: routers[0]." + key + ": \"" + key + "\" is not supported yet"}});
  }
  cases.push_back({kH2 + "  maxRequestKB: 5\n",
                   {"t.yaml:4:3: routers[0].maxRequestKB: unknown key \"maxRequestKB\""}});
  cases.push_back({kH2 + "  timeoutMs: 5\n",
                   {"t.yaml:4:3: routers[0].timeoutMs: \"timeoutMs\" was removed in Linkerd 1.0.0 "
                    "(use client.requestAttemptTimeoutMs and service.totalTimeoutMs)"}});
  cases.push_back(
      {kH2 + "  h2AccessLogRollPolicy: sometimes\n",
       {"t.yaml:4:3: routers[0].h2AccessLogRollPolicy: " +
        load_yaml(kHttp + "  httpAccessLogRollPolicy: sometimes\n").errors.at(0).message}});
  return cases;
}

std::vector<ErrorCase> server_cases() {
  const std::string h2 = "routers:\n- protocol: h2\n  servers:\n  - ";
  const std::string http = "routers:\n- protocol: http\n  servers:\n  - ";
  std::vector<ErrorCase> cases;
  for (std::string key :
       {"maxConcurrentStreamsPerConnection", "initialStreamWindowBytes", "windowUpdateRatio",
        "headerTableBytes", "maxFrameBytes", "maxHeaderListBytes"}) {
    cases.push_back({http + key + ": 1\n",
                     {"t.yaml:4:5: routers[0].servers[0]." + key + ": \"" + key +
                      "\" exists only for h2 routers"}});
  }
  cases.push_back({h2 + "timestampHeader: x-ts\n",
                   {"t.yaml:4:5: routers[0].servers[0].timestampHeader: \"timestampHeader\" "
                    "exists only for http routers"}});
  for (std::string key : {"addForwardedHeader", "maxCallDepth", "timeoutMs", "socketOptions",
                          "serverSession", "label", "announce"}) {
    cases.push_back(
        {h2 + key + ": {}\n",
         {"t.yaml:4:5: routers[0].servers[0]." + key + ": \"" + key + "\" is not supported yet"}});
  }
  const std::string server = "routers[0].servers[0].";
  cases.push_back({h2 + "maxConcurrentStreamsPerConnection: 0\n",
                   {"t.yaml:4:5: " + server +
                    "maxConcurrentStreamsPerConnection: must be between 1 and 2147483647, got 0"}});
  cases.push_back({h2 + "initialStreamWindowBytes: 0\n",
                   {"t.yaml:4:5: " + server +
                    "initialStreamWindowBytes: must be between 1 and 2147483647, got 0"}});
  for (std::string ratio : {"0", "1", "1.5", "-0.1"}) {
    cases.push_back({h2 + "windowUpdateRatio: " + ratio + "\n",
                     {"t.yaml:4:5: " + server +
                      "windowUpdateRatio: must be greater than 0 and less than 1, got " + ratio}});
  }
  cases.push_back(
      {h2 + "windowUpdateRatio: half\n",
       {"t.yaml:4:5: " + server + "windowUpdateRatio: expected a number, got \"half\""}});
  cases.push_back(
      {h2 + "headerTableBytes: -1\n",
       {"t.yaml:4:5: " + server + "headerTableBytes: must be between 0 and 2147483647, got -1"}});
  for (std::string bytes : {"16383", "16777216"}) {
    cases.push_back({h2 + "maxFrameBytes: " + bytes + "\n",
                     {"t.yaml:4:5: " + server +
                      "maxFrameBytes: must be between 16384 and 16777215, got " + bytes}});
  }
  cases.push_back(
      {h2 + "maxHeaderListBytes: 0\n",
       {"t.yaml:4:5: " + server + "maxHeaderListBytes: must be between 1 and 2147483647, got 0"}});
  return cases;
}

std::vector<ErrorCase> identifier_cases() {
  const auto h2 = [](const std::string& id) {
    return "routers:\n- protocol: h2\n  servers: [{port: 0}]\n  identifier: " + id + "\n";
  };
  std::vector<ErrorCase> cases;
  for (std::string kind :
       {"io.l5d.methodAndHost", "io.l5d.path", "io.l5d.header", "io.l5d.static"}) {
    cases.push_back({h2("{kind: " + kind + "}"),
                     {"t.yaml:4:16: routers[0].identifier.kind: unknown identifier kind \"" + kind +
                      "\" (" + kind + " exists only for http routers)"}});
  }
  cases.push_back({h2("{kind: io.l5d.headerPath}"),
                   {"t.yaml:4:16: routers[0].identifier.kind: unknown identifier kind "
                    "\"io.l5d.headerPath\" (renamed io.l5d.header.path in Linkerd 1.0.0)"}});
  cases.push_back({h2("{kind: io.l5d.h2.ingress}"),
                   {"t.yaml:4:16: routers[0].identifier.kind: unknown identifier kind "
                    "\"io.l5d.h2.ingress\" (renamed io.l5d.ingress in Linkerd 1.0.0)"}});
  cases.push_back({h2("{kind: io.l5d.k8s.istio}"),
                   {"t.yaml:4:16: routers[0].identifier.kind: identifier kind "
                    "\"io.l5d.k8s.istio\" is not supported yet"}});
  cases.push_back({h2("{kind: io.l5d.header.path, segments: 0}"),
                   {"t.yaml:4:42: routers[0].identifier.segments: must be between 1 and "
                    "2147483647, got 0"}});
  cases.push_back({h2("{kind: io.l5d.header.path, header: \"a b\"}"),
                   {"t.yaml:4:42: routers[0].identifier.header: \"a b\" is not a valid HTTP "
                    "header name"}});
  cases.push_back({h2("{kind: io.l5d.header.token, header: \":\"}"),
                   {"t.yaml:4:43: routers[0].identifier.header: \":\" is not a valid HTTP header "
                    "name"}});
  cases.push_back({h2("{kind: io.l5d.header.path, consume: true}"),
                   {"t.yaml:4:42: routers[0].identifier.consume: unknown key \"consume\""}});
  cases.push_back(
      {"routers:\n- protocol: http\n  servers: [{port: 0}]\n"
       "  identifier: {kind: io.l5d.header.token, header: \":authority\"}\n",
       {"t.yaml:4:43: routers[0].identifier.header: \":authority\" is not a valid "
        "HTTP header name"}});
  return cases;
}

std::vector<ErrorCase> policy_cases() {
  const auto service = [](const std::string& body) { return kH2 + "  service: " + body + "\n"; };
  const auto client = [](const std::string& body) { return kH2 + "  client: " + body + "\n"; };
  std::vector<ErrorCase> cases;
  for (std::string http : {"nonRetryable5XX", "retryableRead5XX", "retryableIdempotent5XX",
                           "retryableAll5XX", "allSuccessful"}) {
    cases.push_back({service("{responseClassifier: {kind: io.l5d.http." + http + "}}"),
                     {"t.yaml:4:34: routers[0].service.responseClassifier.kind: unknown response "
                      "classifier kind \"io.l5d.http." +
                      http + "\" (io.l5d.http classifiers exist only for http routers)"}});
  }
  cases.push_back({service("{responseClassifier: {kind: io.l5d.h2.grpc.retryableStatusCodes}}"),
                   {"t.yaml:4:33: routers[0].service.responseClassifier: missing required key "
                    "\"retryableStatusCodes\""}});
  cases.push_back({service("{responseClassifier: {kind: io.l5d.h2.grpc.default, "
                           "successStatusCodes: 0}}"),
                   {"t.yaml:4:64: routers[0].service.responseClassifier.successStatusCodes: "
                    "expected a list, got \"0\""}});
  cases.push_back({service("{responseClassifier: {kind: io.l5d.h2.grpc.neverRetryable, "
                           "successStatusCodes: [0, -1, x]}}"),
                   {"t.yaml:4:95: routers[0].service.responseClassifier.successStatusCodes[1]: "
                    "must be between 0 and 2147483647, got -1",
                    "t.yaml:4:99: routers[0].service.responseClassifier.successStatusCodes[2]: "
                    "expected an integer, got \"x\""}});
  cases.push_back({service("{responseClassifier: {kind: io.l5d.h2.nonRetryable5XX, "
                           "successStatusCodes: [0]}}"),
                   {"t.yaml:4:67: routers[0].service.responseClassifier.successStatusCodes: "
                    "unknown key \"successStatusCodes\""}});
  cases.push_back({service("{classificationTimeoutMs: -1}"),
                   {"t.yaml:4:13: routers[0].service.classificationTimeoutMs: must be between 0 "
                    "and 2147483647, got -1"}});
  cases.push_back({service("{retryBufferSize: {requestBytes: -1, responseByte: 5}}"),
                   {"t.yaml:4:31: routers[0].service.retryBufferSize.requestBytes: must be "
                    "between 0 and 2147483647, got -1",
                    "t.yaml:4:49: routers[0].service.retryBufferSize.responseByte: unknown key "
                    "\"responseByte\" (did you mean \"responseBytes\"?)"}});
  cases.push_back({kH2 + "  service:\n    kind: io.l5d.static\n    classificationTimeoutMs: 5\n" +
                       "    configs: [{prefix: /}]\n",
                   {"t.yaml:6:5: routers[0].service.classificationTimeoutMs: "
                    "\"classificationTimeoutMs\" must be set in \"configs\" entries when kind is "
                    "io.l5d.static"}});
  cases.push_back({kH2 + "  client:\n    kind: io.l5d.static\n    maxFrameBytes: 16384\n" +
                       "    configs: [{prefix: /}]\n",
                   {"t.yaml:6:5: routers[0].client.maxFrameBytes: \"maxFrameBytes\" must be set "
                    "in \"configs\" entries when kind is io.l5d.static"}});
  cases.push_back({client("{windowUpdateRatio: 1, maxFrameBytes: 1}"),
                   {"t.yaml:4:12: routers[0].client.windowUpdateRatio: must be greater than 0 and "
                    "less than 1, got 1",
                    "t.yaml:4:34: routers[0].client.maxFrameBytes: must be between 16384 and "
                    "16777215, got 1"}});
  cases.push_back({client("{maxConcurrentStreamsPerConnection: 5}"),
                   {"t.yaml:4:12: routers[0].client.maxConcurrentStreamsPerConnection: unknown "
                    "key \"maxConcurrentStreamsPerConnection\""}});
  for (std::string key :
       {"clientSession", "socketOptions", "forwardClientCert", "requestAuthorizers"}) {
    cases.push_back(
        {client("{" + key + ": {}}"),
         {"t.yaml:4:12: routers[0].client." + key + ": \"" + key + "\" is not supported yet"}});
  }
  return cases;
}

class H2Errors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(H2Errors, AreReportedWithPositionAndPath) {
  const LoadResult r = load_yaml(GetParam().yaml);

  EXPECT_FALSE(r.ok());
  EXPECT_THAT(errors_except_h2_pending(r), ElementsAreArray(GetParam().errors));
}

INSTANTIATE_TEST_SUITE_P(Router, H2Errors, ::testing::ValuesIn(router_cases()));
INSTANTIATE_TEST_SUITE_P(Server, H2Errors, ::testing::ValuesIn(server_cases()));
INSTANTIATE_TEST_SUITE_P(Identifier, H2Errors, ::testing::ValuesIn(identifier_cases()));
INSTANTIATE_TEST_SUITE_P(Policy, H2Errors, ::testing::ValuesIn(policy_cases()));

TEST(H2Router, OtherProtocolKeysAreKeptForConfigJson) {
  const LoadResult r = load_yaml(kH2 + "  maxHeadersKB: 16\n");

  ASSERT_EQ(r.config.routers.at(0).unsupported.size(), 1u);
  EXPECT_EQ(r.config.routers[0].unsupported[0].key, "maxHeadersKB");
  EXPECT_EQ(r.config.routers[0].unsupported[0].value, 16);
}

TEST(H2Router, ToJsonWritesH2KeysAndLeavesHttpOnesOut) {
  const LoadResult r = load_yaml(R"(routers:
- protocol: h2
  servers:
  - port: 4142
    maxFrameBytes: 32768
  h2AccessLog: /tmp/h2.log
  identifier: {kind: io.l5d.header.path, segments: 2}
  client: {headerTableBytes: 8192, windowUpdateRatio: 0.5}
  service:
    classificationTimeoutMs: 50
    retryBufferSize: {responseBytes: 1024}
    responseClassifier: {kind: io.l5d.h2.grpc.alwaysRetryable, successStatusCodes: [0, 5]}
)");
  expect_only_h2_pending(r);

  const boost::json::value json = to_json(r.config).as_object().at("routers").at(0);

  EXPECT_EQ(json, boost::json::parse(R"({
    "protocol": "h2", "label": "h2", "dtab": "", "dstPrefix": "/svc",
    "identifier": [{"kind": "io.l5d.header.path", "header": ":path", "segments": 2}],
    "servers": [{"ip": "127.0.0.1", "port": 4142, "clearContext": false,
                 "maxConcurrentStreamsPerConnection": 1000, "maxFrameBytes": 32768}],
    "client": {"kind": "io.l5d.global", "headerTableBytes": 8192, "windowUpdateRatio": 0.5},
    "service": {"kind": "io.l5d.global", "classificationTimeoutMs": 50,
                "retryBufferSize": {"responseBytes": 1024},
                "responseClassifier": {"kind": "io.l5d.h2.grpc.alwaysRetryable",
                                       "successStatusCodes": [0, 5]}},
    "tracePropagator": {"kind": "io.l5d.default"},
    "h2AccessLog": "/tmp/h2.log", "h2AccessLogRollPolicy": "never", "h2AccessLogAppend": true,
    "h2AccessLogRotateCount": -1
  })"));
}

TEST(H2Router, ToJsonOfTheDefaultIdentifierNamesAuthority) {
  const LoadResult r = load_yaml(kH2);

  const boost::json::value json = to_json(r.config).as_object().at("routers").at(0);

  EXPECT_EQ(json.at("identifier"),
            boost::json::parse(R"([{"kind": "io.l5d.header.token", "header": ":authority"}])"));
}

}  // namespace
}  // namespace meshd::config
