#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "meshd/dtab/bind.h"
#include "meshd/dtab/dtab.h"
#include "meshd/filters/classifier.h"
#include "meshd/http1/server.h"
#include "meshd/router/endpoint_pool.h"
#include "meshd/router/identifier.h"
#include "meshd/router/lru_cache.h"
#include "meshd/router/policy.h"
#include "meshd/router/stats.h"
#include "meshd/router/stream_watch.h"
#include "meshd/telemetry/access_log.h"
#include "meshd/trace/trace.h"

namespace meshd::router {

/// Binds a logical name through `dtab` (the naming module's interpreter). Thread-safe.
using BindFn = std::function<dtab::Activity<dtab::NameTree<dtab::BoundName>>(
    const dtab::Dtab& dtab, const dtab::Path& path)>;

/// What a router needs at run time, built once from its config and shared read-only by all
/// workers.
struct RouterOptions {
  std::string label;
  /// `protocol: h2`: endpoints get one HTTP/2 session each (`pool.h2`), and failures without
  /// a response become stream resets as Linkerd's h2 ErrorReseter does (see `route`).
  bool h2 = false;
  dtab::Dtab base_dtab;
  std::vector<IdentifierConstSharedPtr> identifiers;
  BindFn bind;
  /// Moves whenever any namer's state changes; cached bindings are redone when it does.
  std::function<std::uint64_t()> generation;
  /// Connection settings every client starts from (`hostConnectionPool` adjusts them).
  PoolOptions pool;
  /// `service` and `client` policies by name.
  PolicyTableConstSharedPtr policies = std::make_shared<const PolicyTable>();
  /// Worker threads sharing this router: per-worker budgets and pools take 1/workers of the
  /// configured reserve and sizes, so the process as a whole does what the config says.
  std::size_t workers = 1;
  /// `bindingTimeoutMs`: how long a request waits for a Pending name before a 502.
  std::chrono::milliseconds binding_timeout{10000};
  /// `bindingCache`: per worker, at most `paths` cached bindings (logical name + local dtab)
  /// and service scopes, at most `clients` clients; anything unused for `idle_ttl` is dropped
  /// with its connections (and its metrics once no worker uses it).
  struct CacheOptions {
    std::size_t paths = 1000;
    std::size_t clients = 1000;
    std::chrono::seconds idle_ttl{600};
  } cache;
  std::size_t max_header_bytes = 8 * 1024;  ///< maxHeadersKB, also the `l5d-err` cap
  /// `streamAfterContentLengthKB` in bytes: request bodies up to this size are kept for replay
  /// (retries); larger and chunked ones stream and are never retried.
  std::size_t retry_buffer_bytes = 5 * 1024;
  /// `tracePropagator`: how trace context is read from requests and written to endpoints.
  std::shared_ptr<const trace::Propagator> propagator = trace::make_propagator("io.l5d.default");
  /// The telemeters that take spans; none by default (context is still propagated).
  trace::TracerConstSharedPtr tracer = std::make_shared<const trace::Tracer>();
  /// `httpAccessLog`; null: none.
  telemetry::AccessLogSharedPtr access_log;
};

/// What routing decided for a request, for the server's span: filled by `RouterWorker::route`.
/// What routing decided about a request, for its server span.
struct RouteDetails {
  std::string service;     ///< logical name, when identified
  std::string client;      ///< bound id of the last try, when bound
  std::string residual;    ///< residual path of the last try, when not empty
  std::string dtab_local;  ///< the request's local dtab, shown
  http::FailureStage failure_stage = http::FailureStage::None;
  std::string failure_detail;
};

/// What `route` tells its caller besides the response.
struct RouteNotes {
  /// Filled in as routing ends, when given: only the server span reads it, so an untraced
  /// request builds none of its texts (and its frame holds none of them).
  RouteDetails* details = nullptr;
  /// h2: the response's class waits for the end of its stream (its trailers); the router then
  /// appends `l5d-success-class` as a trailer instead of setting it in the head.
  bool classified_at_end = false;
  /// When the router was done with the request (its last try's end), for the server's
  /// latency; unset when the router did not say.
  std::chrono::steady_clock::time_point finished{};
};

using RouterOptionsConstSharedPtr = std::shared_ptr<const RouterOptions>;

/// A router's state on one worker: binding cache, services (stats, policy, retry budget),
/// clients (one per bound id: a load balancer over its endpoints, failure accrual, connection
/// pools). Worker-local.
class RouterWorker {
 public:
  RouterWorker(RouterOptionsConstSharedPtr options, RouterStats& stats);
  ~RouterWorker();

