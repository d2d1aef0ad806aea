// Resolution of a router's `client` and `service` sections (inventory §3.3, §3.4): the policy of
// one name is the defaults overridden, in file order, by every entry whose prefix matches it
// (Linkerd's `PerClientParams.paramsFor` / `PerPathParams`). A written top-level key replaces the
// whole value; inside a written object, the keys it does not write take their defaults.

#include "meshd/router/policy.h"

#include <string_view>
#include <utility>

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

filters::ClassifierKind to_classifier(std::string_view kind) {
  using K = filters::ClassifierKind;
  constexpr std::pair<std::string_view, K> kKinds[] = {
      {"io.l5d.http.retryableRead5XX", K::RetryableRead5XX},
      {"io.l5d.http.retryableIdempotent5XX", K::RetryableIdempotent5XX},
      {"io.l5d.http.retryableAll5XX", K::RetryableAll5XX},
      {"io.l5d.http.allSuccessful", K::AllSuccessful},
  };
  for (const auto& [name, k] : kKinds) {
    if (name == kind) {
      return k;
    }
  }
  return K::NonRetryable5XX;  // io.l5d.http.nonRetryable5XX, Linkerd's default
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
    out.classifier = to_classifier(c.response_classifier->kind.value);
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
}

// The matcher of a static entry; nullopt for the global one, which matches every name.
std::optional<naming::PathMatcher> matcher(const config::Located<std::string>& prefix) {
  if (!prefix.present) {
    return std::nullopt;
  }
  return naming::PathMatcher{prefix.value};
}

// Applies, in order, every entry of `entries` that matches `name`.
template <class Entries, class Policy>
Policy resolve(const Entries& entries, const dtab::Path& name) {
  Policy out;
  for (const auto& e : entries) {
    if (!e.prefix || e.prefix->extract(name)) {
      apply(e.config, out);
    }
  }
  return out;
}

}  // namespace

PolicyTable PolicyTable::from_config(const config::RouterConfig& router) {
  PolicyTable table;
  for (const auto& c : router.service.configs) {
    table.services_.push_back(ServiceEntry{matcher(c.prefix), c});
  }
  for (const auto& c : router.client.configs) {
    table.clients_.push_back(ClientEntry{matcher(c.prefix), c});
  }
  return table;
}

ServicePolicy PolicyTable::service(const dtab::Path& name) const {
  return resolve<decltype(services_), ServicePolicy>(services_, name);
}

ClientPolicy PolicyTable::client(const dtab::Path& id) const {
  return resolve<decltype(clients_), ClientPolicy>(clients_, id);
}

}  // namespace meshd::router
