#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "meshd/core/asio.h"
#include "meshd/core/trace_id.h"
#include "meshd/http/headers.h"

/// Distributed tracing as Linkerd 1 does it (inventory §5.1–5.2, §15): trace context on the wire
/// (`l5d-ctx-trace`/`l5d-sample`/`l5d-reqid`, or B3 with `tracePropagator: io.l5d.zipkin`),
/// sampling, spans with Linkerd's annotations, and the telemeters that receive them
/// (`io.l5d.zipkin` over Scribe/Thrift, `io.zipkin.http` with Zipkin's JSON v2, `io.l5d.tracelog`,
/// `io.l5d.recentRequests`).
namespace meshd::telemetry {
class Registry;
}  // namespace meshd::telemetry

namespace meshd::trace {

// ---- Ids --------------------------------------------------------------------------------------

/// A random non-zero 64-bit id from a per-thread generator (span and trace ids). Any thread.
std::uint64_t random_id();

/// A new root: trace id = span id = a random id, no parent, sampling undecided.
TraceId new_root();

/// The child of `parent` (Finagle's `Trace.nextId`): same trace, `parent_id` = parent's span,
/// a new span id, the parent's sampling decision and flags. A `parent` without a span
/// (`span_id` 0: a context that carries only a sampling decision, see `Propagator::read`) has a
/// root as its child: span id = `parent.trace_id`, no parent, the decision kept.
TraceId child_of(const TraceId& parent);

/// `l5d-reqid`: the trace id as 16 lower-case hex digits.
std::string request_id(const TraceId& id);

// ---- Wire formats -----------------------------------------------------------------------------

/// `l5d-ctx-trace`: standard Base64 (padded) of Finagle's `TraceId.serialize` — 32 bytes
/// big-endian span, parent, trace, flags (+ 8 bytes trace-id-high for 128-bit ids, i.e. when
/// `trace_id_high` is not 0). A root's parent field is its span id. Flags: Debug 1,
/// SamplingKnown 2, Sampled 4 (sampled → 2|4, not sampled → 2, undecided → neither).
std::string encode_ctx_trace(const TraceId& id);
/// The inverse; nullopt for anything that is not 32 or 40 bytes of valid Base64 (padding
/// optional, as Java's decoder). parent == span reads as no parent; the Debug flag reads as
/// `debug`, SamplingKnown/Sampled as `sampled`; other flag bits are ignored.
std::optional<TraceId> decode_ctx_trace(std::string_view value);

/// `l5d-sample` (and a numeric `x-b3-sampled`): a decimal rate (surrounding blanks and a Java
/// `f`/`d` suffix allowed) clamped to [0, 1]; nullopt when unparseable or NaN.
std::optional<double> parse_sample_rate(std::string_view value);

/// Whether a trace is sampled at `rate` (Finagle's Sampler: `|trace_id ^ salt| % 10000 <
/// rate × 10000` with a random per-process salt, so every span of a trace gets the same answer
/// in this process and different processes sample different traces). `rate` is clamped to
/// [0, 1]. Any thread.
bool sampled_at(double rate, std::uint64_t trace_id);

/// Reads and writes trace context on requests (`tracePropagator`). Thread-safe, stateless.
class Propagator {
 public:
  virtual ~Propagator() = default;
  /// Server side: the caller's trace id from the request headers, and *removes* the headers it
  /// owns (`l5d-ctx-trace`, `l5d-sample` for the default; the five `x-b3-*`, plus
  /// `l5d-ctx-trace`/`l5d-sample` for zipkin). A sampling header (`l5d-sample` for the default,
  /// a numeric `x-b3-sampled` for zipkin) decides `sampled` with `sampled_at`, overriding what
  /// the context said (Linkerd's TraceInitializer). Without a valid context, a sampling header
  /// still yields a result: a fresh random `trace_id`, `span_id` 0 and the decision taken on
  /// that trace id. nullopt: neither — the server starts a `new_root()`. Otherwise the server
  /// span is `child_of` the result (a root for the decision-only context).
  virtual std::optional<TraceId> read(http::Headers& headers) const = 0;
  /// Client side: writes `id` on an outgoing request (`l5d-ctx-trace` + `l5d-reqid`, or all
  /// five B3 headers), replacing any previous values.
  virtual void write(http::Headers& headers, const TraceId& id) const = 0;
};

/// The propagator of a `tracePropagator.kind`: `io.l5d.default` or `io.l5d.zipkin`; nullptr for
/// anything else (config validation rejects those first).
std::shared_ptr<const Propagator> make_propagator(std::string_view kind);

// ---- Spans ------------------------------------------------------------------------------------

/// A Zipkin endpoint.
struct Endpoint {
  std::string service_name;                ///< empty when unknown (the peer of a span)
  boost::asio::ip::tcp::endpoint address;  ///< IPv4 or IPv6; port 0 when unknown
};

/// A timestamped annotation (`sr`, `ss`, `cs`, `cr`, `ws`, `wr`, `finagle.retry`, …).
struct Annotation {
  std::int64_t timestamp_us = 0;  ///< microseconds since the Unix epoch
  std::string value;
};

/// A binary annotation (Zipkin v1) / tag (v2).
struct Tag {
  /// Zipkin v1 encodes these as STRING, BOOL, DOUBLE and I64; v2 as their text.
  using Value = std::variant<std::string, bool, double, std::int64_t>;
  std::string key;
  Value value;
};

/// One finished span as the sinks receive it.
struct Span {
  enum class Kind { server, client };
  TraceId id;
  Kind kind = Kind::server;
  std::string name;  ///< as `server_span`/`client_span` name it; Zipkin stores it lower-cased
  Endpoint local;    ///< this side: the Zipkin service name and our address
  std::optional<Endpoint> remote;  ///< the peer (Zipkin v1 `ca` on a server span, `sa` on a client)
  std::int64_t timestamp_us = 0;   ///< start, microseconds since the Unix epoch
  std::int64_t duration_us = 0;
  std::vector<Annotation> annotations;  ///< in time order, sr/ss or cs/cr included
  std::vector<Tag> tags;
};

/// What the router knows about one HTTP exchange, from which `server_span` and `client_span`
/// build Linkerd's spans. Unknown values stay empty / nullopt and are not annotated.
struct HttpExchange {
  std::string router;  ///< router label (`router.label`)
  /// The server label as Linkerd names it: the configured `<ip>/<port>` (`0.0.0.0/4140`);
  /// empty: `local` as `<ip>/<port>`.
  std::string server;
  boost::asio::ip::tcp::endpoint local;   ///< our side of the connection
  boost::asio::ip::tcp::endpoint remote;  ///< the peer: the downstream client, or the endpoint
  std::string method;
  std::string uri;
  std::string host;
  std::string request_version;  ///< `HTTP/1.1`
  std::optional<std::uint64_t> request_content_length;
  std::string request_content_type;
  int status = 0;  ///< 0: no response (an error)
  std::string response_version;
  std::optional<std::uint64_t> response_content_length;
  std::string response_content_type;
  std::string service;     ///< logical name, `/svc/hello`
  std::string client;      ///< bound id, `/#/io.l5d.fs/hello`
  std::string residual;    ///< residual path, when not empty
  std::string dtab_base;   ///< router dtab, shown
  std::string dtab_local;  ///< the request's local dtab, shown
  /// The classifier's verdict: fractional success (`l5d.success`), and for a failure whether it
  /// was retryable (`l5d.retryable`) or not (`l5d.failure`).
  std::optional<double> success;
  bool retryable = false;
  /// The failing stage (`io.buoyant.router.Failure`): Identification, ClientAcquisition,
  /// Service; `Binding` (a name that did not bind) is recorded as Linkerd's path stack does:
  /// ClientAcquisition, with `namer.failure` = `error`.
  std::string failure;
  std::string error;  ///< the error text when there was no response
  int retries = 0;    ///< `finagle.retry` annotations (server span: Linkerd's path-stack retries)
  std::chrono::system_clock::time_point start;
  std::chrono::system_clock::time_point end;
};

/// The server span of a router hop, as Finagle and Linkerd record it (docs/tracing.md lists
/// every annotation): service name = the server label (`exchange.server`, `0.0.0.0/4140`),
/// name = `<router> <service>` once identified (Linkerd's `DstTracing`), else the method;
/// `sr`/`ss`; `router.label`, `service`, `dtab.base`, `dtab.local`, `client`, `residual`,
/// `namer.*`, `io.buoyant.router.Failure`, `finagle.retry`, the `http.*` tags and the
/// classification (`l5d.success` / `l5d.retryable` / `l5d.failure`).
Span server_span(const TraceId& id, const HttpExchange& exchange);
/// The client span of one try to an endpoint: service name = the client label (the bound id
/// without its leading `/`, `#/io.l5d.fs/hello`), name = `<METHOD> <path>`, `cs`/`cr`, the
/// `http.*` tags and the try's classification.
Span client_span(const TraceId& id, const HttpExchange& exchange);

// ---- Sinks (telemeters) -----------------------------------------------------------------------

/// Receives finished spans (a Finagle `Tracer`). `record` runs on any thread (workers) and must
/// not block: sinks queue, bounded, and send from the control executor.
class Sink {
 public:
  virtual ~Sink() = default;
  /// The decision this sink imposes on a trace that is still undecided (Finagle's
  /// `Tracer.sampleTrace`): the zipkin sinks decide by their `sampleRate`; `io.l5d.tracelog` and
  /// `io.l5d.recentRequests` return nullopt — they never influence sampling. Any thread.
  virtual std::optional<bool> sample(const TraceId& id) const = 0;
  /// Whether this sink keeps the spans of trace `id`, which is not marked unsampled (the
  /// Tracer drops those): the zipkin sinks and tracelog keep debug and sampled traces and
  /// decide undecided ones by their rate; recentRequests always applies its own rate. Any thread.
  virtual bool keeps(const TraceId& id) const = 0;
  /// Takes a span of a trace this sink keeps (the Tracer has checked). Any thread; never blocks
  /// on I/O.
  virtual void record(Span span) = 0;
  /// Starts sending (timers, connections) on `control`. Called once, on any thread.
  virtual void start(asio::any_io_executor control) = 0;
  /// Stops sending. Spans still queued get a last try on the control executor after `stop`
  /// returns (one attempt per batch, no backoff; after a failure the rest are dropped), then the
  /// sender closes its connection and ends. Spans recorded later are dropped. Any thread.
  virtual void stop() = 0;
};

/// `io.l5d.zipkin`: Finagle's Zipkin tracer. Spans as Thrift (TBinaryProtocol) `Span` structs,
/// Base64 in Scribe `LogEntry{category: "zipkin"}`, sent with `Scribe.Log` over framed
/// transport to `host:port` (resolved at each connect), batched (up to 100 spans or 1 s), at most
/// 10 000 queued (further spans are dropped and counted), reconnecting with backoff; a batch
/// that fails or is answered TRY_LATER is retried up to 5 times, then dropped. Metrics, when
/// `registry` is given: `telemetry/zipkin/{spans_sent,spans_dropped,send_failures,queued}`.
/// nullptr when `port` is not in 1–65535.
std::shared_ptr<Sink> make_zipkin_scribe_sink(std::string host, int port, double sample_rate,
                                              telemetry::Registry* registry = nullptr);

/// `io.zipkin.http` (the linkerd-zipkin plugin): Zipkin JSON v2 `POST /api/v2/spans` to
/// `host_port` (`host`, `host:port` or `[v6]:port`; port 9411 when absent), `Host:
/// host_header`, gzip when `compression`; same batching, bounds and retries; kept-alive
/// connection. Metrics under `telemetry/zipkin.http/`. nullptr when `host_port` is malformed.
std::shared_ptr<Sink> make_zipkin_http_sink(std::string host_port, std::string host_header,
                                            bool compression, double sample_rate,
                                            telemetry::Registry* registry = nullptr);

/// `io.l5d.tracelog`: one log line per span (logger `trace`) at `level`, a Linkerd level name
/// (`ALL`, `TRACE`, `DEBUG`, `INFO`, `WARNING`, `ERROR`, `CRITICAL`, `FATAL`, `OFF`; any case).
/// nullptr for any other level (config validation rejects those first).
std::shared_ptr<Sink> make_trace_log_sink(double sample_rate, std::string level);

/// `io.l5d.recentRequests`: the last `capacity` sampled server spans, for `/requests`.
class RecentRequests final : public Sink {
 public:
  /// Keeps the server spans of `sample_rate` of the traces, at most `capacity` of them.
  RecentRequests(double sample_rate, std::size_t capacity);