  /// Identifies, binds and forwards `req` through Linkerd's path stack (service stats, total
  /// timeout and deadline, classified retries under the service's budget) and client stack
  /// (balancer, failure accrual, requeues, attempt timeout), and decorates the response as
  /// Linkerd does. Never fails but for the client leaving: routing errors become Linkerd's
  /// error responses. Runs on the worker's executor; cancellation abandons the upstream
  /// exchange. On h2 routers (Linkerd's ErrorReseter) an unknown destination fails with
  /// `errc::identification_failed` (the codec answers RST_STREAM REFUSED_STREAM), a name bound
  /// to nothing or an endpoint that cannot be reached is a 502 response, and every other
  /// failure (timeouts, resets) is returned as its error (RST_STREAM INTERNAL_ERROR).
  /// `req` is the caller's and must outlive the call (routing changes its fields and context;
  /// a retry sends it again): taken by reference, it is not moved into this coroutine's frame.
  /// `notes`, when given, receives what routing decided (it must outlive the call).
  asio::awaitable<Result<http::Response>> route(http::Request& req, RouteNotes* notes = nullptr);

  class RouteState;
  /// `route` in steps, for a caller that awaits the dispatch in its own coroutine (the server:
  /// one frame, and one move of the response, less per request). `route_begin` identifies the
  /// request and starts its service's bookkeeping in `state`, or answers it at once (puts the
  /// answer in `rsp` and returns true); else the caller awaits `route_dispatch` and hands what
  /// it got to `route_end`, which makes it what `route` returns. Then `route_notes` fills
  /// `notes`. `state` must outlive the dispatch; dropping it ends the bookkeeping (as a
  /// cancelled `route` does). (The answer goes to the caller's `rsp`, not to a value returned:
  /// a coroutine's frame keeps every named local, so that would be one more response in it.)
  bool route_begin(http::Request& req, RouteState& state, Result<http::Response>& rsp);
  /// Puts the outcome in `rsp`, which the caller keeps (its own frame's variable: the response
  /// is not moved up through the dispatch). Fails only with the request's own timeout, the
  /// outcome then being whatever `rsp` holds: the caller replaces it with the error.
  asio::awaitable<Result<void>> route_dispatch(http::Request& req, RouteState& state,
                                               Result<http::Response>& rsp);
  void route_end(http::Request& req, RouteState& state, Result<http::Response>& rsp,
                 RouteNotes* notes);
  void route_notes(const http::Request& req, RouteNotes* notes) const;

  const RouterOptions& options() const noexcept { return *options_; }

  /// Housekeeping from the worker's tick: at most once a second, drops the cached bindings,
  /// services and clients unused for `cache.idle_ttl` and refreshes the balancer and budget
  /// gauges.
  void tick(std::chrono::steady_clock::time_point now);

  /// Drops every cached binding, service and client, closing their idle connections. Call on
  /// the worker's thread, or once it has stopped, before its io_context is destroyed (sockets
  /// must go before the reactor they are registered with).
  void clear();

  /// Sizes of this worker's caches (tests and diagnostics).
  struct CacheSizes {
    std::size_t bindings, services, clients;
  };
  CacheSizes cache_sizes() const noexcept {
    return {bindings_.size(), services_.size(), clients_.size()};
  }

 private:
  struct Service;
  struct Client;
  struct Endpoint;
  using ServiceSharedPtr = std::shared_ptr<Service>;
  using ClientSharedPtr = std::shared_ptr<Client>;
  using EndpointSharedPtr = std::shared_ptr<Endpoint>;

