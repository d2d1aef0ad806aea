// PolicyTable (src/router/policy.cc): a router's `client` and `service` resolved per name
// (inventory §3.3, §3.4, §12): defaults, io.l5d.global, and io.l5d.static entries applied in
// file order, key by key.

#include "meshd/router/policy.h"

#include <gtest/gtest.h>

#include <chrono>
#include <climits>
#include <stdexcept>
#include <string>

#include "meshd/config/load.h"

namespace meshd::router {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Balancer = lb::BalancerOptions::Kind;
using Accrual = lb::AccrualOptions::Kind;
using BackoffKind = BackoffOptions::Kind;

// The policy table of one http router whose extra keys are `router_yaml` (two-space indent).
PolicyTable table(const std::string& router_yaml) {
  const std::string yaml = "routers:\n- protocol: http\n  servers: [{port: 0}]\n" + router_yaml;
  const config::LoadResult r = config::load(yaml, "t.yaml");
  for (const auto& e : r.errors) {
    ADD_FAILURE() << e.to_string();
  }
  if (!r.ok()) {
    throw std::runtime_error("invalid test config");
  }
  return PolicyTable::from_config(r.config.routers[0]);
}

dtab::Path path(const std::string& text) {
  auto p = dtab::Path::read(text);
  if (!p) {
    throw std::runtime_error("bad path " + text);
  }
  return *p;
}

void expect_backoff(const BackoffOptions& b, BackoffKind kind, milliseconds min, milliseconds max) {
  EXPECT_EQ(b.kind, kind);
  EXPECT_EQ(b.min, min);
  EXPECT_EQ(b.max, max);
}

void expect_default_budget(const filters::RetryBudgetOptions& b) {
  EXPECT_EQ(b.ttl, seconds{10});
  EXPECT_DOUBLE_EQ(b.min_retries_per_sec, 10.0);
  EXPECT_DOUBLE_EQ(b.percent_can_retry, 0.2);
}

void expect_default_service(const ServicePolicy& s) {
  EXPECT_FALSE(s.total_timeout);
  expect_default_budget(s.retry_budget);
  expect_backoff(s.retry_backoff, BackoffKind::Constant, milliseconds{0}, milliseconds{0});
  EXPECT_EQ(s.classifier.kind, filters::ClassifierKind::NonRetryable5XX);
}

void expect_default_client(const ClientPolicy& c) {
  EXPECT_EQ(c.load_balancer.kind, Balancer::P2C);
  EXPECT_EQ(c.load_balancer.max_effort, 5);
  EXPECT_FALSE(c.load_balancer.enable_probation);
  EXPECT_EQ(c.failure_accrual.kind, Accrual::ConsecutiveFailures);
  EXPECT_EQ(c.failure_accrual.failures, 5);
  expect_backoff(c.failure_accrual.backoff, BackoffKind::EqualJittered, seconds{5}, seconds{300});
  EXPECT_FALSE(c.request_attempt_timeout);
  EXPECT_EQ(c.host_connection_pool.min_size, 0);
  EXPECT_EQ(c.host_connection_pool.max_size, INT_MAX);
  EXPECT_FALSE(c.host_connection_pool.idle_time);
  EXPECT_EQ(c.host_connection_pool.max_waiters, INT_MAX);
  expect_default_budget(c.requeue_budget);
}

TEST(PolicyTable, DefaultTableGivesLinkerdDefaults) {
  const PolicyTable t;

  expect_default_service(t.service(path("/svc/web")));
  expect_default_client(t.client(path("/#/io.l5d.fs/web")));
}

TEST(PolicyTable, ConfigWithoutClientOrServiceGivesLinkerdDefaults) {
  const PolicyTable t = table("");

  expect_default_service(t.service(path("/svc/web")));
  expect_default_client(t.client(path("/#/io.l5d.fs/web")));
}

TEST(PolicyTable, GlobalClientAppliesEveryWrittenKeyToEveryId) {
  const PolicyTable t = table(R"(  client:
    loadBalancer: {kind: aperture, maxEffort: 3, smoothWindowMs: 100, lowLoad: 1, highLoad: 4,
                   minAperture: 2, enableProbation: true}
    failureAccrual:
      kind: io.l5d.successRate
      successRate: 0.8
      requests: 50
      backoff: {kind: jittered, minMs: 10, maxMs: 1000}
    requestAttemptTimeoutMs: 250
    hostConnectionPool: {minSize: 1, maxSize: 16, idleTimeMs: 3000, maxWaiters: 100}
    requeueBudget: {ttlSecs: 30, minRetriesPerSec: 1, percentCanRetry: 0.05}
)");

  for (const auto& id :
       {"/#/io.l5d.fs/web", "/%/io.l5d.port/4141/#/io.l5d.fs/api", "/$/inet/h/1"}) {
    SCOPED_TRACE(id);
    const ClientPolicy c = t.client(path(id));

    EXPECT_EQ(c.load_balancer.kind, Balancer::Aperture);
    EXPECT_EQ(c.load_balancer.max_effort, 3);
    EXPECT_EQ(c.load_balancer.smooth_window, milliseconds{100});
    EXPECT_DOUBLE_EQ(c.load_balancer.low_load, 1.0);
    EXPECT_DOUBLE_EQ(c.load_balancer.high_load, 4.0);
    EXPECT_EQ(c.load_balancer.min_aperture, 2);
    EXPECT_TRUE(c.load_balancer.enable_probation);
    EXPECT_EQ(c.failure_accrual.kind, Accrual::SuccessRate);
    EXPECT_DOUBLE_EQ(c.failure_accrual.success_rate, 0.8);
    EXPECT_EQ(c.failure_accrual.requests, 50);
    expect_backoff(c.failure_accrual.backoff, BackoffKind::DecorrelatedJittered, milliseconds{10},
                   milliseconds{1000});
    EXPECT_EQ(c.request_attempt_timeout, milliseconds{250});
    EXPECT_EQ(c.host_connection_pool.min_size, 1);
    EXPECT_EQ(c.host_connection_pool.max_size, 16);
    EXPECT_EQ(c.host_connection_pool.idle_time, milliseconds{3000});
    EXPECT_EQ(c.host_connection_pool.max_waiters, 100);
    EXPECT_EQ(c.requeue_budget.ttl, seconds{30});
    EXPECT_DOUBLE_EQ(c.requeue_budget.min_retries_per_sec, 1.0);
    EXPECT_DOUBLE_EQ(c.requeue_budget.percent_can_retry, 0.05);
  }
}

TEST(PolicyTable, UnwrittenKeysOfAWrittenObjectTakeTheirDefaults) {
  const PolicyTable t = table(R"(  client:
    loadBalancer: {kind: ewma}
    failureAccrual: {kind: io.l5d.consecutiveFailures, failures: 3}
    hostConnectionPool: {maxWaiters: 7}
  service:
    retries: {budget: {percentCanRetry: 0.5}}
)");

  const ClientPolicy c = t.client(path("/#/io.l5d.fs/web"));
  const ServicePolicy s = t.service(path("/svc/web"));

  EXPECT_EQ(c.load_balancer.kind, Balancer::Ewma);
  EXPECT_EQ(c.load_balancer.max_effort, 5);
  EXPECT_EQ(c.load_balancer.decay_time, seconds{10});
  EXPECT_EQ(c.failure_accrual.failures, 3);
  expect_backoff(c.failure_accrual.backoff, BackoffKind::EqualJittered, seconds{5}, seconds{300});
  EXPECT_EQ(c.host_connection_pool.max_size, INT_MAX);
  EXPECT_EQ(c.host_connection_pool.max_waiters, 7);
  EXPECT_EQ(s.retry_budget.ttl, seconds{10});
  EXPECT_DOUBLE_EQ(s.retry_budget.min_retries_per_sec, 10.0);
  EXPECT_DOUBLE_EQ(s.retry_budget.percent_can_retry, 0.5);
  expect_backoff(s.retry_backoff, BackoffKind::Constant, milliseconds{0}, milliseconds{0});
}

TEST(PolicyTable, EveryKindMapsToItsOptions) {
  const PolicyTable t = table(R"(  client:
    kind: io.l5d.static
    configs:
    - {prefix: /a, loadBalancer: {kind: heap}, failureAccrual: {kind: none}}
    - prefix: /b
      loadBalancer: {kind: roundRobin, maxEffort: 2}
      failureAccrual: {kind: io.l5d.successRateWindowed, successRate: 0.9, window: 60,
                       backoff: {kind: constant, ms: 700}}
    - {prefix: /c, loadBalancer: {kind: p2c, maxEffort: 9}}
)");

  const ClientPolicy a = t.client(path("/a"));
  const ClientPolicy b = t.client(path("/b"));
  const ClientPolicy c = t.client(path("/c"));

  EXPECT_EQ(a.load_balancer.kind, Balancer::Heap);
  EXPECT_EQ(a.failure_accrual.kind, Accrual::None);
  EXPECT_EQ(b.load_balancer.kind, Balancer::RoundRobin);
  EXPECT_EQ(b.load_balancer.max_effort, 2);
  EXPECT_EQ(b.failure_accrual.kind, Accrual::SuccessRateWindowed);
  EXPECT_DOUBLE_EQ(b.failure_accrual.success_rate, 0.9);
  EXPECT_EQ(b.failure_accrual.window, seconds{60});
  expect_backoff(b.failure_accrual.backoff, BackoffKind::Constant, milliseconds{700},
                 milliseconds{700});
  EXPECT_EQ(c.load_balancer.kind, Balancer::P2C);
  EXPECT_EQ(c.load_balancer.max_effort, 9);
}

TEST(PolicyTable, StaticClientAppliesEveryMatchingConfigInFileOrder) {
  const PolicyTable t = table(R"(  client:
    kind: io.l5d.static
    configs:
    - prefix: /#/io.l5d.fs
      loadBalancer: {kind: ewma}
      requestAttemptTimeoutMs: 100
    - prefix: "/#/io.l5d.fs/{service}"
      requestAttemptTimeoutMs: 200
      failureAccrual: {kind: none}
    - prefix: /#/io.l5d.fs/web
      loadBalancer: {kind: roundRobin}
)");

  const ClientPolicy web = t.client(path("/#/io.l5d.fs/web"));
  const ClientPolicy api = t.client(path("/#/io.l5d.fs/api/extra"));
  const ClientPolicy fs = t.client(path("/#/io.l5d.fs"));
  const ClientPolicy other = t.client(path("/#/io.l5d.k8s/web"));

  EXPECT_EQ(web.load_balancer.kind, Balancer::RoundRobin);  // the last match wins this key
  EXPECT_EQ(web.request_attempt_timeout, milliseconds{200});
  EXPECT_EQ(web.failure_accrual.kind, Accrual::None);
  EXPECT_EQ(api.load_balancer.kind, Balancer::Ewma);  // extra labels after a prefix match
  EXPECT_EQ(api.request_attempt_timeout, milliseconds{200});
  EXPECT_EQ(api.failure_accrual.kind, Accrual::None);
  EXPECT_EQ(fs.load_balancer.kind, Balancer::Ewma);  // `{service}` needs a label
  EXPECT_EQ(fs.request_attempt_timeout, milliseconds{100});
  EXPECT_EQ(fs.failure_accrual.kind, Accrual::ConsecutiveFailures);
  expect_default_client(other);
}

TEST(PolicyTable, WildcardAndCapturePatternsMatchLikeLinkerdPathMatcher) {
  const PolicyTable t = table(R"(  client:
    kind: io.l5d.static
    configs:
    - prefix: /$/inet/*/80
      requestAttemptTimeoutMs: 80
  service:
    kind: io.l5d.static
    configs:
    - prefix: "/svc/foo-{x}"
      totalTimeoutMs: 1000
    - prefix: "/svc/*/{a}.{b}"
      totalTimeoutMs: 2000
)");

  EXPECT_EQ(t.client(path("/$/inet/10.0.0.1/80")).request_attempt_timeout, milliseconds{80});
  EXPECT_FALSE(t.client(path("/$/inet/10.0.0.1/81")).request_attempt_timeout);
  EXPECT_FALSE(t.client(path("/$/inet/80")).request_attempt_timeout);
  EXPECT_EQ(t.service(path("/svc/foo-1")).total_timeout, milliseconds{1000});
  // A capture segment is an unanchored regex find, as in Linkerd.
  EXPECT_EQ(t.service(path("/svc/barfoo-1")).total_timeout, milliseconds{1000});
  EXPECT_FALSE(t.service(path("/svc/foo")).total_timeout);
  EXPECT_EQ(t.service(path("/svc/x/web.default")).total_timeout, milliseconds{2000});
  EXPECT_FALSE(t.service(path("/svc/x/web")).total_timeout);  // `.` is literal
}

TEST(PolicyTable, StaticServiceOverridesBudgetAndBackoffSeparately) {
  const PolicyTable t = table(R"(  service:
    kind: io.l5d.static
    configs:
    - prefix: /svc
      totalTimeoutMs: 5000
      retries:
        budget: {percentCanRetry: 0.5, minRetriesPerSec: 1}
        backoff: {kind: constant, ms: 10}
      responseClassifier: {kind: io.l5d.http.retryableRead5XX}
    - prefix: /svc/web
      retries:
        budget: {ttlSecs: 5}
    - prefix: /svc/api
      retries:
        backoff: {kind: jittered, minMs: 20, maxMs: 200}
      responseClassifier: {kind: io.l5d.http.allSuccessful}
)");

  const ServicePolicy web = t.service(path("/svc/web"));
  const ServicePolicy api = t.service(path("/svc/api"));
  const ServicePolicy other = t.service(path("/svc/other"));
  const ServicePolicy outside = t.service(path("/http/web"));

  EXPECT_EQ(web.total_timeout, milliseconds{5000});
  EXPECT_EQ(web.retry_budget.ttl, seconds{5});  // the whole budget is replaced
  EXPECT_DOUBLE_EQ(web.retry_budget.percent_can_retry, 0.2);
  EXPECT_DOUBLE_EQ(web.retry_budget.min_retries_per_sec, 10.0);
  expect_backoff(web.retry_backoff, BackoffKind::Constant, milliseconds{10}, milliseconds{10});
  EXPECT_EQ(web.classifier.kind, filters::ClassifierKind::RetryableRead5XX);
  EXPECT_DOUBLE_EQ(api.retry_budget.percent_can_retry, 0.5);
  expect_backoff(api.retry_backoff, BackoffKind::DecorrelatedJittered, milliseconds{20},
                 milliseconds{200});
  EXPECT_EQ(api.classifier.kind, filters::ClassifierKind::AllSuccessful);
  EXPECT_DOUBLE_EQ(other.retry_budget.percent_can_retry, 0.5);
  EXPECT_EQ(other.classifier.kind, filters::ClassifierKind::RetryableRead5XX);
  expect_default_service(outside);
}

TEST(PolicyTable, EveryHttpClassifierKindMapsToItsEnum) {
  using K = filters::ClassifierKind;
  const std::pair<std::string, K> kinds[] = {
      {"io.l5d.http.nonRetryable5XX", K::NonRetryable5XX},
      {"io.l5d.http.retryableRead5XX", K::RetryableRead5XX},
      {"io.l5d.http.retryableIdempotent5XX", K::RetryableIdempotent5XX},
      {"io.l5d.http.retryableAll5XX", K::RetryableAll5XX},
      {"io.l5d.http.allSuccessful", K::AllSuccessful},
  };
  for (const auto& [name, kind] : kinds) {
    const PolicyTable t = table("  service: {responseClassifier: {kind: " + name + "}}\n");

    EXPECT_EQ(t.service(path("/svc/a")).classifier.kind, kind) << name;
  }
}

}  // namespace
}  // namespace meshd::router

