// Resolution of a router's `client` and `service` sections (inventory §3.3, §3.4): the policy of
// one name is the defaults overridden, in file order, by every entry whose prefix matches it
// (Linkerd's `PerClientParams.paramsFor` / `PerPathParams`). A written top-level key replaces the
// whole value; inside a written object, the keys it does not write take their defaults.

#include "meshd/router/policy.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace meshd::router {
namespace {

BackoffOptions to_backoff(const config::BackoffConfig& b) {
  if (b.kind.value == "jittered") {
    return BackoffOptions{BackoffOptions::Kind::DecorrelatedJittered, b.min_ms.value,
                          b.max_ms.value};
  }
  // `constant`: the same delay every time; `max` says so too for whoever reads it.
  return BackoffOptions{BackoffOptions::Kind::Constant, b.ms.value, b.ms.value};
}

filters::RetryBudgetOptions to_budget(const config::RetryBudgetConfig& b) {
  return filters::RetryBudgetOptions{b.ttl.value, b.min_retries_per_sec.value,
                                     b.percent_can_retry.value};
}

filters::ClassifierOptions to_classifier(const config::ResponseClassifierConfig& c) {
  filters::ClassifierOptions out;
  // config::load has checked the kind; an unknown one cannot reach here.
  out.kind = filters::parse_classifier_kind(c.kind.value).value_or(out.kind);
  out.success_status_codes = c.success_status_codes.value;
  out.retryable_status_codes = c.retryable_status_codes.value;
  return out;
}

void apply_h2(const config::H2SettingsConfig& c, http2::Settings& out) {
  if (c.initial_stream_window_bytes.value) {
    out.initial_stream_window = static_cast<std::uint32_t>(*c.initial_stream_window_bytes.value);
  }
  if (c.window_update_ratio.value) {
    out.window_update_ratio = *c.window_update_ratio.value;
  }
  if (c.header_table_bytes.value) {
    out.header_table_bytes = static_cast<std::uint32_t>(*c.header_table_bytes.value);
  }
  if (c.max_frame_bytes.value) {
    out.max_frame_bytes = static_cast<std::uint32_t>(*c.max_frame_bytes.value);
  }
  if (c.max_header_list_bytes.value) {
    out.max_header_list_bytes = static_cast<std::uint32_t>(*c.max_header_list_bytes.value);
  }
}

lb::BalancerOptions to_balancer(const config::LoadBalancerConfig& c) {
  using K = lb::BalancerOptions::Kind;
  constexpr std::pair<std::string_view, K> kKinds[] = {
      {"ewma", K::Ewma},
      {"aperture", K::Aperture},
      {"heap", K::Heap},
      {"roundRobin", K::RoundRobin},
  };
  lb::BalancerOptions out;  // p2c unless another kind is named
  for (const auto& [name, k] : kKinds) {
    if (name == c.kind.value) {
      out.kind = k;
    }
  }
  // The model holds Linkerd's defaults for unwritten keys, and keys of other kinds unwritten.
  out.max_effort = c.max_effort.value;
  out.decay_time = c.decay_time.value;
  out.smooth_window = c.smooth_window.value;
  out.low_load = c.low_load.value;
  out.high_load = c.high_load.value;
  out.min_aperture = c.min_aperture.value;
  out.enable_probation = c.enable_probation.value;
  return out;
}

lb::AccrualOptions to_accrual(const config::FailureAccrualConfig& c) {
  using K = lb::AccrualOptions::Kind;
  constexpr std::pair<std::string_view, K> kKinds[] = {
      {"io.l5d.consecutiveFailures", K::ConsecutiveFailures},
      {"io.l5d.successRate", K::SuccessRate},
      {"io.l5d.successRateWindowed", K::SuccessRateWindowed},
      {"none", K::None},
  };
  lb::AccrualOptions out;  // its backoff is Linkerd's default, equal jitter 5 s–300 s
  for (const auto& [name, k] : kKinds) {
    if (name == c.kind.value) {
      out.kind = k;
    }
  }
  out.failures = c.failures.value;
  out.success_rate = c.success_rate.value;
  out.requests = c.requests.value;
  out.window = c.window.value;
  if (c.backoff) {
    out.backoff = to_backoff(*c.backoff);
  }
  return out;
}

HostPoolPolicy to_pool(const config::HostConnectionPoolConfig& c) {
  return HostPoolPolicy{c.min_size.value, c.max_size.value, c.idle_time.value, c.max_waiters.value};
}

// Overrides in `out` the keys `c` wrote.
void apply(const config::ServicePolicyConfig& c, ServicePolicy& out) {
  if (c.total_timeout.present) {
    out.total_timeout = c.total_timeout.value;
  }
  if (c.retries && c.retries->budget) {
    out.retry_budget = to_budget(*c.retries->budget);
  }
  if (c.retries && c.retries->backoff) {
    out.retry_backoff = to_backoff(*c.retries->backoff);
  }
  if (c.response_classifier) {
    out.classifier = to_classifier(*c.response_classifier);
  }
  if (c.classification_timeout.present) {
    out.classification_timeout = c.classification_timeout.value;
  }
  if (c.retry_buffer_size) {
    out.retry_request_bytes = static_cast<std::size_t>(c.retry_buffer_size->request_bytes.value);
    out.retry_response_bytes = static_cast<std::size_t>(c.retry_buffer_size->response_bytes.value);
  }
}

void apply(const config::ClientPolicyConfig& c, ClientPolicy& out) {
  if (c.load_balancer) {
    out.load_balancer = to_balancer(*c.load_balancer);
  }
  if (c.failure_accrual) {
    out.failure_accrual = to_accrual(*c.failure_accrual);
  }
  if (c.request_attempt_timeout.present) {
    out.request_attempt_timeout = c.request_attempt_timeout.value;
  }
  if (c.host_connection_pool) {
    out.host_connection_pool = to_pool(*c.host_connection_pool);
  }
  if (c.requeue_budget) {
    out.requeue_budget = to_budget(*c.requeue_budget);
  }
  apply_h2(c.h2, out.h2);
}

// The client TLS context of `tls` (enabled), or null with the reasons appended to `errors`.
transport::TlsClientContextSharedPtr make_tls(const config::ClientTlsConfig& tls, bool h2,
                                              std::vector<std::string>* errors) {
  transport::TlsClientContextOptions o;
  if (h2) {
    o.alpn = {"h2"};  // Finagle's h2 client negotiates h2 by ALPN over TLS
  }
  o.verify = !tls.disable_validation.value;
  if (tls.trust_certs_bundle.present) {
    o.trust_files.push_back(tls.trust_certs_bundle.value);
  }
  for (const auto& f : tls.trust_certs) {
    o.trust_files.push_back(f.value);
  }
  if (tls.client_auth) {
    o.cert_path = tls.client_auth->cert_path.value;
    o.key_path = tls.client_auth->key_path.value;
    o.intermediate_certs_path = tls.client_auth->intermediate_certs_path.value;
  }
  for (const auto& p : tls.protocols) {
    o.protocols.push_back(p.value);
  }
  std::vector<std::string> why;
  auto context = transport::TlsClientContext::create(std::move(o), why);
  if (errors != nullptr) {
    for (auto& w : why) {
      errors->push_back(tls.pos.path + ": " + w);
    }
  }
  return context;
}

// The matcher of a static entry; nullopt for the global one, which matches every name.
std::optional<naming::PathMatcher> matcher(const config::Located<std::string>& prefix) {
  if (!prefix.present) {
    return std::nullopt;
  }
  return naming::PathMatcher{prefix.value};
}

}  // namespace

