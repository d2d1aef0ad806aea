// The request path of a router on one worker, Linkerd's stacks from the outside in:
// route (identification, service stats, total timeout and deadline, the error responder) →
// dispatch (classified retries under the service's budget, replay of small bodies, binding and
// client choice per attempt) → attempt_begin/attempt_end around each try, in dispatch's frame
// (balancer, failure accrual, requeues, attempt timeout) → exchange_on (exchange.cc: the
// connection pool, the HTTP/1.1 exchange or the h2 stream). The classifier's verdicts on a
// try's response: verdict.cc.

#include <array>
#include <string_view>
#include <utility>

#include "meshd/core/duration.h"
#include "meshd/core/log.h"
#include "meshd/core/timeout.h"
#include "meshd/filters/classifier.h"
#include "meshd/filters/deadline.h"
#include "meshd/http1/writer.h"
#include "meshd/router/errors.h"
#include "meshd/router/router.h"
#include "meshd/router/stream_watch.h"
#include "router/verdict.h"
#include "router/worker_state_internal.h"

namespace meshd::router {
namespace {

using Clock = std::chrono::steady_clock;

/// The client a binding gave, or null with the reason in `rsp`. A binding still `pending` gives
/// none yet, and no reason (read after `bound` is made: the call that makes it sets it).
template <class ClientPtr>
ClientPtr hold_client(Result<ClientPtr> bound, const bool& pending, Result<http::Response>& rsp) {
  if (bound) {
    return std::move(*bound);
  }
  if (!pending) {
    rsp = bound.error();
  }
  return nullptr;
}

/// Tries of one request on connection failures, requeues included (Finagle's
/// RequeueingFilter.MaxTries), on top of the requeue budget.
constexpr int kMaxTries = 25;

/// Bodies of discarded responses (a retried attempt) read to their end so the connection can
/// be reused, up to this size; longer ones are dropped with their connection.
constexpr std::uint64_t kMaxDrainBytes = 64 * 1024;

void append_via(http::Headers& headers, http::Version v) {
  std::array<char, 16> buf{};
  std::size_t n = 0;
  if (v.major == 2) {
    buf[n++] = 'h';  // Linkerd's h2 router: `via: h2 linkerd`
    buf[n++] = '2';
  } else {
    buf[n++] = static_cast<char>('0' + v.major);
    buf[n++] = '.';
    buf[n++] = static_cast<char>('0' + v.minor);
  }
  constexpr std::string_view kUs = " linkerd";
  kUs.copy(buf.data() + n, kUs.size());
  const std::string_view ours(buf.data(), n + kUs.size());
  const std::string_view before = headers.get("Via");
  if (before.empty()) [[likely]] {
    headers.set(v.major == 2 ? "via" : "Via", ours);  // the usual case: no heap, one field
    return;
  }
  std::string via;
  via.reserve(before.size() + 2 + ours.size());
  via.append(before).append(", ").append(ours);
  headers.set(v.major == 2 ? "via" : "Via", via);
}

/// `l5d-ctx-deadline` for an attempt due at `due` (steady clock), or none.
void set_deadline_header(http::Request& req, std::optional<Clock::time_point> due) {
  if (!due) {
    req.headers.remove("l5d-ctx-deadline");
    return;
  }
  auto steady_now = Clock::now();
  std::int64_t wall_now = filters::wall_now_ns();
  auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(*due - steady_now).count();
  req.headers.set("l5d-ctx-deadline", filters::show_deadline({wall_now, wall_now + left}));
}

bool is_error(const Result<http::Response>& rsp, errc e) {
  return !rsp && rsp.error() == make_error_code(e);
}

/// The failure accrual policy as the "marking connection as dead" log line names it.
std::string policy_name(const lb::AccrualOptions& o) {
  using Kind = lb::AccrualOptions::Kind;
  switch (o.kind) {
    case Kind::ConsecutiveFailures:
      return "ConsecutiveFailures(" + std::to_string(o.failures) + ")";
    case Kind::SuccessRate:
      return "SuccessRate(" + std::to_string(o.success_rate) + ", " + std::to_string(o.requests) +
             " requests)";
    case Kind::SuccessRateWindowed:
      return "SuccessRateWindowed(" + std::to_string(o.success_rate) + ", " +
             std::to_string(o.window.count()) + " s)";
    case Kind::None:
      break;
  }
  return "None";
}

/// A request on an endpoint, from pick to outcome. If the request is abandoned (the client
/// left, a timeout cancelled it) the node forgets it without recording an outcome. Movable, so
/// that an h2 response still streaming can carry it to the stream's end.
class InFlight {
 public:
  InFlight(lb::Node& node, WorkerCell& cell) : node_(&node), cell_(&cell) {
    cell_->load.fetch_add(1, std::memory_order_relaxed);
  }
  ~InFlight() {
    if (cell_ == nullptr) {
      return;  // moved from
    }
    if (!finished_) {
      node_->on_abandon();
    }
    cell_->load.fetch_sub(1, std::memory_order_relaxed);
  }
  InFlight(InFlight&& other) noexcept
      : node_(other.node_),
        cell_(std::exchange(other.cell_, nullptr)),
        finished_(other.finished_) {}
  InFlight& operator=(InFlight&&) = delete;
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

