// A router's `client` and `service` (src/config/decode_policy.cc; inventory §3.3, §3.4, §12):
// defaults, every key and kind, io.l5d.global vs io.l5d.static, and every class of error.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <climits>
#include <string>
#include <vector>

#include "meshd/config/load.h"
#include "unit/config/test_util.h"

namespace meshd::config {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using testing::errors_of;
using testing::load_yaml;

const std::string& kRouter = testing::kMinimalRouter;

// The first router of `yaml`, which must load.
RouterConfig router_of(const std::string& yaml) {
  const LoadResult r = load_yaml(yaml);
  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(errors_of(r)) << "\n" << yaml;
  return r.config.routers.empty() ? RouterConfig{} : r.config.routers[0];
}

TEST(ClientConfig, AbsentIsGlobalWithOneEntryWritingNothing) {
  const RouterConfig rt = router_of(kRouter);

  EXPECT_EQ(rt.client.kind.value, "io.l5d.global");
  EXPECT_FALSE(rt.client.kind.present);
  EXPECT_EQ(rt.client.kind.pos.path, "routers[0].client.kind");
  EXPECT_EQ(rt.client.kind.pos.line, 2);
  ASSERT_EQ(rt.client.configs.size(), 1u);
  const ClientPolicyConfig& c = rt.client.configs[0];
  EXPECT_FALSE(c.prefix.present);
  EXPECT_FALSE(c.load_balancer);
  EXPECT_FALSE(c.failure_accrual);
  EXPECT_FALSE(c.request_attempt_timeout.present);
  EXPECT_EQ(c.request_attempt_timeout.pos.path, "routers[0].client.requestAttemptTimeoutMs");
  EXPECT_EQ(c.request_attempt_timeout.pos.line, 2);
  EXPECT_FALSE(c.host_connection_pool);
  EXPECT_FALSE(c.requeue_budget);
  EXPECT_FALSE(c.fail_fast.present);
  EXPECT_TRUE(c.unsupported.empty());
}

TEST(ServiceConfig, AbsentIsGlobalWithOneEntryWritingNothing) {
  const RouterConfig rt = router_of(kRouter);

  EXPECT_EQ(rt.service.kind.value, "io.l5d.global");
  EXPECT_FALSE(rt.service.kind.present);
  ASSERT_EQ(rt.service.configs.size(), 1u);
  const ServicePolicyConfig& s = rt.service.configs[0];
  EXPECT_FALSE(s.total_timeout.present);
  EXPECT_EQ(s.total_timeout.pos.path, "routers[0].service.totalTimeoutMs");
  EXPECT_FALSE(s.retries);
  EXPECT_FALSE(s.response_classifier);
}

TEST(ClientConfig, GlobalReadsEveryKey) {
  const RouterConfig rt = router_of(kRouter + R"(  client:
    loadBalancer: {kind: ewma, maxEffort: 3, decayTimeMs: 2000, enableProbation: true}
    failureAccrual:
      kind: io.l5d.successRate
      successRate: 0.9
      requests: 20
      backoff: {kind: jittered, minMs: 10, maxMs: 100}
    requestAttemptTimeoutMs: 250
    hostConnectionPool: {minSize: 1, maxSize: 8, idleTimeMs: 0, maxWaiters: 50}
    requeueBudget: {ttlSecs: 5, minRetriesPerSec: 2, percentCanRetry: 0.5}
    failFast: false
)");

  EXPECT_FALSE(rt.client.kind.present);
  ASSERT_EQ(rt.client.configs.size(), 1u);
  const ClientPolicyConfig& c = rt.client.configs[0];
  EXPECT_EQ(c.pos.path, "routers[0].client");
  EXPECT_FALSE(c.prefix.present);
  ASSERT_TRUE(c.load_balancer);
  EXPECT_EQ(c.load_balancer->kind.value, "ewma");
  EXPECT_EQ(c.load_balancer->max_effort.value, 3);
  EXPECT_EQ(c.load_balancer->decay_time.value, milliseconds{2000});
  EXPECT_TRUE(c.load_balancer->enable_probation.value);
  EXPECT_EQ(c.load_balancer->pos.path, "routers[0].client.loadBalancer");
  ASSERT_TRUE(c.failure_accrual);
  EXPECT_EQ(c.failure_accrual->kind.value, "io.l5d.successRate");
  EXPECT_DOUBLE_EQ(c.failure_accrual->success_rate.value, 0.9);
  EXPECT_EQ(c.failure_accrual->requests.value, 20);
  ASSERT_TRUE(c.failure_accrual->backoff);
  EXPECT_EQ(c.failure_accrual->backoff->kind.value, "jittered");
  EXPECT_EQ(c.failure_accrual->backoff->min_ms.value, milliseconds{10});
  EXPECT_EQ(c.failure_accrual->backoff->max_ms.value, milliseconds{100});
  EXPECT_TRUE(c.request_attempt_timeout.present);
  EXPECT_EQ(c.request_attempt_timeout.value, milliseconds{250});
  ASSERT_TRUE(c.host_connection_pool);
  EXPECT_EQ(c.host_connection_pool->min_size.value, 1);
  EXPECT_EQ(c.host_connection_pool->max_size.value, 8);
  EXPECT_EQ(c.host_connection_pool->idle_time.value, milliseconds{0});
  EXPECT_EQ(c.host_connection_pool->max_waiters.value, 50);
  ASSERT_TRUE(c.requeue_budget);
  EXPECT_EQ(c.requeue_budget->ttl.value, seconds{5});
  EXPECT_DOUBLE_EQ(c.requeue_budget->min_retries_per_sec.value, 2.0);
  EXPECT_DOUBLE_EQ(c.requeue_budget->percent_can_retry.value, 0.5);
  EXPECT_TRUE(c.fail_fast.present);
  EXPECT_FALSE(c.fail_fast.value);
}

TEST(ClientConfig, UnwrittenKeysOfWrittenObjectsKeepLinkerdDefaults) {
  const RouterConfig rt = router_of(kRouter +
                                    "  client:\n    loadBalancer: {}\n"
                                    "    hostConnectionPool: {minSize: 2}\n"
                                    "    requeueBudget: {}\n");

  const ClientPolicyConfig& c = rt.client.configs[0];
  ASSERT_TRUE(c.load_balancer);
  EXPECT_EQ(c.load_balancer->kind.value, "p2c");
  EXPECT_FALSE(c.load_balancer->kind.present);
  EXPECT_EQ(c.load_balancer->max_effort.value, 5);
  EXPECT_FALSE(c.load_balancer->enable_probation.value);
  ASSERT_TRUE(c.host_connection_pool);
  EXPECT_EQ(c.host_connection_pool->max_size.value, INT_MAX);
  EXPECT_FALSE(c.host_connection_pool->idle_time.value);
  EXPECT_EQ(c.host_connection_pool->max_waiters.value, INT_MAX);
  ASSERT_TRUE(c.requeue_budget);
  EXPECT_EQ(c.requeue_budget->ttl.value, seconds{10});
  EXPECT_DOUBLE_EQ(c.requeue_budget->min_retries_per_sec.value, 10.0);
  EXPECT_DOUBLE_EQ(c.requeue_budget->percent_can_retry.value, 0.2);
  EXPECT_FALSE(c.requeue_budget->percent_can_retry.present);
}

TEST(ClientConfig, EveryLoadBalancerKindReadsItsKeys) {
  const RouterConfig rt = router_of(kRouter + R"(  client:
    kind: io.l5d.static
    configs:
    - prefix: /a
      loadBalancer: {kind: p2c, maxEffort: 1}
    - prefix: /b
      loadBalancer:
        kind: aperture
        maxEffort: 2
        smoothWindowMs: 100
        lowLoad: 1
        highLoad: 3.5
        minAperture: 4
    - prefix: /c
      loadBalancer: {kind: heap, enableProbation: true}
    - prefix: /d
      loadBalancer: {kind: roundRobin, maxEffort: 7}
)");

  ASSERT_EQ(rt.client.configs.size(), 4u);
  EXPECT_EQ(rt.client.configs[0].load_balancer->max_effort.value, 1);
  const LoadBalancerConfig& aperture = *rt.client.configs[1].load_balancer;
  EXPECT_EQ(aperture.kind.value, "aperture");
  EXPECT_EQ(aperture.max_effort.value, 2);
  EXPECT_EQ(aperture.smooth_window.value, milliseconds{100});
  EXPECT_DOUBLE_EQ(aperture.low_load.value, 1.0);
  EXPECT_DOUBLE_EQ(aperture.high_load.value, 3.5);
  EXPECT_EQ(aperture.min_aperture.value, 4);
  EXPECT_EQ(rt.client.configs[2].load_balancer->kind.value, "heap");
  EXPECT_TRUE(rt.client.configs[2].load_balancer->enable_probation.value);
  EXPECT_EQ(rt.client.configs[3].load_balancer->kind.value, "roundRobin");
  EXPECT_EQ(rt.client.configs[3].load_balancer->max_effort.value, 7);
}

TEST(ClientConfig, EveryFailureAccrualKindReadsItsKeys) {
  const RouterConfig rt = router_of(kRouter + R"(  client:
    kind: io.l5d.static
    configs:
    - prefix: /a
      failureAccrual: {kind: io.l5d.consecutiveFailures, failures: 3}
    - prefix: /b
      failureAccrual: {kind: io.l5d.successRateWindowed, successRate: 0.5, window: 30}
    - prefix: /c
      failureAccrual: {kind: none, backoff: {kind: constant}}
    - prefix: /d
      failureAccrual: {kind: none, backoff: {kind: constant, ms: 20}}
)");

  ASSERT_EQ(rt.client.configs.size(), 4u);
  const FailureAccrualConfig& consecutive = *rt.client.configs[0].failure_accrual;
  EXPECT_EQ(consecutive.kind.value, "io.l5d.consecutiveFailures");
  EXPECT_EQ(consecutive.failures.value, 3);
  EXPECT_FALSE(consecutive.backoff);
  const FailureAccrualConfig& windowed = *rt.client.configs[1].failure_accrual;
  EXPECT_DOUBLE_EQ(windowed.success_rate.value, 0.5);
  EXPECT_EQ(windowed.window.value, seconds{30});
  const FailureAccrualConfig& none = *rt.client.configs[2].failure_accrual;
  EXPECT_EQ(none.kind.value, "none");
  ASSERT_TRUE(none.backoff);
  EXPECT_EQ(none.backoff->kind.value, "constant");
  EXPECT_EQ(none.backoff->ms.value, milliseconds{0});
  EXPECT_FALSE(none.backoff->ms.present);
  EXPECT_EQ(rt.client.configs[3].failure_accrual->backoff->ms.value, milliseconds{20});
}

TEST(ClientConfig, StaticKeepsConfigsInFileOrderWithTheirPrefixes) {
  const RouterConfig rt = router_of(kRouter + R"(  client:
    kind: io.l5d.static
    configs:
    - prefix: /#/io.l5d.fs
      requestAttemptTimeoutMs: 100
    - prefix: "/#/io.l5d.fs/{service}"
      failFast: false
    - prefix: /$/inet/*/80
)");

  EXPECT_EQ(rt.client.kind.value, "io.l5d.static");
  EXPECT_TRUE(rt.client.kind.present);
  ASSERT_EQ(rt.client.configs.size(), 3u);
  EXPECT_EQ(rt.client.configs[0].prefix.value, "/#/io.l5d.fs");
  EXPECT_EQ(rt.client.configs[0].pos.path, "routers[0].client.configs[0]");
  EXPECT_EQ(rt.client.configs[0].pos.line, 7);
  EXPECT_EQ(rt.client.configs[0].request_attempt_timeout.value, milliseconds{100});
  EXPECT_EQ(rt.client.configs[1].prefix.value, "/#/io.l5d.fs/{service}");
  EXPECT_EQ(rt.client.configs[1].prefix.pos.path, "routers[0].client.configs[1].prefix");
  EXPECT_FALSE(rt.client.configs[1].request_attempt_timeout.present);
  EXPECT_EQ(rt.client.configs[2].prefix.value, "/$/inet/*/80");
}

TEST(ServiceConfig, GlobalReadsEveryKey) {
  const RouterConfig rt = router_of(kRouter + R"(  service:
    kind: io.l5d.global
    totalTimeoutMs: 1500
    retries:
      budget: {ttlSecs: 60, minRetriesPerSec: 0, percentCanRetry: 1000}
      backoff: {kind: constant, ms: 50}
    responseClassifier: {kind: io.l5d.http.retryableIdempotent5XX}
)");

  EXPECT_TRUE(rt.service.kind.present);
  ASSERT_EQ(rt.service.configs.size(), 1u);
  const ServicePolicyConfig& s = rt.service.configs[0];
  EXPECT_EQ(s.total_timeout.value, milliseconds{1500});
  ASSERT_TRUE(s.retries);
  ASSERT_TRUE(s.retries->budget);
  EXPECT_EQ(s.retries->budget->ttl.value, seconds{60});
  EXPECT_DOUBLE_EQ(s.retries->budget->min_retries_per_sec.value, 0.0);
  EXPECT_DOUBLE_EQ(s.retries->budget->percent_can_retry.value, 1000.0);
  ASSERT_TRUE(s.retries->backoff);
  EXPECT_EQ(s.retries->backoff->ms.value, milliseconds{50});
  ASSERT_TRUE(s.response_classifier);
  EXPECT_EQ(s.response_classifier->kind.value, "io.l5d.http.retryableIdempotent5XX");
}

TEST(ServiceConfig, EveryHttpClassifierKindIsAccepted) {
  for (const std::string kind : {"io.l5d.http.nonRetryable5XX", "io.l5d.http.retryableRead5XX",
                                 "io.l5d.http.retryableIdempotent5XX",
                                 "io.l5d.http.retryableAll5XX", "io.l5d.http.allSuccessful"}) {
    const RouterConfig rt =
        router_of(kRouter + "  service: {responseClassifier: {kind: " + kind + "}}\n");

    ASSERT_TRUE(rt.service.configs[0].response_classifier) << kind;
    EXPECT_EQ(rt.service.configs[0].response_classifier->kind.value, kind);
  }
}

TEST(ServiceConfig, StaticKeepsConfigsInFileOrder) {
  const RouterConfig rt = router_of(kRouter + R"(  service:
    kind: io.l5d.static
    configs:
    - prefix: /svc
      retries: {budget: {percentCanRetry: 0.1}}
    - prefix: "/svc/{name}"
      totalTimeoutMs: 10
)");

  ASSERT_EQ(rt.service.configs.size(), 2u);
  EXPECT_EQ(rt.service.configs[0].prefix.value, "/svc");
  ASSERT_TRUE(rt.service.configs[0].retries);
  EXPECT_FALSE(rt.service.configs[0].retries->backoff);
  EXPECT_EQ(rt.service.configs[1].prefix.value, "/svc/{name}");
  EXPECT_EQ(rt.service.configs[1].total_timeout.value, milliseconds{10});
}

// One config (router keys appended to the minimal router) and every error it must produce.
struct ErrorCase {
  std::string yaml;
  std::vector<std::string> errors;
};

std::ostream& operator<<(std::ostream& os, const ErrorCase& c) { return os << c.yaml; }

// `client: <flow>` on line 4; the flow map starts at column 11.
std::string client(const std::string& flow) { return kRouter + "  client: " + flow + "\n"; }
// `service: <flow>` on line 4; the flow map starts at column 12.
std::string service(const std::string& flow) { return kRouter + "  service: " + flow + "\n"; }

std::vector<ErrorCase> section_cases() {
  const std::string statik = "  client:\n    kind: io.l5d.static\n";
  return {
      {client("1"), {"t.yaml:4:3: routers[0].client: expected a map, got \"1\""}},
      {client("{kind: io.l5d.foo, loadBalancer: {}}"),
       {"t.yaml:4:12: routers[0].client.kind: unknown client kind \"io.l5d.foo\" (supported: "
        "io.l5d.global, io.l5d.static)"}},
      {service("{kind: static}"),
       {"t.yaml:4:13: routers[0].service.kind: unknown service kind \"static\" (supported: "
        "io.l5d.global, io.l5d.static)"}},
      {client("{configs: [], prefix: /a}"),
       {"t.yaml:4:12: routers[0].client.configs: \"configs\" needs \"kind: io.l5d.static\"",
        "t.yaml:4:25: routers[0].client.prefix: \"prefix\" needs \"kind: io.l5d.static\""}},
      {client("{kind: io.l5d.static}"),
       {"t.yaml:4:11: routers[0].client: missing required key \"configs\""}},
      {service("{kind: io.l5d.static, configs: []}"),
       {"t.yaml:4:34: routers[0].service.configs: at least one config is required"}},
      {client("{kind: io.l5d.static, configs: /a}"),
       {"t.yaml:4:33: routers[0].client.configs: expected a list, got \"/a\""}},
      {client("{kind: io.l5d.static, configs: [/a]}"),
       {"t.yaml:4:43: routers[0].client.configs[0]: expected a map, got \"/a\""}},
      {client("{kind: io.l5d.static, configs: [{failFast: false}]}"),
       {"t.yaml:4:43: routers[0].client.configs[0]: missing required key \"prefix\""}},
      {kRouter + statik + "    configs:\n    - prefix: svc\n",
       {"t.yaml:7:7: routers[0].client.configs[0].prefix: invalid pattern: must start with "
        "\"/\", got \"svc\""}},
      {kRouter + statik + "    configs:\n    - prefix: /svc/{a\n",
       {"t.yaml:7:7: routers[0].client.configs[0].prefix: invalid pattern \"/svc/{a\": unclosed "
        "\"{\" at offset 5"}},
      {kRouter + statik + "    configs:\n    - prefix: \"/svc/{a b}\"\n",
       {"t.yaml:7:7: routers[0].client.configs[0].prefix: invalid pattern \"/svc/{a b}\": \"{a "
        "b}\" is not a capture: names are letters, digits and \". : _ -\""}},
      {kRouter + statik + "    loadBalancer: {kind: ewma}\n    tls: {}\n" +
           "    configs:\n    - prefix: /a\n      loadBalancr: {}\n",
       {"t.yaml:6:5: routers[0].client.loadBalancer: \"loadBalancer\" must be set in \"configs\" "
        "entries when kind is io.l5d.static",
        "t.yaml:7:5: routers[0].client.tls: \"tls\" must be set in \"configs\" entries when kind "
        "is io.l5d.static",
        "t.yaml:10:7: routers[0].client.configs[0].loadBalancr: unknown key \"loadBalancr\" (did "
        "you mean \"loadBalancer\"?)"}},
      {kRouter + "  service:\n    kind: io.l5d.static\n    totalTimeoutMs: 5\n" +
           "    configs: [{prefix: /}]\n",
       {"t.yaml:6:5: routers[0].service.totalTimeoutMs: \"totalTimeoutMs\" must be set in "
        "\"configs\" entries when kind is io.l5d.static"}},
      // The example of the brief: an error deep in the second static entry.
      {kRouter + statik + "    configs:\n    - prefix: /a\n    - prefix: /b\n" +
           "      loadBalancer:\n        kind: p2cc\n",
       {"t.yaml:10:9: routers[0].client.configs[1].loadBalancer.kind: unknown load balancer kind "
        "\"p2cc\" (supported: p2c, ewma, aperture, heap, roundRobin)"}},
  };
}

std::vector<ErrorCase> client_key_cases() {
  const std::string range = "must be between 1 and 2147483647, got ";
  const std::string not_negative = "must be between 0 and 2147483647, got -1";
  return {
      {client("{loadBalancer: {kind: p2c, decayTimeMs: 5}}"),
       {"t.yaml:4:38: routers[0].client.loadBalancer.decayTimeMs: unknown key \"decayTimeMs\""}},
      {client("{loadBalancer: {kind: heap, maxEffort: 5}}"),
       {"t.yaml:4:39: routers[0].client.loadBalancer.maxEffort: unknown key \"maxEffort\""}},
      {client("{loadBalancer: {experimental: true}}"),
       {"t.yaml:4:27: routers[0].client.loadBalancer.experimental: unknown key \"experimental\""}},
      {client("{loadBalancer: {maxEffort: 0, enableProbation: 1}}"),
       {"t.yaml:4:27: routers[0].client.loadBalancer.maxEffort: " + range + "0",
        "t.yaml:4:41: routers[0].client.loadBalancer.enableProbation: expected a boolean (true "
        "or false), got \"1\""}},
      {client("{loadBalancer: {kind: ewma, decayTimeMs: 0}}"),
       {"t.yaml:4:39: routers[0].client.loadBalancer.decayTimeMs: " + range + "0"}},
      {client("{loadBalancer: {kind: aperture, smoothWindowMs: 0, minAperture: 0}}"),
       {"t.yaml:4:43: routers[0].client.loadBalancer.smoothWindowMs: " + range + "0",
        "t.yaml:4:62: routers[0].client.loadBalancer.minAperture: " + range + "0"}},
      {client("{loadBalancer: {kind: aperture, lowLoad: 0}}"),
       {"t.yaml:4:43: routers[0].client.loadBalancer.lowLoad: must be greater than 0, got 0"}},
      {client("{loadBalancer: {kind: aperture, highLoad: 0.4}}"),
       {"t.yaml:4:43: routers[0].client.loadBalancer.highLoad: must be greater than lowLoad "
        "(0.5), got 0.4"}},
      {client("{loadBalancer: {kind: aperture, lowLoad: 3}}"),
       {"t.yaml:4:43: routers[0].client.loadBalancer.lowLoad: must be less than highLoad (2), "
        "got 3"}},
      {client("{loadBalancer: {kind: aperture, lowLoad: abc, highLoad: -1}}"),
       {"t.yaml:4:43: routers[0].client.loadBalancer.lowLoad: expected a number, got \"abc\"",
        "t.yaml:4:57: routers[0].client.loadBalancer.highLoad: must be between 0 and "
        "1.7976931348623157e+308, got -1"}},
      {client("{failureAccrual: {failures: 3}}"),
       {"t.yaml:4:28: routers[0].client.failureAccrual: missing required key \"kind\""}},
      {client("{failureAccrual: {kind: io.l5d.consecutive}}"),
       {"t.yaml:4:29: routers[0].client.failureAccrual.kind: unknown failure accrual kind "
        "\"io.l5d.consecutive\" (supported: io.l5d.consecutiveFailures, io.l5d.successRate, "
        "io.l5d.successRateWindowed, none)"}},
      {client("{failureAccrual: {kind: io.l5d.consecutiveFailures}}"),
       {"t.yaml:4:28: routers[0].client.failureAccrual: missing required key \"failures\""}},
      {client("{failureAccrual: {kind: io.l5d.consecutiveFailures, failures: 0}}"),
       {"t.yaml:4:63: routers[0].client.failureAccrual.failures: " + range + "0"}},
      {client("{failureAccrual: {kind: io.l5d.successRate, successRate: 1.5}}"),
       {"t.yaml:4:28: routers[0].client.failureAccrual: missing required key \"requests\"",
        "t.yaml:4:55: routers[0].client.failureAccrual.successRate: must be between 0 and 1, got "
        "1.5"}},
      {client("{failureAccrual: {kind: io.l5d.successRateWindowed, window: 0}}"),
       {"t.yaml:4:28: routers[0].client.failureAccrual: missing required key \"successRate\"",
        "t.yaml:4:63: routers[0].client.failureAccrual.window: " + range + "0"}},
      {client("{failureAccrual: {kind: none, failures: 3}}"),
       {"t.yaml:4:41: routers[0].client.failureAccrual.failures: unknown key \"failures\""}},
      {client("{failureAccrual: {kind: none, backoff: {ms: 5}}}"),
       {"t.yaml:4:50: routers[0].client.failureAccrual.backoff: missing required key \"kind\""}},
      {client("{failureAccrual: {kind: none, backoff: {kind: exponential}}}"),
       {"t.yaml:4:51: routers[0].client.failureAccrual.backoff.kind: unknown backoff kind "
        "\"exponential\" (supported: constant, jittered)"}},
      {client("{failureAccrual: {kind: none, backoff: {kind: jittered}}}"),
       {"t.yaml:4:50: routers[0].client.failureAccrual.backoff: missing required key \"minMs\"",
        "t.yaml:4:50: routers[0].client.failureAccrual.backoff: missing required key \"maxMs\""}},
      {client("{failureAccrual: {kind: none, backoff: {kind: jittered, minMs: 10, maxMs: 5}}}"),
       {"t.yaml:4:78: routers[0].client.failureAccrual.backoff.maxMs: must be at least minMs "
        "(10), got 5"}},
      {client("{failureAccrual: {kind: none, backoff: {kind: jittered, minMs: 0, maxMs: 5}}}"),
       {"t.yaml:4:67: routers[0].client.failureAccrual.backoff.minMs: " + range + "0"}},
      {client("{failureAccrual: {kind: none, backoff: {kind: constant, ms: -1, minMs: 1}}}"),
       {"t.yaml:4:67: routers[0].client.failureAccrual.backoff.ms: " + not_negative,
        "t.yaml:4:75: routers[0].client.failureAccrual.backoff.minMs: unknown key \"minMs\""}},
      {client("{requestAttemptTimeoutMs: 0}"),
       {"t.yaml:4:12: routers[0].client.requestAttemptTimeoutMs: " + range + "0"}},
      {client("{hostConnectionPool: {minSize: -1, maxSize: 0, idleTimeMs: -1, maxWaiters: -1}}"),
       {"t.yaml:4:33: routers[0].client.hostConnectionPool.minSize: " + not_negative,
        "t.yaml:4:46: routers[0].client.hostConnectionPool.maxSize: " + range + "0",
        "t.yaml:4:58: routers[0].client.hostConnectionPool.idleTimeMs: " + not_negative,
        "t.yaml:4:74: routers[0].client.hostConnectionPool.maxWaiters: " + not_negative}},
      {client("{hostConnectionPool: {minSize: 3, maxSize: 2}}"),
       {"t.yaml:4:45: routers[0].client.hostConnectionPool.maxSize: must be at least minSize "
        "(3), got 2"}},
      {client("{requeueBudget: {ttlSecs: 61, minRetriesPerSec: 1.5, percentCanRetry: 1001}}"),
       {"t.yaml:4:28: routers[0].client.requeueBudget.ttlSecs: must be between 1 and 60, got 61",
        "t.yaml:4:41: routers[0].client.requeueBudget.minRetriesPerSec: expected an integer, got "
        "\"1.5\"",
        "t.yaml:4:64: routers[0].client.requeueBudget.percentCanRetry: must be between 0 and "
        "1000, got 1001"}},
      {client("{requeueBudget: {ttlSecs: 0, minRetriesPerSec: -1, percentCanRetry: -0.5}}"),
       {"t.yaml:4:28: routers[0].client.requeueBudget.ttlSecs: must be between 1 and 60, got 0",
        "t.yaml:4:40: routers[0].client.requeueBudget.minRetriesPerSec: " + not_negative,
        "t.yaml:4:62: routers[0].client.requeueBudget.percentCanRetry: must be between 0 and "
        "1000, got -0.5"}},
      {client("{failFast: true}"),
       {"t.yaml:4:12: routers[0].client.failFast: \"failFast\" is not supported yet"}},
  };
}

std::vector<ErrorCase> unsupported_client_key_cases() {
  std::vector<ErrorCase> cases;
  for (std::string key :
       {"clientSession", "socketOptions", "forwardClientCert", "requestAuthorizers"}) {
    cases.push_back(
        {client("{" + key + ": {}}"),
         {"t.yaml:4:12: routers[0].client." + key + ": \"" + key + "\" is not supported yet"}});
  }
  for (std::string key : {"windowUpdateRatio", "headerTableBytes", "initialStreamWindowBytes",
                          "maxFrameBytes", "maxHeaderListBytes"}) {
    cases.push_back({client("{" + key + ": 1}"),
                     {"t.yaml:4:12: routers[0].client." + key + ": \"" + key +
                      "\" exists only for h2 routers"}});
  }
  return cases;
}

std::vector<ErrorCase> service_key_cases() {
  std::vector<ErrorCase> cases = {
      {service("{totalTimeoutMs: 0}"),
       {"t.yaml:4:13: routers[0].service.totalTimeoutMs: must be between 1 and 2147483647, got "
        "0"}},
      {service("{retries: {budgett: {}, backoff: {kind: jittered, minMs: 1, maxMs: 1}}}"),
       {"t.yaml:4:23: routers[0].service.retries.budgett: unknown key \"budgett\" (did you mean "
        "\"budget\"?)"}},
      {service("{retries: {budget: {percentCanRetry: x}}}"),
       {"t.yaml:4:32: routers[0].service.retries.budget.percentCanRetry: expected a number, got "
        "\"x\""}},
      {service("{retries: {backoff: {ms: 1}}}"),
       {"t.yaml:4:32: routers[0].service.retries.backoff: missing required key \"kind\""}},
      {service("{responseClassifier: {}}"),
       {"t.yaml:4:33: routers[0].service.responseClassifier: missing required key \"kind\""}},
      {service("{responseClassifier: {kind: io.l5d.http.retryableRead5xx}}"),
       {"t.yaml:4:34: routers[0].service.responseClassifier.kind: unknown response classifier "
        "kind \"io.l5d.http.retryableRead5xx\" (supported: io.l5d.http.nonRetryable5XX, "
        "io.l5d.http.retryableRead5XX, io.l5d.http.retryableIdempotent5XX, "
        "io.l5d.http.retryableAll5XX, io.l5d.http.allSuccessful)"}},
      {service("{responseClassifier: {kind: io.l5d.http.allSuccessful, x: 1}}"),
       {"t.yaml:4:67: routers[0].service.responseClassifier.x: unknown key \"x\""}},
  };
  for (std::string old : {"nonRetryable5XX", "retryableRead5XX", "retryableIdempotent5XX"}) {
    cases.push_back({service("{responseClassifier: {kind: io.l5d." + old + "}}"),
                     {"t.yaml:4:34: routers[0].service.responseClassifier.kind: unknown response "
                      "classifier kind \"io.l5d." +
                      old + "\" (renamed io.l5d.http." + old + " in Linkerd 1.0.0)"}});
  }
  for (std::string h2 : {"nonRetryable5XX", "retryableRead5XX", "retryableIdempotent5XX",
                         "retryableAll5XX", "allSuccessful"}) {
    cases.push_back({service("{responseClassifier: {kind: io.l5d.h2." + h2 + "}}"),
                     {"t.yaml:4:34: routers[0].service.responseClassifier.kind: unknown response "
                      "classifier kind \"io.l5d.h2." +
                      h2 + "\" (io.l5d.h2 classifiers exist only for h2 routers)"}});
  }
  for (std::string grpc :
       {"default", "neverRetryable", "alwaysRetryable", "retryableStatusCodes", "compliant"}) {
    cases.push_back({service("{responseClassifier: {kind: io.l5d.h2.grpc." + grpc + "}}"),
                     {"t.yaml:4:34: routers[0].service.responseClassifier.kind: unknown response "
                      "classifier kind \"io.l5d.h2.grpc." +
                      grpc + "\" (gRPC classifiers exist only for h2 routers)"}});
  }
  for (std::string key : {"classificationTimeoutMs", "retryBufferSize"}) {
    cases.push_back({service("{" + key + ": 100}"),
                     {"t.yaml:4:13: routers[0].service." + key + ": \"" + key +
                      "\" exists only for h2 routers"}});
  }
  return cases;
}

class PolicyErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(PolicyErrors, AreAllReportedWithPathAndMessage) {
  const LoadResult r = load_yaml(GetParam().yaml);

  EXPECT_FALSE(r.ok());
  EXPECT_THAT(errors_of(r), ElementsAreArray(GetParam().errors)) << GetParam().yaml;
}

INSTANTIATE_TEST_SUITE_P(Sections, PolicyErrors, ::testing::ValuesIn(section_cases()));
INSTANTIATE_TEST_SUITE_P(ClientKeys, PolicyErrors, ::testing::ValuesIn(client_key_cases()));
INSTANTIATE_TEST_SUITE_P(UnsupportedClientKeys, PolicyErrors,
                         ::testing::ValuesIn(unsupported_client_key_cases()));
INSTANTIATE_TEST_SUITE_P(ServiceKeys, PolicyErrors, ::testing::ValuesIn(service_key_cases()));

TEST(ClientConfig, UnsupportedAndH2KeysAreKeptAsJson) {
  const LoadResult r = load_yaml(kRouter +
                                 "  client:\n    clientSession: {idleTimeMs: 5}\n"
                                 "    maxFrameBytes: 16384\n");

  const ClientPolicyConfig& c = r.config.routers[0].client.configs[0];
  ASSERT_EQ(c.unsupported.size(), 2u);
  EXPECT_EQ(c.unsupported[0].key, "maxFrameBytes");
  EXPECT_EQ(c.unsupported[0].pos.path, "routers[0].client.maxFrameBytes");
  EXPECT_EQ(c.unsupported[0].value, 16384);
  EXPECT_EQ(c.unsupported[1].key, "clientSession");
  EXPECT_EQ(c.unsupported[1].value, boost::json::parse(R"({"idleTimeMs": 5})"));
  EXPECT_FALSE(c.h2.max_frame_bytes.present);
}

TEST(ClientConfig, EveryErrorOfOneFileIsReported) {
  const LoadResult r = load_yaml(kRouter + R"(  client:
    kind: io.l5d.static
    configs:
    - prefix: /a
      loadBalancer: {maxEffort: 0}
    - prefix: b
      requestAttemptTimeoutMs: -5
  service:
    totalTimeoutMs: 0
    responseClassifier: {kind: io.l5d.retryableRead5XX}
)");

  EXPECT_THAT(
      errors_of(r),
      ElementsAre(
          "t.yaml:8:22: routers[0].client.configs[0].loadBalancer.maxEffort: must be between 1 "
          "and 2147483647, got 0",
          "t.yaml:9:7: routers[0].client.configs[1].prefix: invalid pattern: must start with "
          "\"/\", got \"b\"",
          "t.yaml:10:7: routers[0].client.configs[1].requestAttemptTimeoutMs: must be between 1 "
          "and 2147483647, got -5",
          "t.yaml:12:5: routers[0].service.totalTimeoutMs: must be between 1 and 2147483647, got "
          "0",
          "t.yaml:13:26: routers[0].service.responseClassifier.kind: unknown response classifier "
          "kind \"io.l5d.retryableRead5XX\" (renamed io.l5d.http.retryableRead5XX in Linkerd "
          "1.0.0)"));
}

}  // namespace
}  // namespace meshd::config