  // trace::Sink
  std::optional<bool> sample(const TraceId& id) const override;
  bool keeps(const TraceId& id) const override;
  void record(Span span) override;
  void start(asio::any_io_executor) override {}
  void stop() override {}
  /// The kept spans, newest first, as a JSON array of
  /// `{"timestamp": <ms since epoch>, "traceId": hex, "spanId": hex, "router": …, "method": …,
  ///   "uri": …, "host": …, "service": …, "client": …, "status": <int or null>,
  ///   "durationMs": <float>, "success": <bool or null>, "remote": "ip:port",
  ///   "annotations": [{"key": …, "value": …}]}` (`annotations`: the span's tags, values as
  ///   JSON strings, booleans or numbers). Any thread.
  std::string to_json() const;

 private:
  struct State;
  double sample_rate_;
  std::shared_ptr<State> state_;
};

/// Every configured sink behind one object: the router asks it whether to trace and gives it
/// spans. Thread-safe. With no sinks, `enabled()` is false and the router skips span building
/// (it still propagates trace context).
class Tracer {
 public:
  Tracer() = default;
  /// A tracer over `sinks` (null entries are ignored), in configuration order.
  explicit Tracer(std::vector<std::shared_ptr<Sink>> sinks);

  /// True when at least one sink is configured.
  bool enabled() const noexcept { return !sinks_.empty(); }
  /// The decision for an undecided trace, as Finagle's broadcast tracer takes it: true when any
  /// sink says true, false when every sink says false, else nullopt (also with no sinks).
  std::optional<bool> sample(const TraceId& id) const;
  /// Gives `span` to every sink that `keeps` its trace; to none when `span.id` is marked not
  /// sampled (and not debug), as Finagle records nothing for such a trace. Any thread.
  void record(const Span& span) const;

  /// `Sink::start` of every sink.
  void start(asio::any_io_executor control);
  /// `Sink::stop` of every sink.
  void stop();

 private:
  std::vector<std::shared_ptr<Sink>> sinks_;
};

using TracerConstSharedPtr = std::shared_ptr<const Tracer>;

}  // namespace meshd::trace