  struct CachedBinding {
    std::uint64_t generation = 0;
    dtab::Activity<dtab::NameTree<dtab::BoundName>> tree;
  };

  using BoundTree = dtab::Activity<dtab::NameTree<dtab::BoundName>>;
  using TimePoint = std::chrono::steady_clock::time_point;

  /// The service classifier's verdict on a response, handed from the layer that judged it to
  /// the layers above so that each does not classify the same response again. `known` false:
  /// not judged (the caller classifies); `cls` empty: an h2 response judged at its end.
  struct Verdict {
    bool known = false;
    std::optional<filters::ResponseClass> cls;
    /// When the try that was judged ended (the clock read for its stats, reused by the layers
    /// above for theirs); unset when no try ended.
    TimePoint at{};
  };

 public:
  /// What routing keeps of a request while it is dispatched (see `route_begin`).
  class RouteState {
   public:
    RouteState() = default;
    RouteState(const RouteState&) = delete;
    RouteState& operator=(const RouteState&) = delete;

   private:
    friend class RouterWorker;
    ServiceSharedPtr service;
    std::optional<PendingGuard> pending;
    std::optional<StreamWatch::Handle> watch;
    TimePoint start{};
    std::optional<TimePoint> due;  ///< the answer is due (totalTimeoutMs, the caller's deadline)
    bool chunked = false;
    Verdict judged;
  };

