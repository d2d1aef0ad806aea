#pragma once

// The machinery the two Zipkin sinks share: a bounded queue filled by workers, drained in
// batches by one sender coroutine on the control executor, with retries and backoff.

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "meshd/core/asio.h"
#include "meshd/core/backoff.h"
#include "meshd/core/result.h"
#include "meshd/telemetry/counter.h"
#include "meshd/telemetry/gauge.h"
#include "meshd/telemetry/registry.h"
#include "meshd/trace/trace.h"
#include "meshd/transport/stream.h"

namespace meshd::trace::detail {

/// Connects to `host` (an IP address, or a name resolved now) on `port`, trying each address
/// in turn with `timeout` per attempt. Errors: `errc::connect_failed` or `errc::timeout`, with
/// `*why` set. Runs on the caller's executor.
asio::awaitable<Result<transport::StreamPtr>> connect_any(std::string host, std::uint16_t port,
                                                          std::chrono::milliseconds timeout,
                                                          std::string* why);

/// How a batching sink sends. The defaults are Linkerd's; tests shorten the times.
struct SenderOptions {
  std::size_t max_batch = 100;                      ///< spans per request
  std::chrono::milliseconds flush_interval{1000};   ///< a partial batch waits at most this
  std::size_t max_queued = 10000;                   ///< beyond: dropped and counted
  std::chrono::milliseconds connect_timeout{1000};  ///< per connection attempt
  std::chrono::milliseconds request_timeout{100};   ///< write + reply (Linkerd: 100 ms)
  int max_attempts = 5;                             ///< per batch, then it is dropped
  /// Between failed attempts: doubling from 100 ms to 10 s with equal jitter.
  BackoffOptions backoff{BackoffOptions::Kind::EqualJittered, std::chrono::milliseconds(100),
                         std::chrono::seconds(10)};
};

/// What became of one attempt to deliver a batch.
enum class Delivery {
  Sent,     ///< the collector took it
  Retry,    ///< a transient failure (unreachable, timeout, TRY_LATER, 5xx): try again later
  Rejected  ///< the collector refused this batch for good (4xx): drop it
};

/// A Zipkin sink's queue and sender loop. Subclasses encode a batch once and deliver the bytes
/// on the control executor; everything else (sampling, bounds, batching, retries, metrics,
/// shutdown) is here. Always owned by a shared_ptr (the sender loop holds one).
class BatchingSink : public Sink, public std::enable_shared_from_this<BatchingSink> {
 public:
  /// `name` is the sink's kind for logs; metrics go under `telemetry/<metrics_scope>/` in
  /// `registry` (when given).
  BatchingSink(std::string name, std::string metrics_scope, double sample_rate,
               SenderOptions options, telemetry::Registry* registry);

  // trace::Sink
  std::optional<bool> sample(const TraceId& id) const override;
  bool keeps(const TraceId& id) const override;
  void record(Span span) override;
  void start(asio::any_io_executor control) override;
  void stop() override;

 protected:
  /// The request body for `batch` (not empty).
  virtual std::string encode(const std::vector<Span>& batch) = 0;
  /// One attempt to deliver an encoded batch, on the control executor, bounded by the options'
  /// timeouts. `why` says what went wrong, for the log. The subclass keeps its connection
  /// between calls and drops it after a failure.
  virtual asio::awaitable<Delivery> deliver(const std::string& payload, std::string* why) = 0;
  /// Closes the connection (on the control executor, at the end).
  virtual void disconnect() = 0;

  const SenderOptions& options() const noexcept { return options_; }
  const std::string& name() const noexcept { return name_; }

 private:
  static asio::awaitable<void> run(std::shared_ptr<BatchingSink> self);
  /// Sends `batch` with retries; false if it had to be dropped.
  asio::awaitable<bool> send(std::vector<Span> batch);
  /// Waits `d` or until woken (stop, a full batch). Control executor.
  asio::awaitable<void> sleep(std::chrono::milliseconds d);
  std::vector<Span> take_batch();
  void drop(std::size_t n);

  const std::string name_;
  const double sample_rate_;
  const SenderOptions options_;
  telemetry::CounterSharedPtr spans_sent_;
  telemetry::CounterSharedPtr spans_dropped_;
  telemetry::CounterSharedPtr send_failures_;
  telemetry::GaugeSharedPtr queued_;

  std::mutex mutex_;  // guards the fields below; never held across I/O
  std::deque<Span> queue_;
  bool wake_pending_ = false;
  bool stopped_ = false;
  std::optional<asio::any_io_executor> control_;

  // Control executor only.
  std::optional<asio::steady_timer> timer_;
  bool stopping_ = false;
  bool healthy_ = true;
  Backoff backoff_;
  std::minstd_rand rng_;
};

/// `make_zipkin_scribe_sink` with explicit sender options (tests shorten the times).
std::shared_ptr<Sink> make_scribe_sink(std::string host, int port, double sample_rate,
                                       telemetry::Registry* registry, SenderOptions options);

/// The sender options of `make_zipkin_http_sink`: Linkerd's, with a 1 s request timeout (a
/// gzip'ed JSON batch over HTTP takes longer than a Scribe call).
SenderOptions http_sender_options();

/// `make_zipkin_http_sink` with explicit sender options.
std::shared_ptr<Sink> make_http_sink(std::string_view host_port, std::string host_header,
                                     bool compression, double sample_rate,
                                     telemetry::Registry* registry, SenderOptions options);

}  // namespace meshd::trace::detail