PolicyTable PolicyTable::from_config(const config::RouterConfig& router,
                                     std::vector<std::string>* errors) {
  PolicyTable table;
  table.h2_ = router.protocol.value == "h2";
  for (const auto& c : router.service.configs) {
    table.services_.push_back(ServiceEntry{matcher(c.prefix), c});
  }
  for (const auto& c : router.client.configs) {
    transport::TlsClientContextSharedPtr tls;
    if (c.tls && c.tls->enabled.value) {
      tls = make_tls(*c.tls, table.h2_, errors);
    }
    table.clients_.push_back(ClientEntry{matcher(c.prefix), c, std::move(tls)});
  }
  return table;
}

ServicePolicy PolicyTable::service(const dtab::Path& name) const {
  ServicePolicy out;
  if (h2_) {
    out.classifier.kind = filters::ClassifierKind::H2NonRetryable5XX;
  }
  for (const auto& e : services_) {
    if (!e.prefix || e.prefix->extract(name)) {
      apply(e.config, out);
    }
  }
  return out;
}

ClientPolicy PolicyTable::client(const dtab::Path& id) const {
  ClientPolicy out;
  for (const auto& e : clients_) {
    std::optional<naming::PathMatcher::Captures> captures;
    if (e.prefix) {
      captures = e.prefix->extract(id);
      if (!captures) {
        continue;
      }
    }
    apply(e.config, out);
    if (!e.config.tls) {
      continue;
    }
    if (!e.config.tls->enabled.value) {
      out.tls.reset();  // `enabled: false` overrides a broader prefix's TLS
      continue;
    }
    // The captures are this config's own: `{service}` in its commonName names what its prefix
    // matched (Linkerd's PerClientParams).
    out.tls = ClientTlsPolicy{
        e.tls, captures ? naming::PathMatcher::substitute(e.config.tls->common_name.value, *captures)
                        : e.config.tls->common_name.value};
  }
  return out;
}

}  // namespace meshd::router
