#pragma once

// What the API client and its informers share: the connection-per-request transport (plain or
// TLS, bearer token, 401 re-read), the stop switch every outstanding operation races against,
// the reconnect backoff and the metrics. Control thread only.

#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>

#include "meshd/core/asio.h"
#include "meshd/core/result.h"
#include "meshd/core/timeout.h"
#include "meshd/http/message.h"
#include "meshd/k8s/api_client.h"
#include "meshd/telemetry/registry.h"
#include "meshd/transport/stream.h"

namespace meshd::k8s::detail {

/// Largest body `Connector::fetch` reads (lists), as the header promises.
inline constexpr std::size_t kMaxBodyBytes = 64u << 20;

/// The delay before reconnect attempt `attempt` (1 for the first retry): uniform in
/// [`min`, min(`max`, `min` × 2^(attempt-1))] (exponential with full jitter above the floor, so
/// the request rate under a persistent failure stays below 1/`min` and tends to 2/(`min`+`max`)).
std::chrono::milliseconds backoff_delay(std::uint32_t attempt, std::chrono::milliseconds min,
                                        std::chrono::milliseconds max, std::minstd_rand& rng);

/// `Retry-After` in seconds (the delta form only), or nullopt when absent or an HTTP date.
std::optional<std::chrono::seconds> retry_after(const http::Headers& headers);

/// Percent-encodes a query parameter value (everything but RFC 3986 unreserved characters).
std::string url_encode(std::string_view value);

/// `GET <path>: <status> <reason>: <message of the Status body, or its start>`.
std::string describe_status(std::string_view path, int status, std::string_view body);

/// `metadata.namespace/metadata.name` of an object (`name` alone when cluster-scoped), or ""
/// when it has no name.
std::string object_key(const boost::json::object& object);

/// `metadata.resourceVersion` of an object, or "" when absent.
std::string resource_version(const boost::json::object& object);

/// Reads `body` to its end into `out`, each piece within `timeout`. Errors: those of
/// `http::Body::read`, `errc::timeout`, `errc::body_too_large` past `limit` (`out` then holds
/// what fitted).
asio::awaitable<Result<void>> read_body(http::Body& body, std::string& out, std::size_t limit,
                                        std::chrono::milliseconds timeout);

/// The metrics of one API client (names in api_client.h).
struct ApiMetrics {
  explicit ApiMetrics(telemetry::Scope scope);

  /// `client/status/<code>`, created on first use.
  telemetry::CounterSharedPtr status(int code);

  telemetry::Scope status_scope;
  telemetry::CounterSharedPtr requests, success, failures;
  telemetry::HistogramSharedPtr request_latency_ms;
  telemetry::CounterSharedPtr watch_started, watch_events, watch_bookmarks, watch_errors,
      watch_relists, watch_gone, watch_reconnects;
  telemetry::GaugeSharedPtr watch_active, informers;
  std::map<int, telemetry::CounterSharedPtr> statuses;
};

/// The transport shared by an `ApiClient` and its informers. Control thread only.
class Connector {
 public:
  Connector(asio::io_context& control, ApiConfig config, telemetry::Scope scope);

  /// Sends `GET target` and reads the response head within `request_timeout`; the body streams
  /// (it owns the connection). In TLS mode sends the bearer token and, on a 401, re-reads the
  /// token file and tries once more. Errors: `errc::connect_failed`, `errc::timeout`,
  /// `errc::tls_handshake_failed`, `errc::upstream_reset`, `errc::protocol_error`, I/O errors,
  /// `operation_aborted` once stopped; `failure` (if given) gets a sentence naming what failed.
  asio::awaitable<Result<http::Response>> open(std::string target, std::string* failure);

  /// `open` plus the whole body (at most `kMaxBodyBytes`, each read within `request_timeout`);
  /// `headers` (if given) gets the response's header fields.
  asio::awaitable<Result<ApiResponse>> fetch(std::string target, std::string* failure,
                                             http::Headers* headers = nullptr);

  /// Runs `op` until it completes or `stop()` is called, whichever is first; a stopped op is
  /// cancelled (terminal) and `operation_aborted` is returned. The caller's frame must keep this
  /// connector alive.
  template <class T>
  asio::awaitable<Result<T>> until_stopped(asio::awaitable<Result<T>> op);

  /// Waits `d`; `operation_aborted` if cancelled or stopped meanwhile. Meant inside
  /// `until_stopped`, which is what interrupts it.
  asio::awaitable<Result<void>> sleep(std::chrono::milliseconds d);

  /// The next reconnect delay for `attempt` (see `backoff_delay`).
  std::chrono::milliseconds backoff(std::uint32_t attempt);

  /// Ends every `until_stopped` operation; later ones end at once. Idempotent.
  void stop();
  bool stopped() const noexcept { return stopped_; }

  const ApiConfig& config() const noexcept { return config_; }
  ApiMetrics& metrics() noexcept { return metrics_; }
  asio::io_context& control() noexcept { return control_; }

 private:
  asio::awaitable<Result<http::Response>> open_once(const std::string& target, bool fresh_token,
                                                    std::string* failure);
  asio::awaitable<Result<transport::StreamPtr>> connect(std::string* failure);
  http::Request make_request(const std::string& target, const std::string* token) const;
  /// The bearer token, re-read when older than `token_reread` or when `force`; nullptr (and
  /// `failure` set) when the file cannot be read.
  const std::string* token(bool force, std::string* failure);

  asio::io_context& control_;
  ApiConfig config_;
  ApiMetrics metrics_;
  std::minstd_rand rng_;
  std::string token_;
  std::optional<std::chrono::steady_clock::time_point> token_read_at_;
  bool stopped_ = false;
  std::set<asio::steady_timer*> stop_timers_;  // one per `until_stopped` in progress
};

/// Creates the informer of `ref` and starts its list+watch loop on the connector's `io_context`;
/// the loop ends when the connector stops.
InformerSharedPtr start_informer(std::shared_ptr<Connector> connector, ResourceRef ref);

template <class T>
asio::awaitable<Result<T>> Connector::until_stopped(asio::awaitable<Result<T>> op) {
  if (stopped_) {
    co_return make_error_code(asio::error::operation_aborted);
  }
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(control_, asio::steady_timer::time_point::max());
  // Erased however the frame ends, including its destruction with the io_context.
  struct Registration {
    std::set<asio::steady_timer*>& timers;
    asio::steady_timer* timer;
    ~Registration() { timers.erase(timer); }
  } registration{stop_timers_, &timer};
  stop_timers_.insert(&timer);
  auto r = co_await (std::move(op) || timer.async_wait(use_nothrow));
  if (r.index() == 0) {
    co_return std::move(std::get<0>(r));
  }
  co_return make_error_code(asio::error::operation_aborted);
}

}  // namespace meshd::k8s::detail
