#pragma once

#include <chrono>
#include <climits>
#include <memory>
#include <optional>
#include <vector>

#include "meshd/config/model.h"
#include "meshd/core/backoff.h"
#include "meshd/dtab/path.h"
#include "meshd/filters/classifier.h"
#include "meshd/filters/retry_budget.h"
#include "meshd/http2/settings.h"
#include "meshd/lb/balancer.h"
#include "meshd/naming/path_matcher.h"
#include "meshd/transport/tls_client.h"

namespace meshd::router {

/// What a logical name's requests get (`service`, inventory §3.4), resolved.
struct ServicePolicy {
  std::optional<std::chrono::milliseconds> total_timeout;  ///< `totalTimeoutMs`
  filters::RetryBudgetOptions retry_budget;                ///< `retries.budget`
  BackoffOptions retry_backoff;                            ///< `retries.backoff`: constant 0
  /// `responseClassifier`: io.l5d.http.nonRetryable5XX by default (io.l5d.h2.nonRetryable5XX
  /// on h2 routers).
  filters::ClassifierOptions classifier;
  /// h2 routers: `classificationTimeoutMs`, how long a retry decision may wait for the end of a
  /// response (its grpc-status trailers).
  std::chrono::milliseconds classification_timeout{100};
  /// h2 routers: `retryBufferSize`, the request and response bytes kept so that an attempt can
  /// be retried.
  std::size_t retry_request_bytes = 16383;
  std::size_t retry_response_bytes = 16383;
};

/// `hostConnectionPool`, resolved (per endpoint, for the whole process).
struct HostPoolPolicy {
  int min_size = 0;
  int max_size = INT_MAX;
  std::optional<std::chrono::milliseconds> idle_time;  ///< nullopt: the pool's default
  int max_waiters = INT_MAX;
};

/// `client.tls`, resolved for one bound id.
struct ClientTlsPolicy {
  transport::TlsClientContextSharedPtr context;  ///< shared by every client of the config
  /// `commonName` with the `{captures}` of the config's prefix filled in from the bound id;
  /// "" when none was written (`disableValidation`).
  std::string server_name;
};

/// What a bound id's client gets (`client`, inventory §3.3), resolved.
struct ClientPolicy {
  lb::BalancerOptions load_balancer;
  lb::AccrualOptions failure_accrual;
  std::optional<std::chrono::milliseconds> request_attempt_timeout;
  HostPoolPolicy host_connection_pool;
  filters::RetryBudgetOptions requeue_budget;
  std::optional<ClientTlsPolicy> tls;  ///< nullopt: plaintext
  /// h2 routers: the client's HTTP/2 settings keys (the codec's defaults unless written).
  http2::Settings h2;
};

/// A router's `service` and `client` sections, ready to resolve names: io.l5d.global applies
/// its keys to every name; io.l5d.static applies, in file order, every config whose `prefix`
/// (a PathMatcher) matches the name, later ones overriding earlier ones key by key (a key is a
/// top-level key of the config: `loadBalancer`, `failureAccrual`, `retries.budget`,
/// `retries.backoff`, …). Immutable once built; shared by the workers.
class PolicyTable {
 public:
  /// Defaults only (no `service`/`client` written).
  PolicyTable() = default;
  /// From a validated router config (`config::load` has checked every value and prefix).
  /// Loads the files of every `client.tls` (trust bundles, client certificates): a file that
  /// cannot be used appends `<config path>.tls: <reason>` to `errors` (when not null) and
  /// leaves that config's clients without a context, so their connections fail.
  static PolicyTable from_config(const config::RouterConfig& router,
                                 std::vector<std::string>* errors = nullptr);

  /// The policy of logical name `name` (`/svc/hello`).
  ServicePolicy service(const dtab::Path& name) const;
  /// The policy of bound id `id` (`/#/io.l5d.fs/hello`, `/%/io.l5d.port/4141/#/…`).
  ClientPolicy client(const dtab::Path& id) const;

 private:
  struct ServiceEntry {
    std::optional<naming::PathMatcher> prefix;  ///< nullopt: matches everything (global)
    config::ServicePolicyConfig config;
  };
  struct ClientEntry {
    std::optional<naming::PathMatcher> prefix;
    config::ClientPolicyConfig config;
    transport::TlsClientContextSharedPtr tls;  ///< when `config.tls` is written and enabled
  };
  std::vector<ServiceEntry> services_;
  std::vector<ClientEntry> clients_;
  bool h2_ = false;  ///< an h2 router: h2 default classifier, ALPN h2 over TLS
};

using PolicyTableConstSharedPtr = std::shared_ptr<const PolicyTable>;

}  // namespace meshd::router
