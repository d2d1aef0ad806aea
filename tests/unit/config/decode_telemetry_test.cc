// Decoding of `telemetry[]`, `admin.security`, `admin.tls`, `tracePropagator` and the
// `httpAccessLog*` router keys.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_util.h"

namespace meshd::config {
namespace {

using testing::errors_of;
using testing::kMinimalRouter;
using testing::load_yaml;

TEST(Telemetry, DefaultsOfEveryKind) {
  const LoadResult r = load_yaml(kMinimalRouter +
                                 "telemetry:\n"
                                 "- kind: io.l5d.prometheus\n"
                                 "- kind: io.l5d.recentRequests\n"
                                 "  sampleRate: 1.0\n"
                                 "- kind: io.l5d.zipkin\n"
                                 "- kind: io.zipkin.http\n"
                                 "- kind: io.l5d.tracelog\n");

  ASSERT_EQ(errors_of(r), std::vector<std::string>{});
  ASSERT_EQ(r.config.telemetry.size(), 5u);
  const auto& prom = std::get<PrometheusTelemeterConfig>(r.config.telemetry[0].settings);
  EXPECT_EQ(prom.path.value, "/admin/metrics/prometheus");
  EXPECT_EQ(prom.prefix.value, "");
  const auto& recent = std::get<RecentRequestsTelemeterConfig>(r.config.telemetry[1].settings);
  EXPECT_EQ(recent.sample_rate.value, 1.0);
  EXPECT_EQ(recent.capacity.value, 10);
  const auto& zipkin = std::get<ZipkinTelemeterConfig>(r.config.telemetry[2].settings);
  EXPECT_EQ(zipkin.host.value, "localhost");
  EXPECT_EQ(zipkin.port.value, 9410);
  EXPECT_EQ(zipkin.sample_rate.value, 0.001);
  const auto& http = std::get<ZipkinHttpTelemeterConfig>(r.config.telemetry[3].settings);
  EXPECT_EQ(http.host.value, "localhost:9411");
  EXPECT_EQ(http.host_header.value, "zipkin");
  EXPECT_TRUE(http.compression_enabled.value);
  EXPECT_EQ(http.initial_sample_rate.value, 0.001);
  const auto& log = std::get<TraceLogTelemeterConfig>(r.config.telemetry[4].settings);
  EXPECT_EQ(log.sample_rate.value, 1.0);
  EXPECT_EQ(log.level.value, "INFO");
}

TEST(Telemetry, WrittenValues) {
  const LoadResult r = load_yaml(kMinimalRouter +
                                 "telemetry:\n"
                                 "- {kind: io.l5d.prometheus, path: /metrics, prefix: l5d_}\n"
                                 "- {kind: io.l5d.zipkin, host: zipkin, port: 9999, "
                                 "sampleRate: 0.5}\n"
                                 "- {kind: io.l5d.tracelog, sampleRate: 7, level: DEBUG}\n");

  ASSERT_EQ(errors_of(r), std::vector<std::string>{});
  const auto& prom = std::get<PrometheusTelemeterConfig>(r.config.telemetry[0].settings);
  EXPECT_EQ(prom.path.value, "/metrics");
  EXPECT_EQ(prom.prefix.value, "l5d_");
  const auto& zipkin = std::get<ZipkinTelemeterConfig>(r.config.telemetry[1].settings);
  EXPECT_EQ(zipkin.host.value, "zipkin");
  EXPECT_EQ(zipkin.port.value, 9999);
  EXPECT_EQ(zipkin.sample_rate.value, 0.5);
  // Linkerd clamps the tracelog's rate instead of rejecting it.
  EXPECT_EQ(std::get<TraceLogTelemeterConfig>(r.config.telemetry[2].settings).sample_rate.value,
            1.0);
}

struct ErrorCase {
  std::string name;
  std::string yaml;  // appended to the minimal router
  std::string error;
};

std::ostream& operator<<(std::ostream& os, const ErrorCase& c) { return os << c.name; }

class TelemetryErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(TelemetryErrors, Reported) {
  const LoadResult r = load_yaml(kMinimalRouter + GetParam().yaml);
  EXPECT_THAT(errors_of(r), ::testing::Contains(GetParam().error));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TelemetryErrors,
    ::testing::Values(
        ErrorCase{"RecentRequestsNeedsSampleRate", "telemetry:\n- kind: io.l5d.recentRequests\n",
                  "t.yaml:5:3: telemetry[0]: missing required key \"sampleRate\""},
        ErrorCase{"SampleRateRange",
                  "telemetry:\n- {kind: io.l5d.recentRequests, sampleRate: 1.5}\n",
                  "t.yaml:5:33: telemetry[0].sampleRate: must be between 0 and 1, got 1.5"},
        ErrorCase{"ZipkinPort", "telemetry:\n- {kind: io.l5d.zipkin, port: 0}\n",
                  "t.yaml:5:25: telemetry[0].port: must be between 1 and 65535, got 0"},
        ErrorCase{"ZipkinHasNoInitialSampleRate",
                  "telemetry:\n- {kind: io.l5d.zipkin, initialSampleRate: 0.1}\n",
                  "t.yaml:5:25: telemetry[0].initialSampleRate: unknown key "
                  "\"initialSampleRate\""},
        ErrorCase{"ZipkinHttpNeedsPort", "telemetry:\n- {kind: io.zipkin.http, host: zipkin}\n",
                  "t.yaml:5:26: telemetry[0].host: expected host:port, got \"zipkin\""},
        ErrorCase{"PrometheusPath", "telemetry:\n- {kind: io.l5d.prometheus, path: metrics}\n",
                  "t.yaml:5:29: telemetry[0].path: must start with \"/\""},
        ErrorCase{"TraceLogLevel", "telemetry:\n- {kind: io.l5d.tracelog, level: LOUD}\n",
                  "t.yaml:5:27: telemetry[0].level: unknown level \"LOUD\" (supported: ALL, "
                  "CRITICAL, DEBUG, ERROR, FATAL, INFO, OFF, TRACE, WARNING)"},
        ErrorCase{"UnknownKind", "telemetry:\n- kind: io.l5d.nope\n",
                  "t.yaml:5:3: telemetry[0].kind: unknown telemeter kind \"io.l5d.nope\" "
                  "(supported: io.l5d.prometheus, io.l5d.recentRequests, io.l5d.zipkin, "
                  "io.zipkin.http, io.l5d.tracelog)"},
        ErrorCase{"StatsdIsExperimentalAndUnsupported",
                  "telemetry:\n- {kind: io.l5d.statsd, experimental: true}\n",
                  "t.yaml:5:4: telemetry[0].kind: telemeter kind \"io.l5d.statsd\" is not "
                  "supported yet"},
        ErrorCase{"PropagatorKind", "  tracePropagator: {kind: io.l5d.b3}\n",
                  "t.yaml:4:21: routers[0].tracePropagator.kind: unknown trace propagator kind "
                  "\"io.l5d.b3\" (supported: io.l5d.default, io.l5d.zipkin)"},
        ErrorCase{"PropagatorNeedsKind", "  tracePropagator: {}\n",
                  "t.yaml:4:20: routers[0].tracePropagator: missing required key \"kind\""},
        ErrorCase{
            "RollPolicy", "  httpAccessLog: /tmp/a.log\n  httpAccessLogRollPolicy: monthly\n",
            "t.yaml:5:3: routers[0].httpAccessLogRollPolicy: invalid log roll policy \"monthly\": "
            "expected never, hourly, daily, weekly(1-7) or a size such as 3.megabytes"},
        ErrorCase{"RotateCount", "  httpAccessLog: /tmp/a.log\n  httpAccessLogRotateCount: -2\n",
                  "t.yaml:5:3: routers[0].httpAccessLogRotateCount: must be between -1 and "
                  "2147483647, got -2"},
        ErrorCase{"SecurityRegex", "admin:\n  security:\n    pathWhitelist: [/ok, \"/a(\"]\n",
                  "t.yaml:6:26: admin.security.pathWhitelist[1]: invalid regex \"/a(\": "
                  "Mismatched '(' and ')' in regular expression"},
        ErrorCase{"SecurityKey", "admin:\n  security: {uiEnable: false}\n",
                  "t.yaml:5:14: admin.security.uiEnable: unknown key \"uiEnable\" (did you mean "
                  "\"uiEnabled\"?)"},
        ErrorCase{"TlsNeedsCertAndKey", "admin:\n  tls: {caCertPath: /ca.pem}\n",
                  "t.yaml:5:8: admin.tls: missing required key \"certPath\""},
        ErrorCase{"TlsProtocol",
                  "admin:\n  tls: {certPath: c, keyPath: k, protocols: [TLSv1.2, SSLv3]}\n",
                  "t.yaml:5:55: admin.tls.protocols[1]: unsupported TLS protocol \"SSLv3\" "
                  "(supported: TLSv1.2, TLSv1.3)"},
        ErrorCase{"TlsClientAuthNeedsCa",
                  "admin:\n  tls: {certPath: c, keyPath: k, requireClientAuth: true}\n",
                  "t.yaml:5:34: admin.tls.requireClientAuth: requireClientAuth needs caCertPath "
                  "(the CAs that sign client certificates)"}),
    [](const auto& info) { return info.param.name; });

TEST(Admin, SecurityAndTls) {
  const LoadResult r = load_yaml(kMinimalRouter +
                                 "admin:\n"
                                 "  security:\n"
                                 "    uiEnabled: false\n"
                                 "    pathWhitelist: [\"/admin/metrics[.]json\"]\n"
                                 "    pathBlacklist: [\"/admin/shutdown\"]\n"
                                 "  tls:\n"
                                 "    certPath: /c.pem\n"
                                 "    keyPath: /k.pem\n"
                                 "    caCertPath: /ca.pem\n"
                                 "    requireClientAuth: true\n"
                                 "    ciphers: [ECDHE-RSA-AES128-GCM-SHA256]\n");

  ASSERT_EQ(errors_of(r), std::vector<std::string>{});
  const AdminSecurityConfig& s = r.config.admin.security;
  EXPECT_TRUE(s.present);
  EXPECT_FALSE(s.ui_enabled.value);
  EXPECT_TRUE(s.control_enabled.value);
  ASSERT_EQ(s.path_whitelist.size(), 1u);
  EXPECT_EQ(s.path_whitelist[0].value, "/admin/metrics[.]json");
  EXPECT_EQ(s.path_blacklist[0].pos.path, "admin.security.pathBlacklist[0]");
  ASSERT_TRUE(r.config.admin.tls);
  EXPECT_EQ(r.config.admin.tls->cert_path.value, "/c.pem");
  EXPECT_TRUE(r.config.admin.tls->require_client_auth.value);
  ASSERT_EQ(r.config.admin.tls->ciphers.size(), 1u);
}

TEST(Router, ServerTls) {
  const LoadResult r = load_yaml(
      "routers:\n- protocol: http\n  servers:\n  - port: 0\n"
      "    tls: {certPath: /c.pem, keyPath: /k.pem, protocols: [TLSv1.3]}\n");

  ASSERT_EQ(errors_of(r), std::vector<std::string>{});
  const auto& tls = r.config.routers[0].servers[0].tls;
  ASSERT_TRUE(tls);
  EXPECT_EQ(tls->cert_path.value, "/c.pem");
  ASSERT_EQ(tls->protocols.size(), 1u);
  EXPECT_EQ(tls->protocols[0].value, "TLSv1.3");
  EXPECT_EQ(tls->protocols[0].pos.path, "routers[0].servers[0].tls.protocols[0]");
}

TEST(Router, TracePropagatorAndAccessLog) {
  const LoadResult r = load_yaml(kMinimalRouter +
                                 "  tracePropagator: {kind: io.l5d.zipkin}\n"
                                 "  httpAccessLog: /var/log/access.log\n"
                                 "  httpAccessLogRollPolicy: 3.megabytes\n"
                                 "  httpAccessLogAppend: false\n"
                                 "  httpAccessLogRotateCount: 4\n");

  ASSERT_EQ(errors_of(r), std::vector<std::string>{});
  const RouterConfig& rc = r.config.routers[0];
  EXPECT_EQ(rc.trace_propagator.value, "io.l5d.zipkin");
  EXPECT_EQ(rc.access_log.path.value, "/var/log/access.log");
  EXPECT_EQ(rc.access_log.roll_policy.value, "3.megabytes");
  EXPECT_FALSE(rc.access_log.append.value);
  EXPECT_EQ(rc.access_log.rotate_count.value, 4);
}

TEST(Router, DefaultPropagatorAndNoAccessLog) {
  const LoadResult r = load_yaml(kMinimalRouter);

  ASSERT_EQ(errors_of(r), std::vector<std::string>{});
  EXPECT_EQ(r.config.routers[0].trace_propagator.value, "io.l5d.default");
  EXPECT_FALSE(r.config.routers[0].access_log.path.present);
  EXPECT_FALSE(r.config.admin.security.present);
  EXPECT_FALSE(r.config.admin.tls);
}

}  // namespace
}  // namespace meshd::config