 private:
  // Path stack (forward.cc).
  /// Retries under the service's budget; `start` is when the request reached the router. The
  /// outcome goes to `rsp` (the caller's: a response is not moved up through this frame) and
  /// its class to `*verdict`; the result is always a success.
  asio::awaitable<Result<void>> dispatch(http::Request& req, Service& service, TimePoint start,
                                         Verdict* verdict, Result<http::Response>& rsp);
  /// `dispatch` bounded by `due` (none: unbounded; already past: `errc::timeout` at once).
  asio::awaitable<Result<void>> dispatch_within(http::Request& req, Service& service,
                                                TimePoint start, std::optional<TimePoint> due,
                                                Verdict* verdict, Result<http::Response>& rsp);
  /// An awaitable that fails with `ec` at once.
  template <class T>
  static asio::awaitable<Result<T>> fail_with(boost::system::error_code ec) {
    co_return ec;
  }
  /// One try on one of a client's endpoints, in two steps around the exchange that dispatch
  /// awaits in its own frame (forward.cc).
  struct AttemptState;
  /// Picks an endpoint of `held` and starts a try on it in `a`: its deadline and trace
  /// headers, in-flight and pending counts, stream watch. `requeues`: tries of this attempt
  /// before (requeued connection failures); `now`: the time just read by the caller, or unset.
  /// False, with `errc::no_route` in `rsp`, when the balancer has no endpoint. Clears
  /// `*verdict`.
  bool attempt_begin(http::Request& req, const ClientSharedPtr& held, int requeues, TimePoint now,
                     Verdict* verdict, AttemptState& a, Result<http::Response>& rsp);
  /// Ends the try `a` with its outcome `rsp`: its class into `*verdict`, its stats, span and
  /// failure accrual (at the end of the stream for an h2 response still streaming). True when
  /// the request is requeued (a connection that could not be made, within the requeue budget):
  /// the caller then begins another try.
  bool attempt_end(http::Request& req, Service& service, const ClientSharedPtr& held, int requeues,
                   AttemptState& a, Result<http::Response>& rsp, Verdict* verdict);
  /// What is left to record of one try once its class is known (at the response head, or at
  /// the end of an h2 response stream): failure accrual, the client's and its per-service
  /// request stats (forward.cc).
  struct PendingTry;
  /// Records `t`'s outcome at `now`; `judged` false for a try that says nothing about the
  /// endpoint's health (the balancer forgets it).
  void finish_try(PendingTry& t, TimePoint now, bool ok, bool judged);
  /// Builds and records the client span of one try (when the trace is sampled).
  void trace_try(const TraceId& id, const http::Request& req, const Client& client,
                 const Endpoint& endpoint, const Result<http::Response>& rsp,
                 filters::ResponseClass verdict,
                 std::chrono::system_clock::time_point started) const;
  /// `exchange_on`, bounded by `timeout` (requestAttemptTimeoutMs) when there is one: fails
  /// only with that timeout, the caller then replacing whatever `rsp` holds with it.
  asio::awaitable<Result<void>> exchange_within(http::Request& req, Endpoint& endpoint,
                                                Client& client,
                                                std::optional<std::chrono::milliseconds> timeout,
                                                Result<http::Response>& rsp, int sent = 0);
  /// One try on `endpoint`: `exchange_h1` or `exchange_h2` by the router's protocol. The
  /// outcome goes to `rsp` (the caller's, so that a response is not moved up through this
  /// frame); the result is always a success. `sent`: h2 streams of this try sent already
  /// (by `dispatch`), whose refusal is why it runs.
  asio::awaitable<Result<void>> exchange_on(http::Request& req, Endpoint& endpoint, Client& client,
                                            Result<http::Response>& rsp, int sent = 0);
  /// `exchange_on` for HTTP/1 routers: a pooled connection (a stale one is replaced once).
  asio::awaitable<Result<void>> exchange_h1(http::Request& req, Endpoint& endpoint, Client& client,
                                            Result<http::Response>& rsp);
  /// The error of a request whose connection (or h2 session) could not be had, with Linkerd's
  /// text in `req.ctx.failure_detail`: `errc::connect_failed`, `errc::overloaded`, or
  /// `operation_aborted` as it is.
  [[gnu::cold]] boost::system::error_code acquisition_failed(http::Request& req,
                                                             const EndpointPool& pool,
                                                             const Client& client,
                                                             boost::system::error_code ec) const;
  /// The end of an exchange, in place: a response stripped of hop-by-hop headers with Via
  /// appended, or the failure described (`detail` from the codec) in `req.ctx`.
  void finish_exchange(http::Request& req, const EndpointPool& pool, Result<http::Response>& rsp,
                       const std::string& detail) const;
  /// `exchange_on` for h2 routers: a stream on the endpoint's session. A stream refused
  /// unprocessed is sent again once in all, counting the `sent` ones before.
  asio::awaitable<Result<void>> exchange_h2(http::Request& req, Endpoint& endpoint, Client& client,
                                            Result<http::Response>& rsp, int sent = 0);
  /// The end of an h2 stream's exchange with its outcome in `rsp`, the `attempt`th of its try
  /// (from 0): true when the try is over (`finish_exchange` done); false when the stream is to
  /// be sent again, refused with nothing of it consumed the first time.
  bool h2_try_over(http::Request& req, const EndpointPool& pool, Result<http::Response>& rsp,
                   const http2::ExchangeFailure& failure, int attempt) const;
  /// Between a failed try and the next: drains a small response (its connection is then
  /// reused) or drops it, then waits out the backoff. A coroutine of its own, so that what it
  /// holds (a timer, the response) is not in the frame of every request's `dispatch`.
  asio::awaitable<void> before_retry(Result<http::Response>& failed, Backoff& backoff);

