#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "meshd/core/asio.h"
#include "meshd/core/result.h"
#include "meshd/http1/client.h"
#include "meshd/http2/client.h"
#include "meshd/telemetry/registry.h"
#include "meshd/transport/tls_client.h"

namespace meshd::router {

/// Connection metrics of a client's pools (Finagle's client `connects`,
/// `connect_latency_ms`, `failed_connect_latency_ms`), shared by its endpoints and workers.
struct PoolStats {
  telemetry::CounterSharedPtr connects;
  telemetry::HistogramSharedPtr connect_latency_ms;
  telemetry::HistogramSharedPtr failed_connect_latency_ms;
};

/// Connection settings of an endpoint's pool (`client.hostConnectionPool`, inventory §3.3).
struct PoolOptions {
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds idle_timeout{60000};  ///< idle connections older than this close
  std::size_t max_idle = 64;                      ///< idle connections kept per endpoint
  /// This worker's share of `maxSize`: connections open to the endpoint, whether in use, idle
  /// or being established. 0 is taken as 1.
  std::size_t max_connections = SIZE_MAX;
  /// This worker's share of `minSize`: idle connections kept (and reused) even when they have
  /// rested longer than `idle_timeout`.
  std::size_t min_idle = 0;
  /// This worker's share of `maxWaiters`: acquires queued while all `max_connections` are in
  /// use. One more fails at once with `errc::overloaded`.
  std::size_t max_waiters = SIZE_MAX;
  http1::Limits limits;
  /// Where connection attempts are counted; null: nowhere.
  std::shared_ptr<const PoolStats> stats;
  /// `client.tls`: connections are TLS from this context (null: plaintext), verifying and
  /// sending as SNI `tls_server_name` (the resolved `commonName`; "" for none).
  transport::TlsClientContextSharedPtr tls;
  std::string tls_server_name;
  /// TLS was configured but its files could not be loaded (meshd refuses to start then; this
  /// guards other callers): every connect fails rather than falling back to plaintext.
  bool tls_unusable = false;
  /// `h2` routers: the endpoint speaks HTTP/2 on one multiplexed session (`session()`), with
  /// these settings; the HTTP/1.1 connection settings above are unused but for the timeouts.
  bool h2 = false;
  http2::ClientOptions h2_options;
};

/// The keep-alive HTTP/1.1 connections of one worker to one endpoint (Finagle's watermark pool
/// with a caching layer). Idle connections are checked before reuse (a peer that closed one is
/// noticed without a failed request), reused warmest first, and closed when they have rested
/// longer than `idle_timeout` (except the `min_idle` ones). At most `max_connections` are open;
/// further acquires wait in FIFO order for one to come back. Worker-local: no locks; every
/// member runs on the worker's executor. Must be owned by a `shared_ptr` (waiters keep it).
class EndpointPool : public http1::ConnectionHome,
                     public std::enable_shared_from_this<EndpointPool> {
 public:
  EndpointPool(asio::ip::tcp::endpoint endpoint, PoolOptions options);
  ~EndpointPool();
  EndpointPool(const EndpointPool&) = delete;
  EndpointPool& operator=(const EndpointPool&) = delete;

  /// A connection: from the idle set (unless `fresh`; at the limit a `fresh` acquire closes the
  /// oldest idle connection to make room), else a new one if fewer than `max_connections` are
  /// open, else the first one released after the acquires queued before this one (even when
  /// `fresh`: it has just completed an exchange), or a new one when a connection closes
  /// instead. Sets `*reused` when the connection was open before (idle, or handed over);
  /// `reused` must outlive the call. The caller owns one of the `max_connections` slots until the
  /// connection comes back through `releaser()`: pass it to `http1::exchange` with `releaser()`, or
  /// call `releaser()` with it (or with nullptr once it is dropped); a connection dropped otherwise
  /// keeps its slot taken. Errors: `errc::connect_failed`, `errc::timeout` (connect timeout),
  /// `errc::overloaded` (`max_waiters` acquires already queued), `operation_aborted` when the
  /// coroutine is cancelled while queued or just as its new connection is established (a
  /// connection that reached it goes to the next in line or the idle set; nothing is lost). Runs on
  /// the pool's worker.
  asio::awaitable<Result<http1::ClientConnectionPtr>> acquire(bool* reused, bool fresh = false);
  /// `acquire()`'s common case without its coroutine: an idle pooled connection, leased (give it
  /// back through `releaser()`), or nullptr when there is none (then `acquire()`).
  http1::ClientConnectionPtr acquire_idle();

  /// HTTP/2 (`PoolOptions::h2`): a session to the endpoint with room for one more stream.
  /// Usually the one multiplexed session of this worker (Linkerd's one connection per
  /// endpoint), connected (TCP or TLS with ALPN `h2`) on first use and again once it has closed
  /// or received GOAWAY; callers arriving while it connects share that attempt. A session
  /// carries at most 100 streams (or the server's SETTINGS_MAX_CONCURRENT_STREAMS, if lower):
  /// more concurrent requests open another session, up to 64. `fresh` drains the sessions
  /// and connects anew. Errors as `acquire()`'s connect errors, `errc::overloaded` with 64
  /// full sessions, and `operation_aborted` when cancelled.
  asio::awaitable<Result<http2::ClientSessionSharedPtr>> session(bool fresh = false);
  /// `session()`'s common case without its coroutine: an open session with room for one more
  /// stream, or nullptr (then `session()`, which also connects and cleans up).
  http2::ClientSessionSharedPtr ready_session() const;

  /// The `Release` of connections from `acquire()`: a connection comes back for reuse (to the
  /// first queued acquire, else the idle set), nullptr frees its slot (the first queued acquire
  /// connects anew). Once the pool is gone, connections just close. It holds the pool weakly:
  /// making one allocates nothing.
  http1::Release releaser();

  const asio::ip::tcp::endpoint& endpoint() const noexcept { return endpoint_; }
  /// `ip:port`, as error messages and metrics print it.
  const std::string& label() const noexcept { return label_; }
  std::size_t idle() const noexcept { return idle_.size(); }
  /// Connections open: idle, in use, or being established (h2: the session, when open).
  std::size_t open() const noexcept {
    return idle_.size() + leased_ + open_sessions();
  }
  /// Acquires queued for a connection.
  std::size_t waiters() const noexcept { return waiters_.size(); }

 private:
  struct Waiter;
  using WaiterSharedPtr = std::shared_ptr<Waiter>;
  class SlotGuard;
  class QueueGuard;

  http1::ClientConnectionPtr take_idle();
  asio::awaitable<Result<http1::ClientConnectionPtr>> connect();
  /// A new TCP or TLS stream to the endpoint, counted in the pool stats.
  asio::awaitable<Result<transport::StreamPtr>> connect_stream();
  asio::awaitable<Result<http1::ClientConnectionPtr>> wait(bool* reused);
  // http1::ConnectionHome
  void release(http1::ClientConnectionPtr conn) noexcept override;
  void free_slot();
  void abandon(Waiter& waiter);
  bool expired(const http1::ClientConnection& conn,
               std::chrono::steady_clock::time_point now) const;

  asio::ip::tcp::endpoint endpoint_;
  std::string label_;
  PoolOptions options_;
  std::vector<http1::ClientConnectionPtr> idle_;  ///< oldest first; reuse takes the back
  std::size_t leased_ = 0;  ///< slots held by callers: connections in use or being established
  std::deque<WaiterSharedPtr> waiters_;  ///< FIFO
  std::size_t open_sessions() const noexcept;
  /// h2: the sessions to the endpoint; a new one opens when every open one has 100 streams (or
  /// the server's limit) in flight.
  std::vector<http2::ClientSessionSharedPtr> sessions_;
  bool session_connecting_ = false;
  boost::system::error_code session_error_;  ///< outcome of the last session connect
  /// h2: callers waiting for the session being connected (woken by cancelling the timer).
  std::vector<std::shared_ptr<asio::steady_timer>> session_waiters_;
};

using EndpointPoolSharedPtr = std::shared_ptr<EndpointPool>;

}  // namespace meshd::router
