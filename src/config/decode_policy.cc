// Decoding of a router's `client` and `service` (inventory §3.3, §3.4, §12): `io.l5d.global`
// (the policy keys sit on the object itself) or `io.l5d.static` (`configs`, each with a
// PathMatcher `prefix`), and the load balancer, failure accrual, connection pool, retry budget,
// backoff and response classifier objects inside them.

#include <chrono>
#include <climits>
#include <iterator>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/decode_internal.h"
#include "config/kinds_internal.h"

namespace meshd::config::detail {
namespace {

constexpr double kMaxDouble = std::numeric_limits<double>::max();

// The keys of Linkerd's ClientConfig that meshd implements.
constexpr std::string_view kClientKeys[] = {
    "loadBalancer",
    "failureAccrual",
    "requestAttemptTimeoutMs",
    "hostConnectionPool",
    "requeueBudget",
    "failFast",
    "tls",
};
// Client keys a later issue will implement (ClientConfig, HttpClientConfig, H2ClientConfig;
// inventory §3.3).
constexpr std::string_view kUnsupportedClientKeys[] = {
    "clientSession",
    "socketOptions",
    "forwardClientCert",
    "requestAuthorizers",
};
// Keys of the clients of h2 routers (inventory §3.3, §13).
constexpr std::string_view kH2ClientKeys[] = {
    "windowUpdateRatio", "headerTableBytes",   "initialStreamWindowBytes",
    "maxFrameBytes",     "maxHeaderListBytes",
};
// The keys of Linkerd's SvcConfig.
constexpr std::string_view kServiceKeys[] = {"totalTimeoutMs", "retries", "responseClassifier"};
// Keys of the services of h2 routers (inventory §3.4, §13).
constexpr std::string_view kH2ServiceKeys[] = {"classificationTimeoutMs", "retryBufferSize"};

std::string quoted(std::string_view key) { return "\"" + std::string{key} + "\""; }

// Reports `key` missing when it has no value (for required keys read afterwards).
void require(MapReader& m, std::string_view key) {
  if (!m.has_value(key)) {
    m.missing(key);
  }
}

// Consumes the keys left in a map whose `kind` was rejected: that error says enough.
void skip_rest(MapReader& m) { static_cast<void>(m.raw()); }

// `backoff` of a failureAccrual or retries object (Linkerd's BackoffConfig), if written.
void decode_backoff(MapReader& parent, std::optional<BackoffConfig>& out) {
  with_map(parent, "backoff", [&](MapReader& m) {
    BackoffConfig& b = out.emplace();
    b.pos = m.pos();
    b.ms.pos = child_pos(b.pos, "ms");
    b.min_ms.pos = child_pos(b.pos, "minMs");
    b.max_ms.pos = child_pos(b.pos, "maxMs");
    auto decode = read_plain_kind(m, registries().backoffs, "backoff kind", b.kind);
    if (decode == nullptr) {
      skip_rest(m);
      return;
    }
    decode(m, b);
  });
}

// `requeueBudget` or `retries.budget` (Linkerd's RetryBudgetConfig), if written. Finagle's
// RetryBudget takes ttl in [1 s, 60 s] and percentCanRetry in [0, 1000].
void decode_budget(MapReader& parent, std::string_view key, std::optional<RetryBudgetConfig>& out) {
  with_map(parent, key, [&](MapReader& m) {
    RetryBudgetConfig& b = out.emplace();
    b.pos = m.pos();
    read_seconds(m, "ttlSecs", b.ttl, 1, 60);
    // An Int in Linkerd: fractions are rejected like any other integer key's.
    Located<int> min_retries{static_cast<int>(b.min_retries_per_sec.value)};
    read_int(m, "minRetriesPerSec", min_retries, 0, INT_MAX);
    b.min_retries_per_sec = {static_cast<double>(min_retries.value), min_retries.pos,
                             min_retries.present};
    read_double(m, "percentCanRetry", b.percent_can_retry, 0, 1000);
  });
}

// `loadBalancer` (Linkerd's LoadBalancerConfig), if written. An absent `kind` is p2c.
void decode_load_balancer(MapReader& parent, std::optional<LoadBalancerConfig>& out) {
  with_map(parent, "loadBalancer", [&](MapReader& m) {
    LoadBalancerConfig& lb = out.emplace();
    lb.pos = m.pos();
    lb.max_effort.pos = child_pos(lb.pos, "maxEffort");
    lb.decay_time.pos = child_pos(lb.pos, "decayTimeMs");
    lb.smooth_window.pos = child_pos(lb.pos, "smoothWindowMs");
    lb.low_load.pos = child_pos(lb.pos, "lowLoad");
    lb.high_load.pos = child_pos(lb.pos, "highLoad");
    lb.min_aperture.pos = child_pos(lb.pos, "minAperture");
    auto decode =
        read_plain_kind(m, registries().load_balancers, "load balancer kind", lb.kind, "p2c");
    read_bool(m, "enableProbation", lb.enable_probation);
    if (decode == nullptr) {
      skip_rest(m);
      return;
    }
    decode(m, lb);
  });
}

// `failureAccrual` (Linkerd's FailureAccrualConfig), if written. `kind` is required.
void decode_failure_accrual(MapReader& parent, std::optional<FailureAccrualConfig>& out) {
  with_map(parent, "failureAccrual", [&](MapReader& m) {
    FailureAccrualConfig& fa = out.emplace();
    fa.pos = m.pos();
    fa.failures.pos = child_pos(fa.pos, "failures");
    fa.success_rate.pos = child_pos(fa.pos, "successRate");
    fa.requests.pos = child_pos(fa.pos, "requests");
    fa.window.pos = child_pos(fa.pos, "window");
    auto decode =
        read_plain_kind(m, registries().failure_accruals, "failure accrual kind", fa.kind);
    decode_backoff(m, fa.backoff);
    if (decode == nullptr) {
      skip_rest(m);
      return;
    }
    decode(m, fa);
  });
}

// `hostConnectionPool` (Linkerd's HostConnectionPool, Finagle's watermark pool), if written.
void decode_host_connection_pool(MapReader& parent, std::optional<HostConnectionPoolConfig>& out) {
  with_map(parent, "hostConnectionPool", [&](MapReader& m) {
    HostConnectionPoolConfig& p = out.emplace();
    p.pos = m.pos();
    read_int(m, "minSize", p.min_size, 0, INT_MAX);
    read_int(m, "maxSize", p.max_size, 1, INT_MAX);
    Located<std::chrono::milliseconds> idle;
    read_millis(m, "idleTimeMs", idle, 0, INT_MAX);
    p.idle_time = {idle.present ? std::optional{idle.value} : std::nullopt, idle.pos, idle.present};
    read_int(m, "maxWaiters", p.max_waiters, 0, INT_MAX);
    if (p.max_size.present && p.max_size.value < p.min_size.value) {
      m.decoder().error(p.max_size.pos, "must be at least minSize (" +
                                            std::to_string(p.min_size.value) + "), got " +
                                            std::to_string(p.max_size.value));
    }
  });
}

// The keys of one client policy: `client` itself (global) or one `configs` entry (static).
void decode_client_policy(MapReader& m, ClientPolicyConfig& out, Protocol protocol) {
  decode_load_balancer(m, out.load_balancer);
  decode_failure_accrual(m, out.failure_accrual);
  read_millis(m, "requestAttemptTimeoutMs", out.request_attempt_timeout, 1, INT_MAX);
  decode_host_connection_pool(m, out.host_connection_pool);
  decode_budget(m, "requeueBudget", out.requeue_budget);
  read_bool(m, "failFast", out.fail_fast);
  if (out.fail_fast.present && out.fail_fast.value) {
    m.decoder().error(out.fail_fast.pos, "\"failFast\" is not supported yet");
  }
  with_map(m, "tls", [&](MapReader& t) { decode_client_tls(t, out.tls.emplace()); });
  if (protocol == Protocol::H2) {
    decode_h2_settings(m, out.h2);
  } else {
    reject_other_protocol_keys(m, kH2ClientKeys, Protocol::H2, out.unsupported);
  }
  for (auto key : kUnsupportedClientKeys) {
    m.unsupported(key, out.unsupported);
  }
}

// `retries` of a service policy, if written.
void decode_retries(MapReader& parent, std::optional<RetriesConfig>& out) {
  with_map(parent, "retries", [&](MapReader& m) {
    RetriesConfig& r = out.emplace();
    r.pos = m.pos();
    decode_budget(m, "budget", r.budget);
    decode_backoff(m, r.backoff);
  });
}

// `responseClassifier` of a service policy, if written. `kind` is required.
void decode_response_classifier(MapReader& parent, std::optional<ResponseClassifierConfig>& out,
                                Protocol protocol) {
  with_map(parent, "responseClassifier", [&](MapReader& m) {
    ResponseClassifierConfig& c = out.emplace();
    c.pos = m.pos();
    c.success_status_codes.pos = child_pos(c.pos, "successStatusCodes");
    c.retryable_status_codes.pos = child_pos(c.pos, "retryableStatusCodes");
    const auto& registry = protocol == Protocol::H2 ? registries().h2_response_classifiers
                                                    : registries().http_response_classifiers;
    auto decode = read_plain_kind(m, registry, "response classifier kind", c.kind);
    if (decode == nullptr) {
      skip_rest(m);
      return;
    }
    decode(m, c);
  });
}

// h2 `retryBufferSize` (Linkerd's RetryBufferSize: Long byte counts), if written.
void decode_retry_buffer_size(MapReader& parent, std::optional<RetryBufferSizeConfig>& out) {
  with_map(parent, "retryBufferSize", [&](MapReader& m) {
    RetryBufferSizeConfig& b = out.emplace();
    b.pos = m.pos();
    read_int(m, "requestBytes", b.request_bytes, 0, INT_MAX);
    read_int(m, "responseBytes", b.response_bytes, 0, INT_MAX);
  });
}

// The keys of one service policy: `service` itself (global) or one `configs` entry (static).
void decode_service_policy(MapReader& m, ServicePolicyConfig& out, Protocol protocol) {
  read_millis(m, "totalTimeoutMs", out.total_timeout, 1, INT_MAX);
  decode_retries(m, out.retries);
  decode_response_classifier(m, out.response_classifier, protocol);
  if (protocol == Protocol::H2) {
    read_millis(m, "classificationTimeoutMs", out.classification_timeout, 0, INT_MAX);
    decode_retry_buffer_size(m, out.retry_buffer_size);
  } else {
    out.classification_timeout.pos = m.key_pos("classificationTimeoutMs");
    reject_other_protocol_keys(m, kH2ServiceKeys, Protocol::H2, out.unsupported);
  }
}

// Positions of the scalar keys of a policy entry that was not written (an absent section).
void place_absent(ClientPolicyConfig& e) {
  e.prefix.pos = child_pos(e.pos, "prefix");
  e.request_attempt_timeout.pos = child_pos(e.pos, "requestAttemptTimeoutMs");
  e.fail_fast.pos = child_pos(e.pos, "failFast");
  H2SettingsConfig& h2 = e.h2;
  h2.initial_stream_window_bytes.pos = child_pos(e.pos, "initialStreamWindowBytes");
  h2.window_update_ratio.pos = child_pos(e.pos, "windowUpdateRatio");
  h2.header_table_bytes.pos = child_pos(e.pos, "headerTableBytes");
  h2.max_frame_bytes.pos = child_pos(e.pos, "maxFrameBytes");
  h2.max_header_list_bytes.pos = child_pos(e.pos, "maxHeaderListBytes");
}

void place_absent(ServicePolicyConfig& e) {
  e.prefix.pos = child_pos(e.pos, "prefix");
  e.total_timeout.pos = child_pos(e.pos, "totalTimeoutMs");
  e.classification_timeout.pos = child_pos(e.pos, "classificationTimeoutMs");
}

// `client` or `service` (`key`): its kind, then the kind's decoder. Absent, it is io.l5d.global
// with one entry that writes nothing.
template <class Section, class Decode>
void decode_section(MapReader& router, std::string_view key, const KindRegistry<Decode>& registry,
                    Section& out) {
  out.pos = router.key_pos(key);
  out.kind.pos = child_pos(out.pos, "kind");
  const bool written = router.has_value(key);
  with_map(router, key, [&](MapReader& m) {
    out.pos = m.pos();
    auto decode =
        read_plain_kind(m, registry, std::string{key} + " kind", out.kind, "io.l5d.global");
    if (decode == nullptr) {
      skip_rest(m);
      return;
    }
    decode(m, out);
  });
  if (!written) {
    auto& entry = out.configs.emplace_back();
    entry.pos = out.pos;
    place_absent(entry);
  }
}

// io.l5d.global: the section itself is the only entry; it has no prefix.
template <class Section, class DecodePolicy>
void decode_global(MapReader& m, Section& out, DecodePolicy decode_policy) {
  auto& entry = out.configs.emplace_back();
  entry.pos = m.pos();
  entry.prefix.pos = child_pos(entry.pos, "prefix");
  for (std::string_view key : {"configs", "prefix"}) {
    if (m.take(key)) {
      m.decoder().error(m.key_pos(key), quoted(key) + " needs \"kind: io.l5d.static\"");
    }
  }
  decode_policy(m, entry);
}

// io.l5d.static: `configs`, a required non-empty list of entries, each with a required
// PathMatcher `prefix`. Policy keys written on the section itself are errors (Linkerd's static
// client has no such keys).
template <class Section, class DecodePolicy>
void decode_static(MapReader& m, Section& out, std::span<const std::string_view> policy_keys,
                   DecodePolicy decode_policy) {
  Decoder& d = m.decoder();
  for (auto key : policy_keys) {
    if (m.take(key)) {
      d.error(m.key_pos(key),
              quoted(key) + " must be set in \"configs\" entries when kind is io.l5d.static");
    }
  }
  const Position pos = m.key_pos("configs");
  auto node = m.take("configs");
  if (!node || is_null(*node)) {
    m.missing("configs");
    return;
  }
  if (!node->IsSequence() || node->size() == 0) {
    d.error(pos, node->IsSequence() ? "at least one config is required"
                                    : "expected a list, got " + describe(*node));
    return;
  }
  std::size_t i = 0;
  for (const auto& item : *node) {
    const std::string path = index(pos.path, i++);
    if (!item.IsMap()) {
      d.error(item.Mark(), path, "expected a map, got " + describe(item));
      continue;
    }
    MapReader im(d, item, path);
    auto& entry = out.configs.emplace_back();
    entry.pos = im.pos();
    require(im, "prefix");
    read_string(im, "prefix", entry.prefix);
    if (entry.prefix.present) {
      check_path_matcher(d, entry.prefix);
    }
    decode_policy(im, entry);
    im.finish();
  }
}

}  // namespace

void decode_client(MapReader& router, ClientConfig& out, Protocol protocol) {
  const auto& r = registries();
  decode_section(router, "client", protocol == Protocol::H2 ? r.h2_clients : r.http_clients, out);
}

void decode_service(MapReader& router, ServiceConfig& out, Protocol protocol) {
  const auto& r = registries();
  decode_section(router, "service", protocol == Protocol::H2 ? r.h2_services : r.http_services,
                 out);
}

void decode_global_client(MapReader& m, ClientConfig& out) {
  decode_global(m, out, [](MapReader& e, ClientPolicyConfig& c) {
    decode_client_policy(e, c, Protocol::Http);
  });
}

void decode_global_h2_client(MapReader& m, ClientConfig& out) {
  decode_global(m, out, [](MapReader& e, ClientPolicyConfig& c) {
    decode_client_policy(e, c, Protocol::H2);
  });
}

void decode_static_client(MapReader& m, ClientConfig& out) {
  // Unsupported keys too: "must be set in configs" is the more useful message for them here.
  std::vector<std::string_view> keys(std::begin(kClientKeys), std::end(kClientKeys));
  keys.insert(keys.end(), std::begin(kUnsupportedClientKeys), std::end(kUnsupportedClientKeys));
  decode_static(m, out, keys, [](MapReader& e, ClientPolicyConfig& c) {
    decode_client_policy(e, c, Protocol::Http);
  });
}

void decode_static_h2_client(MapReader& m, ClientConfig& out) {
  std::vector<std::string_view> keys(std::begin(kClientKeys), std::end(kClientKeys));
  keys.insert(keys.end(), std::begin(kUnsupportedClientKeys), std::end(kUnsupportedClientKeys));
  keys.insert(keys.end(), std::begin(kH2ClientKeys), std::end(kH2ClientKeys));
  decode_static(m, out, keys, [](MapReader& e, ClientPolicyConfig& c) {
    decode_client_policy(e, c, Protocol::H2);
  });
}

void decode_global_service(MapReader& m, ServiceConfig& out) {
  decode_global(m, out, [](MapReader& e, ServicePolicyConfig& c) {
    decode_service_policy(e, c, Protocol::Http);
  });
}

void decode_global_h2_service(MapReader& m, ServiceConfig& out) {
  decode_global(m, out, [](MapReader& e, ServicePolicyConfig& c) {
    decode_service_policy(e, c, Protocol::H2);
  });
}

void decode_static_service(MapReader& m, ServiceConfig& out) {
  decode_static(m, out, kServiceKeys, [](MapReader& e, ServicePolicyConfig& c) {
    decode_service_policy(e, c, Protocol::Http);
  });
}

void decode_static_h2_service(MapReader& m, ServiceConfig& out) {
  std::vector<std::string_view> keys(std::begin(kServiceKeys), std::end(kServiceKeys));
  keys.insert(keys.end(), std::begin(kH2ServiceKeys), std::end(kH2ServiceKeys));
  decode_static(m, out, keys, [](MapReader& e, ServicePolicyConfig& c) {
    decode_service_policy(e, c, Protocol::H2);
  });
}

void decode_p2c_balancer(MapReader& m, LoadBalancerConfig& out) {
  read_int(m, "maxEffort", out.max_effort, 1, INT_MAX);
}

void decode_ewma_balancer(MapReader& m, LoadBalancerConfig& out) {
  read_int(m, "maxEffort", out.max_effort, 1, INT_MAX);
  read_millis(m, "decayTimeMs", out.decay_time, 1, INT_MAX);
}

// Finagle's aperture: the load band must be non-empty and above zero.
void decode_aperture_balancer(MapReader& m, LoadBalancerConfig& out) {
  read_int(m, "maxEffort", out.max_effort, 1, INT_MAX);
  read_millis(m, "smoothWindowMs", out.smooth_window, 1, INT_MAX);
  read_double(m, "lowLoad", out.low_load, 0, kMaxDouble);
  read_double(m, "highLoad", out.high_load, 0, kMaxDouble);
  read_int(m, "minAperture", out.min_aperture, 1, INT_MAX);
  Decoder& d = m.decoder();
  const double low = out.low_load.value;
  const double high = out.high_load.value;
  if (out.low_load.present && low <= 0) {
    d.error(out.low_load.pos, "must be greater than 0, got " + format_double(low));
  } else if (high <= low && out.high_load.present) {
    d.error(out.high_load.pos, "must be greater than lowLoad (" + format_double(low) + "), got " +
                                   format_double(high));
  } else if (high <= low) {
    d.error(out.low_load.pos,
            "must be less than highLoad (" + format_double(high) + "), got " + format_double(low));
  }
}

void decode_heap_balancer(MapReader& /*m*/, LoadBalancerConfig& /*out*/) {}

void decode_round_robin_balancer(MapReader& m, LoadBalancerConfig& out) {
  read_int(m, "maxEffort", out.max_effort, 1, INT_MAX);
}

void decode_consecutive_failures_accrual(MapReader& m, FailureAccrualConfig& out) {
  require(m, "failures");
  read_int(m, "failures", out.failures, 1, INT_MAX);
}

void decode_success_rate_accrual(MapReader& m, FailureAccrualConfig& out) {
  require(m, "successRate");
  require(m, "requests");
  read_double(m, "successRate", out.success_rate, 0, 1);
  read_int(m, "requests", out.requests, 1, INT_MAX);
}

void decode_success_rate_windowed_accrual(MapReader& m, FailureAccrualConfig& out) {
  require(m, "successRate");
  require(m, "window");
  read_double(m, "successRate", out.success_rate, 0, 1);
  read_seconds(m, "window", out.window, 1, INT_MAX);
}

void decode_no_accrual(MapReader& /*m*/, FailureAccrualConfig& /*out*/) {}

void decode_constant_backoff(MapReader& m, BackoffConfig& out) {
  read_millis(m, "ms", out.ms, 0, INT_MAX);
}

// Finagle's decorrelated jitter requires 0 < minMs ≤ maxMs (Linkerd fails at startup otherwise).
void decode_jittered_backoff(MapReader& m, BackoffConfig& out) {
  require(m, "minMs");
  require(m, "maxMs");
  read_millis(m, "minMs", out.min_ms, 1, INT_MAX);
  read_millis(m, "maxMs", out.max_ms, 1, INT_MAX);
  if (out.min_ms.present && out.max_ms.present && out.max_ms.value < out.min_ms.value) {
    m.decoder().error(out.max_ms.pos, "must be at least minMs (" +
                                          std::to_string(out.min_ms.value.count()) + "), got " +
                                          std::to_string(out.max_ms.value.count()));
  }
}

void decode_http_response_classifier(MapReader& /*m*/, ResponseClassifierConfig& /*out*/) {}

}  // namespace meshd::config::detail