  // Binding (router_worker.cc).
  /// Binds the request's name, picks a leaf of the tree (unions by weight) and returns its
  /// client, setting `l5d-dst-client` and `l5d-dst-residual`; synchronous (the interpreter only
  /// reads snapshots). Sets `*wait` instead when the name or its addresses are still Pending.
  /// Errors (`errc::no_route`, `errc::binding_failed`) carry Linkerd's text in
  /// `req.ctx.failure_detail`.
  Result<ClientSharedPtr> resolve_now(http::Request& req, TimePoint now, bool* wait);
  /// `resolve_now` again as time passes, for a Pending name, bounded by bindingTimeoutMs.
  asio::awaitable<Result<ClientSharedPtr>> resolve_pending(http::Request& req);
  static std::string binding_key(const std::string& name, const dtab::Dtab& local);
  /// The binding of `dst` under `local` from this worker's cache, re-bound (synchronously, the
  /// interpreter only reads snapshots) when the namers' generation moved. A copy: the cache
  /// may evict the entry while the caller still uses it.
  BoundTree cached_binding(const dtab::Path& dst, const std::string& key, const dtab::Dtab& local,
                           TimePoint now);
  const dtab::BoundName* pick(const dtab::NameTree<dtab::BoundName>& tree);
  ClientSharedPtr client_for(const dtab::BoundName& bound, TimePoint now);
  ServiceSharedPtr service_for(const dtab::Path& dst, const std::string& name, TimePoint now);
  void update_endpoints(Client& client, const dtab::AddrConstSharedPtr& addr, TimePoint now);
  static void refresh_gauges(Client& client, TimePoint now);
  /// Linkerd's ErrorResponder: the response for a request that ended in `ec`.
  [[gnu::cold]] http::Response error_for(const http::Request& req,
                                         boost::system::error_code ec) const;
  http::Response error(int status, std::string_view message) const;

  RouterOptionsConstSharedPtr options_;
  RouterStats& stats_;
  LruCache<std::string, CachedBinding> bindings_;     ///< by binding_key
  LruCache<std::string, ServiceSharedPtr> services_;  ///< by logical name
  LruCache<dtab::Path, ClientSharedPtr> clients_;     ///< by bound id
  TimePoint last_expire_{};
  std::minstd_rand random_{std::random_device{}()};
  /// `Path::show` of the last path shown, kept: a worker's requests mostly repeat a few names.
  struct ShowMemo {
    const std::string& show(const dtab::Path& path);
    dtab::Path path;
    std::string text;
    bool valid = false;
  };
  ShowMemo dst_show_;       ///< identified names (`l5d-dst-service`)
  ShowMemo residual_show_;  ///< residuals of bound names (`l5d-dst-residual`)
};

/// Per-server settings (`servers[]`).
struct ServerSettings {
  std::string label;  ///< `<ip>/<port>` as configured, the port actually served
  bool clear_context = false;
  std::optional<int> max_concurrent_requests;
  /// Requests in flight on this server across all workers (shared, relaxed).
  std::shared_ptr<std::atomic<int>> in_flight = std::make_shared<std::atomic<int>>(0);
};

/// The service behind one router server on one worker: Linkerd's server stack (context headers
/// and `clearContext`, the concurrency limit, stats, the error responder) in front of the
/// router. Worker-local.
class ServerService final : public http1::HttpService {
 public:
  ServerService(RouterWorker& router, ServerSettings settings, ServerStats& stats);

  // meshd::Service
  asio::awaitable<Result<http::Response>> call(http::Request& req) override;
  asio::awaitable<void> call_into(http::Request& req, Result<http::Response>& rsp) override;

 private:
  /// Reads the request's context headers into `req.ctx`. False when they are malformed: `rsp`
  /// then holds the 400 that answers the request.
  bool read_context(http::Request& req, Result<http::Response>& rsp) const;
  /// What the access log and the server span need of a request, taken before it is routed.
  struct RequestFacts {
    TraceId trace;  ///< the server span's, as the request came in
    trace::HttpExchange exchange;
    std::string referer, user_agent;
    RouteDetails route;  ///< filled by the router for a traced request
  };
  static RequestFacts request_facts(const http::Request& req, const std::string& router);
  /// Writes Linkerd's access log line for an answered request.
  void log_access(const RequestFacts& facts, const http::Response& rsp) const;
  /// Records the server span of a sampled request.
  void trace_server(RequestFacts& facts, const Result<http::Response>& rsp) const;
  static void clear_response(http::Response& rsp);
  /// Success for the server's stats: the path stack's `l5d-success-class` when present.
  static bool is_success(const Result<http::Response>& rsp);

  RouterWorker& router_;
  ServerSettings settings_;
  ServerStats& stats_;
  StatusStats status_stats_;  ///< `status/*`, `time/*`; worker-local
};

}  // namespace meshd::router