namespace meshd::router {
namespace {

TEST(ClientTlsPolicy, CommonNameTakesTheCapturesOfItsOwnPrefix) {
  auto t = table(
      "  client:\n"
      "    kind: io.l5d.static\n"
      "    configs:\n"
      "    - prefix: /#/io.l5d.fs/{service}\n"
      "      tls:\n"
      "        disableValidation: true\n"
      "        commonName: \"{service}.example.com\"\n"
      "    - prefix: /#/io.l5d.fs/legacy\n"
      "      tls: {enabled: false}\n"
      "    - prefix: /$/inet/{ip}/*\n"
      "      tls:\n"
      "        disableValidation: true\n"
      "        commonName: \"{ip}\"\n");

  auto hello = t.client(path("/#/io.l5d.fs/hello/residual"));
  auto world = t.client(path("/#/io.l5d.fs/world"));
  ASSERT_TRUE(hello.tls);
  ASSERT_TRUE(world.tls);
  EXPECT_EQ(hello.tls->server_name, "hello.example.com");
  EXPECT_EQ(world.tls->server_name, "world.example.com");
  ASSERT_TRUE(hello.tls->context);
  EXPECT_EQ(hello.tls->context, world.tls->context);  // one context per config entry
  EXPECT_TRUE(hello.tls->context->options().alpn.empty());
  // A later `enabled: false` turns TLS off for a narrower prefix.
  EXPECT_FALSE(t.client(path("/#/io.l5d.fs/legacy")).tls);
  auto inet = t.client(path("/$/inet/10.0.0.7/4141"));
  ASSERT_TRUE(inet.tls);
  EXPECT_EQ(inet.tls->server_name, "10.0.0.7");
  EXPECT_NE(inet.tls->context, hello.tls->context);
  EXPECT_FALSE(t.client(path("/#/io.l5d.k8s/default/http/hello")).tls);
}

TEST(ClientTlsPolicy, AFileThatCannotBeReadIsReportedWithItsConfigPath) {
  const std::string yaml =
      "routers:\n- protocol: http\n  servers: [{port: 0}]\n"
      "  client:\n"
      "    tls:\n"
      "      commonName: x\n"
      "      trustCertsBundle: /nonexistent/ca.pem\n";
  const config::LoadResult r = config::load(yaml, "t.yaml");
  ASSERT_TRUE(r.ok());
  std::vector<std::string> errors;
  auto t = PolicyTable::from_config(r.config.routers[0], &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            "routers[0].client.tls: trust certificates /nonexistent/ca.pem: No such file or "
            "directory");
  // Never plaintext instead: the client keeps TLS without a usable context.
  auto p = t.client(path("/#/io.l5d.fs/a"));
  ASSERT_TRUE(p.tls);
  EXPECT_FALSE(p.tls->context);
}

TEST(ClientTlsPolicy, H2RoutersOfferAlpnH2AndDefaultToTheH2Classifier) {
  const std::string yaml =
      "routers:\n- protocol: h2\n  servers: [{port: 0}]\n"
      "  client:\n"
      "    initialStreamWindowBytes: 1048576\n"
      "    tls: {disableValidation: true}\n";
  const config::LoadResult r = config::load(yaml, "t.yaml");
  for (const auto& e : r.errors) {
    ADD_FAILURE() << e.to_string();
  }
  ASSERT_TRUE(r.ok());
  auto t = PolicyTable::from_config(r.config.routers[0]);
  auto c = t.client(path("/#/io.l5d.fs/a"));
  ASSERT_TRUE(c.tls && c.tls->context);
  EXPECT_EQ(c.tls->context->options().alpn, std::vector<std::string>{"h2"});
  EXPECT_EQ(c.h2.initial_stream_window, 1048576u);
  EXPECT_EQ(c.h2.max_frame_bytes, 16384u);
  EXPECT_EQ(t.service(path("/svc/a")).classifier.kind, filters::ClassifierKind::H2NonRetryable5XX);
  EXPECT_EQ(t.service(path("/svc/a")).retry_request_bytes, 16383u);
}

}  // namespace
}  // namespace meshd::router