  lb::AccrualEvent finish(Clock::time_point started, Clock::time_point now, bool ok) {
    finished_ = true;
    return node_->on_finish(started, now, ok);
  }

 private:
  lb::Node* node_;
  WorkerCell* cell_;
  bool finished_ = false;
};

/// A small request body kept so that the request can be sent again.
struct Replay {
  std::string body;
  http::Headers trailers;

  http::BodyPtr make_body() const { return std::make_unique<http::BufferBody>(body, trailers); }
};

/// Copies what routing decided into `notes` (when given) as `route` returns.
class NoteOnExit {
 public:
  NoteOnExit(const RouterWorker& router, const http::Request& req, RouteNotes* notes)
      : router_(router), req_(req), notes_(notes) {}
  ~NoteOnExit() { router_.route_notes(req_, notes_); }
  NoteOnExit(const NoteOnExit&) = delete;
  NoteOnExit& operator=(const NoteOnExit&) = delete;

 private:
  const RouterWorker& router_;
  const http::Request& req_;
  RouteNotes* notes_;
};

}  // namespace

struct RouterWorker::PendingTry {
  InFlight in_flight;
  ClientSharedPtr client;
  EndpointSharedPtr endpoint;
  std::shared_ptr<RequestStats> service_stats;
  TimePoint start;
  std::uint64_t latency_ms = 0;  ///< until the response head (request_latency_ms)
};

struct RouterWorker::AttemptState {
  // Declared in the order they are made, so that an abandoned try (its dispatch cancelled)
  // unwinds as it was built: the stream watch first, the endpoint's in-flight count last.
  std::optional<PendingTry> done;
  std::optional<PendingGuard> pending;          ///< the client's
  std::optional<PendingGuard> service_pending;  ///< the client's for this service
  std::optional<StreamWatch::Handle> watch;
  std::optional<std::chrono::milliseconds> timeout;  ///< requestAttemptTimeoutMs
  /// A sampled try's span: its id and wall-clock start. Null for the others (most), whose
  /// id was needed only for the headers: this state lives in dispatch's frame.
  struct Traced {
    TraceId id;
    std::chrono::system_clock::time_point wall_start;
  };
  std::unique_ptr<Traced> traced;
  TimePoint start{};
  /// The request body's length was unknown when the try began. Read then, while the body is
  /// in cache: by the response it no longer is, and classifying needs only this.
  bool request_chunked = false;
  /// The request can be sent again whole if the endpoint refuses it unprocessed: its body was
  /// kept for replay, or it has none. Set by `dispatch`.
  bool resendable = false;
};

asio::awaitable<Result<http::Response>> RouterWorker::route(http::Request& req, RouteNotes* notes) {
  NoteOnExit note(*this, req, notes);
  RouteState state;
  Result<http::Response> rsp = make_error_code(errc::timeout);
  if (route_begin(req, state, rsp)) {
    co_return rsp;
  }
  auto dispatched = co_await route_dispatch(req, state, rsp);
  if (!dispatched) {
    rsp = dispatched.error();  // the request's own timeout
  }
  route_end(req, state, rsp, notes);
  co_return rsp;
}

bool RouterWorker::route_begin(http::Request& req, RouteState& state, Result<http::Response>& rsp) {
  auto id = identify(options_->identifiers, req);
  if (!id.dst) [[unlikely]] {
    req.ctx.failure_stage = http::FailureStage::Identification;
    if (options_->h2) {
      req.ctx.failure_detail = unknown_destination(req, id.reason);
      rsp = make_error_code(errc::identification_failed);  // RST_STREAM REFUSED_STREAM
      return true;
    }
    rsp = error(400, unknown_destination(req, id.reason));
    return true;
  }
  req.ctx.dst_show = dst_show_.show(*id.dst);
  req.ctx.dst = std::move(*id.dst);
  // The time the server stamped on arrival (identification took a few hundred nanoseconds):
  // one clock read less per request.
  const auto start = req.ctx.start != TimePoint{} ? req.ctx.start : Clock::now();
  state.start = start;
  state.service = service_for(*req.ctx.dst, req.ctx.dst_show, req.ctx.start);
  Service& service = *state.service;
  state.pending.emplace(*service.stats().pending);
  state.watch.emplace(StreamWatch::start(service.stats().h2, req, start));

  // The answer is due at the stricter of totalTimeoutMs and the deadline the request came with.
  std::optional<Clock::time_point> due;
  if (service.policy.total_timeout) {
    due = start + *service.policy.total_timeout;
  }
  if (req.ctx.inbound_deadline_ns) [[unlikely]] {
    auto inbound = filters::to_steady(*req.ctx.inbound_deadline_ns, filters::wall_now_ns(), start);
    if (!due || inbound < *due) {
      due = inbound;
    }
  }
  state.due = due;
  req.ctx.deadline = due;
  state.chunked = !req.body->length();
  return false;
}

asio::awaitable<Result<void>> RouterWorker::route_dispatch(http::Request& req, RouteState& state,
                                                           Result<http::Response>& rsp) {
  // Not a coroutine: the caller awaits `dispatch` (bounded by the request's due time).
  return dispatch_within(req, *state.service, state.start, state.due, &state.judged, rsp);
}

void RouterWorker::route_end(http::Request& req, RouteState& state, Result<http::Response>& rsp,
                             RouteNotes* notes) {
  const auto start = state.start;
  const auto& due = state.due;
  const Verdict& judged = state.judged;
  if (is_error(rsp, errc::timeout) && due && Clock::now() + std::chrono::milliseconds(1) >= *due)
      [[unlikely]] {
    // The whole request ran out of time (Finagle's GlobalRequestTimeoutException).
    auto allowed = std::chrono::duration_cast<std::chrono::milliseconds>(*due - start);
    req.ctx.failure_detail = "exceeded " + show_twitter_duration(std::max(allowed, {})) +
                             " to unspecified while waiting for a response for the request, "
                             "including retries (if applicable). Remote Info: Not Available";
    rsp = make_error_code(errc::deadline_exceeded);
  }
  // The end of the last try stands for the end of the request when it is known: the rest of
  // this path takes microseconds.
  const TimePoint end = judged.at != TimePoint{} ? judged.at : Clock::now();
  if (state.watch && *state.watch) {
    rsp ? state.watch->response(*rsp, end) : state.watch->no_response();
  }
  if (notes != nullptr) {
    notes->finished = end;
  }
  const std::uint64_t latency = ms_between(start, end);
  const auto& kind = state.service->policy.classifier;
  // A response is dispatch's own (a timeout replaces it with an error): its verdict holds.
  const auto verdict =
      rsp && judged.known ? judged.cls : verdict_now(kind, req, state.chunked, rsp);
  if (verdict) {
    state.service->stats().record(filters::is_success(*verdict), latency);
    if (rsp) {
      rsp->headers.set("l5d-success-class", filters::success_class_value(*verdict));
    }
  } else {
    // h2: the response still streams; its class (and `l5d-success-class`, as a trailer) comes
    // with its end.
    http::observe(rsp->body,
                  [service = state.service, verdict = EndVerdict(kind, req, state.chunked, rsp),
                   latency](http::BodyEnd& end) {
                    const auto cls = verdict.classify(end);
                    service->stats().record(filters::is_success(cls), latency);
                    end.trailers.set("l5d-success-class", filters::success_class_value(cls));
                  });
    if (notes != nullptr) {
      notes->classified_at_end = true;
    }
  }
  if (!rsp && rsp.error() != make_error_code(errc::client_gone) &&
      rsp.error() != asio::error::operation_aborted) [[unlikely]] {
    const auto ec = rsp.error();
    if (options_->h2 && ec != make_error_code(errc::no_route) &&
        ec != make_error_code(errc::no_endpoints) && ec != make_error_code(errc::connect_failed)) {
      return;  // the h2 codec resets the stream
    }
    rsp = error_for(req, ec);
  }
}

void RouterWorker::route_notes(const http::Request& req, RouteNotes* notes) const {
  if (notes == nullptr || notes->details == nullptr) {
    return;
  }
  RouteDetails& d = *notes->details;
  d.service = req.ctx.dst_show;
  d.client = std::string(req.headers.get("l5d-dst-client"));
  d.residual = std::string(req.headers.get("l5d-dst-residual"));
  d.dtab_local = req.ctx.local_dtab.show();
  d.failure_stage = req.ctx.failure_stage;
  d.failure_detail = req.ctx.failure_detail;
}

asio::awaitable<Result<void>> RouterWorker::dispatch_within(http::Request& req, Service& service,
                                                            TimePoint start,
                                                            std::optional<TimePoint> due,
                                                            Verdict* verdict,
                                                            Result<http::Response>& rsp) {
  // Not a coroutine itself (but for a deadline already past): the caller awaits `dispatch`.
  if (!due) {
    return dispatch(req, service, start, verdict, rsp);
  }
  if (*due > start) {
    return with_timeout(dispatch(req, service, start, verdict, rsp), *due - start);
  }
  return fail_with<void>(make_error_code(errc::timeout));
}

http::Response RouterWorker::error_for(const http::Request& req,
                                       boost::system::error_code ec) const {
  // Timeouts are 503 (Finagle's RequestTimeoutException), everything else 502.
  bool timeout =
      ec == make_error_code(errc::timeout) || ec == make_error_code(errc::deadline_exceeded);
  std::string message = req.ctx.failure_detail.empty() ? ec.message() : req.ctx.failure_detail;
  http::Response rsp = error(timeout ? 503 : 502, message);
  if (ec == make_error_code(errc::no_route)) {
    // No endpoint was chosen, so no application saw the request: safe to try elsewhere. An
    // upstream meshd (outgoing → incoming) retries it, which covers the moment when this node's
    // endpoints changed before the upstream's did. Linkerd leaves NoBrokersAvailable unmarked.
    rsp.headers.add("l5d-retryable", "true");
  }
  return rsp;
}

asio::awaitable<Result<void>> RouterWorker::dispatch(http::Request& req, Service& service,
                                                     TimePoint start, Verdict* verdict,
                                                     Result<http::Response>& rsp) {
  // gRPC needs `te: trailers` end to end; it is the one TE value HTTP/2 allows (RFC 9113 §8.2.2).
  const bool te_trailers = options_->h2 && http::iequals(req.headers.get("te"), "trailers");
  http1::strip_hop_by_hop(req.headers);
  if (te_trailers) [[unlikely]] {
    req.headers.add("te", "trailers");
  }
  req.headers.set("l5d-dst-service", req.ctx.dst_show);
  if (!req.ctx.local_dtab.empty()) [[unlikely]] {
    req.headers.set("l5d-ctx-dtab", req.ctx.local_dtab.show());
  }
  if (req.version == http::Version{1, 1} && !req.headers.contains("Host")) {
    req.headers.add("Host", "");  // as Linkerd: an HTTP/1.1 request always carries Host
  }
  append_via(req.headers, req.version);

  // A small body is kept so that the request can be replayed; a chunked or larger one streams
  // and is never retried (Linkerd: streamAfterContentLengthKB, NonRetryableChunked).
  auto length = req.body->length();
  bool chunked = !length;
  // h2: retryBufferSize.requestBytes. A request stream of unknown length is not buffered (a
  // client stream may wait for the response before it ends), so it is never retried.
  const std::size_t buffer_limit =
      options_->h2 ? service.policy.retry_request_bytes : options_->retry_buffer_bytes;
  bool replayable = !chunked && *length <= buffer_limit;
  std::optional<std::uint64_t> arrived;
  if (options_->h2 && chunked) {
    // A unary gRPC request has no content-length, but all of it is usually here already.
    arrived = req.body->arrived();
    replayable = arrived && *arrived <= buffer_limit;
  }
  // On the heap, and only for a body to keep: the frame of every request holds the pointer.
  std::unique_ptr<Replay> replay;
  if (replayable && (chunked || *length > 0)) {
    replay = std::make_unique<Replay>();
    auto read = co_await http::read_all(*req.body, replay->body, chunked ? *arrived : *length);
    if (!read) [[unlikely]] {
      req.ctx.failure_detail = "reading the request body failed: " + read.error().message();
      rsp = read.error();
      co_return Result<void>();
    }
    replay->trailers = req.body->trailers();
    req.body = replay->make_body();
  }

  // What a try refused unprocessed needs to be sent again: the body kept, or none at all.
  const bool resendable = replay != nullptr || (length == std::optional<std::uint64_t>{0} &&
                                                req.body->trailers().empty());
  // (Every named local below is in the frame, whatever its scope: what the steps return goes
  // to `rsp` or to flags where it can.)
  auto now = start;
  service.budget.deposit(now);
  std::unique_ptr<Backoff> backoff;  // made at the first retry
  std::uint64_t retries = 0;
  for (;;) {
    // Bound anew on every attempt: a retry may pick another branch of a union.
    bool wait = false;
    // The cache may evict the client while in flight: held here. Unbound: `rsp` says why.
    ClientSharedPtr held = hold_client(resolve_now(req, now, &wait), wait, rsp);
    // The first try starts now; a retry (after a backoff) or a try that waited for its binding
    // reads the clock itself.
    TimePoint try_start = retries == 0 ? now : TimePoint{};
    if (wait) [[unlikely]] {
      held = hold_client(co_await resolve_pending(req), false, rsp);
      try_start = {};
    }
    Verdict judged;
    if (held) [[likely]] {
      // The try's two steps around the exchange, awaited here (one coroutine frame less).
      std::optional<AttemptState> attempt;
      for (int requeues = 0;; ++requeues) {
        attempt.emplace();
        attempt->resendable = resendable;
        if (!attempt_begin(req, held, requeues, try_start, &judged, *attempt, rsp)) [[unlikely]] {
          break;  // no endpoint: `rsp` says so
        }
        // An h2 stream without an attempt timeout, on a session that is ready, is exchanged in
        // this frame (one coroutine frame less per request). `exchange_within` does the rest:
        // a timeout, a session to make, a refused stream to send again.
        int sent = 0;
        http2::ClientSessionSharedPtr session;
        if (options_->h2 && !attempt->timeout) [[likely]] {
          session = attempt->done->endpoint->pool->ready_session();
        }
        if (session) [[likely]] {
          req.ctx.unprocessed = false;
          req.ctx.upstream_reset.reset();
          http2::ExchangeFailure failure;
          auto exchange = session->open(req, failure);
          if (exchange) [[likely]] {
            while (!exchange->ready()) {
              asio::cancellation_state cs = co_await asio::this_coro::cancellation_state;
              if (cs.cancelled() != asio::cancellation_type::none) [[unlikely]] {
                break;  // finish() gives the exchange up
              }
              co_await exchange->wait();
            }
            rsp = exchange->finish(failure);
          } else {
            rsp = exchange.error();
          }
          sent = h2_try_over(req, *attempt->done->endpoint->pool, rsp, failure, 0) ? -1 : 1;
        }
        if (sent >= 0) [[unlikely]] {
          auto exchanged = co_await exchange_within(req, *attempt->done->endpoint, *held,
                                                    attempt->timeout, rsp, sent);
          if (!exchanged) [[unlikely]] {
            rsp = exchanged.error();  // requestAttemptTimeoutMs
          }
        }
        if (options_->h2 && replayable &&
            stream_end_pending(service.policy.classifier, req, attempt->request_chunked, rsp))
            [[unlikely]] {
          co_await await_stream_end(rsp, service.policy.classification_timeout,
                                    service.policy.retry_response_bytes);
        }
        if (!attempt_end(req, service, held, requeues, *attempt, rsp, &judged)) {
          break;
        }
        if (req.ctx.unprocessed) [[unlikely]] {
          // Refused after its body was read: sent again from what was kept.
          req.body = replay ? replay->make_body() : http::empty_body();
        }
      }
      attempt.reset();  // the try's counts and watch end with it, as its frame's did
    }
    if (!judged.known) {
      judged = {true, verdict_now(service.policy.classifier, req, chunked, rsp), judged.at};
    }
    // A response still streaming goes on to the client and is not retried.
    auto cls = judged.cls.value_or(filters::ResponseClass::Success);
    // h2: a response larger than retryBufferSize.responseBytes is not held back for a retry.
    const bool too_big = options_->h2 && rsp && rsp->body &&
                         rsp->body->buffered() > service.policy.retry_response_bytes;
    bool again = cls == filters::ResponseClass::RetryableFailure && replayable && !too_big &&
                 !is_error(rsp, errc::client_gone);
    if (again) [[unlikely]] {
      now = Clock::now();
      if (!service.budget.try_withdraw(now)) {
        service.budget_exhausted->incr();
        again = false;
      }
    }
    if (!again) {
      service.retries_per_request->record(retries);
      service.shared->cells.local().budget.store(service.budget.balance(now),
                                                 std::memory_order_relaxed);
      *verdict = judged;
      co_return Result<void>();
    }
    if (!backoff) {
      backoff = std::make_unique<Backoff>(service.policy.retry_backoff);
    }
    co_await before_retry(rsp, *backoff);
    ++retries;
    service.retries_total->incr();
    ++req.ctx.attempt;
    req.ctx.failure_detail.clear();
    req.body = replay ? replay->make_body() : http::empty_body();
  }
}

asio::awaitable<void> RouterWorker::before_retry(Result<http::Response>& failed, Backoff& backoff) {
  if (failed) {
    // Drain a small body so its connection goes back to the pool; drop anything else (closing
    // the connection). Bounded in time too: a body that stalls is not waited for.
    http::Response rsp = std::move(*failed);
    auto length = rsp.body->length();
    if (length && *length <= kMaxDrainBytes) {
      std::string sink;
      sink.reserve(static_cast<std::size_t>(*length));
      co_await with_timeout(http::read_all(*rsp.body, sink, kMaxDrainBytes),
                            std::chrono::seconds(1));
    }
  }
  auto delay = backoff.next(random_);
  if (delay.count() > 0) {
    asio::steady_timer timer(co_await asio::this_coro::executor, delay);
    co_await timer.async_wait(use_nothrow);
  }
}

bool RouterWorker::attempt_begin(http::Request& req, const ClientSharedPtr& held, int requeues,
                                 TimePoint now, Verdict* judged, AttemptState& a,
                                 Result<http::Response>& rsp) {
  Client& client = *held;
  *judged = {};
  auto start = requeues == 0 && now != TimePoint{} ? now : Clock::now();
  if (requeues == 0) {
    client.requeue_budget.deposit(start);
  }
  auto* node = static_cast<Endpoint*>(client.balancer->pick(start));
  if (node == nullptr) [[unlikely]] {
    req.ctx.failure_detail = no_route(*req.ctx.dst, options_->base_dtab, req.ctx.local_dtab);
    rsp = make_error_code(errc::no_route);
    return false;
  }
  if (client.balancer->max_effort_exhausted() != client.max_effort_seen) [[unlikely]] {
    client.max_effort_exhausted->incr(client.balancer->max_effort_exhausted() -
                                      client.max_effort_seen);
    client.max_effort_seen = client.balancer->max_effort_exhausted();
  }
  EndpointSharedPtr endpoint = node->shared_from_this();  // held while in flight
  if (endpoint->on_start(start)) [[unlikely]] {
    client.probes->incr();
  }
  // The attempt's own deadline, and the one it propagates: the stricter of the request's
  // and requestAttemptTimeoutMs.
  std::optional<Clock::time_point> due = req.ctx.deadline;
  a.timeout = client.policy.request_attempt_timeout;
  if (a.timeout && (!due || start + *a.timeout < *due)) {
    due = start + *a.timeout;
  }
  set_deadline_header(req, due);
  // Each try is a span of its own, a child of the server's (Finagle's client tracing).
  const TraceId try_id = trace::child_of(req.ctx.trace);
  options_->propagator->write(req.headers, try_id);
  if (options_->tracer->enabled() && (try_id.sampled.value_or(true) || try_id.debug)) [[unlikely]] {
    a.traced = std::make_unique<AttemptState::Traced>(
        AttemptState::Traced{try_id, std::chrono::system_clock::now()});
  }
  a.start = start;
  a.request_chunked = !req.body->length();
  a.done.emplace(PendingTry{InFlight(*endpoint, client.shared->cells.local()), held, endpoint,
                            client.service_stats(req.ctx.dst_show), start});
  a.pending.emplace(*client.stats().pending);
  a.service_pending.emplace(*a.done->service_stats->pending);
  a.watch.emplace(StreamWatch::start(client.stats().h2, req, start));
  return true;
}

bool RouterWorker::attempt_end(http::Request& req, Service& service, const ClientSharedPtr& held,
                               int requeues, AttemptState& a, Result<http::Response>& rsp,
                               Verdict* judged) {
  Client& client = *held;
  PendingTry& done = *a.done;
  const bool chunked = a.request_chunked;
  if (is_error(rsp, errc::timeout)) [[unlikely]] {
    req.ctx.failure_stage = http::FailureStage::Service;
    req.ctx.failure_detail = "exceeded " + show_twitter_duration(*a.timeout) + " to " +
                             client.label +
                             " while waiting for a response for an individual request, "
                             "excluding retries. Remote Info: Not Available";
  }
  const TimePoint now = Clock::now();
  if (*a.watch) {
    rsp ? a.watch->response(*rsp, now) : a.watch->no_response();
  }
  done.latency_ms = ms_between(a.start, now);
  const auto& kind = service.policy.classifier;
  const auto verdict = verdict_now(kind, req, chunked, rsp);
  *judged = {true, verdict, now};
  if (a.traced) [[unlikely]] {
    trace_try(a.traced->id, req, client, *done.endpoint, rsp,
              verdict.value_or(filters::ResponseClass::Success), a.traced->wall_start);
  }
  if (rsp) {
    client.status_stats.record(client.stats(), rsp->status, done.latency_ms);
  }
  if (!verdict) {
    // h2: the response still streams. Its class, the accrual's verdict and the success or
    // failure counts come with its end; the endpoint counts it outstanding until then.
    auto pending_try = std::make_shared<PendingTry>(std::move(done));
    http::observe(rsp->body, [this, pending_try,
                              verdict = EndVerdict(kind, req, chunked, rsp)](http::BodyEnd& end) {
      finish_try(*pending_try, end.at, filters::is_success(verdict.classify(end)), true);
    });
    return false;
  }
  // A full wait queue, a client that left mid-upload, a try given up (its request cancelled:
  // the client left, or the request's own time ran out) or a stream refused unprocessed (a
  // server closing its connection with GOAWAY refuses the streams above its last one) says
  // nothing about the endpoint's health: the try is then forgotten by the balancer (as if
  // abandoned), not judged. (requestAttemptTimeoutMs is judged: it is `errc::timeout`.)
  const bool refused = !rsp && req.ctx.unprocessed;
  const bool given_up = !rsp && rsp.error() == asio::error::operation_aborted;
  finish_try(done, now, filters::is_success(*verdict),
             !is_error(rsp, errc::overloaded) && !is_error(rsp, errc::client_gone) && !refused &&
                 !given_up);
  // A connection that could not be made, or a stream refused unprocessed whose request can be
  // sent again: nothing was processed, so the request is requeued at once on another pick,
  // within the client's requeue budget (Finagle's RequeueFilter). Finagle requeues only while
  // the balancer still has an Open node (`canRetry`): once accrual has marked every endpoint
  // dead, the failure goes back as it is.
  const bool requeue = is_error(rsp, errc::connect_failed) || (refused && a.resendable);
  if (!requeue || requeues + 1 >= kMaxTries || client.balancer->counts(now).available == 0) {
    return false;
  }
  if (!client.requeue_budget.try_withdraw(now)) {
    client.requeue_budget_exhausted->incr();
    return false;
  }
  client.requeues->incr();
  return true;
}

void RouterWorker::finish_try(PendingTry& t, TimePoint now, bool ok, bool judged) {
  Client& client = *t.client;
  Endpoint& endpoint = *t.endpoint;
  bool was_alive = !endpoint.accrual().removed();
  lb::AccrualEvent event;
  if (judged) {
    event = t.in_flight.finish(t.start, now, ok);
  }
  if (event.kind == lb::AccrualEvent::Kind::Removed) {
    if (was_alive) {
      client.removals->incr();  // a failed probe re-marks, it does not remove again
    }
    client.removed_for_ms->incr(static_cast<std::uint64_t>(event.removed_for.count()));
    log::get("router")->info(
        "FailureAccrualFactory marking connection to \"{}\" as dead. Policy: {}. Remote "
        "Address: Inet({},Map())",
        client.label, policy_name(client.policy.failure_accrual), endpoint.pool->label());
  } else if (event.kind == lb::AccrualEvent::Kind::Revived) {
    client.revivals->incr();
  }
  client.stats().record(ok, t.latency_ms);
  t.service_stats->record(ok, t.latency_ms);
  if (event.kind != lb::AccrualEvent::Kind::None) {
    refresh_gauges(client, now);
  }
}

void RouterWorker::trace_try(const TraceId& id, const http::Request& req, const Client& client,
                             const Endpoint& endpoint, const Result<http::Response>& rsp,
                             filters::ResponseClass verdict,
                             std::chrono::system_clock::time_point started) const {
  trace::HttpExchange e;
  e.router = options_->label;
  e.remote = endpoint.pool->endpoint();
  e.method = req.method;
  e.uri = req.target;
  e.host = std::string(req.headers.get("Host"));
  e.request_version = http::show(req.version);
  e.request_content_length = req.body ? req.body->length() : std::nullopt;
  e.request_content_type = std::string(req.headers.get("Content-Type"));
  e.service = req.ctx.dst_show;
  e.client = client.id_show;
  e.residual = std::string(req.headers.get("l5d-dst-residual"));
  e.dtab_base = options_->base_dtab.show();
  e.dtab_local = req.ctx.local_dtab.show();
  e.success = filters::is_success(verdict) ? 1.0 : 0.0;
  e.retryable = verdict == filters::ResponseClass::RetryableFailure;
  e.retries = req.ctx.attempt - 1;
  if (rsp) {
    e.status = rsp->status;
    e.response_version = http::show(rsp->version);
    e.response_content_length = http::content_length(rsp->headers);
    e.response_content_type = std::string(rsp->headers.get("Content-Type"));
  } else {
    e.error = req.ctx.failure_detail.empty() ? rsp.error().message() : req.ctx.failure_detail;
  }
  e.start = started;
  e.end = std::chrono::system_clock::now();
  options_->tracer->record(trace::client_span(id, e));
}

void RouterWorker::finish_exchange(http::Request& req, const EndpointPool& pool,
                                   Result<http::Response>& rsp, const std::string& detail) const {
  if (!rsp) {
    if (rsp.error() == make_error_code(errc::client_gone) ||
        rsp.error() == asio::error::operation_aborted) {
      return;
    }
    req.ctx.failure_stage = http::FailureStage::Service;
    std::string message = detail.empty() ? rsp.error().message() : detail;
    log::get("router")->debug("exchange failed endpoint={} error={}", pool.label(), message);
    req.ctx.failure_detail = "exchange with " + pool.label() + " failed: " + message;
    return;
  }
  http1::strip_hop_by_hop(rsp->headers);
  append_via(rsp->headers, rsp->version);
}

}  // namespace meshd::router
