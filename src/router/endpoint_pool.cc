#include "meshd/router/endpoint_pool.h"

#include <boost/asio/cancellation_state.hpp>

#include <algorithm>
#include <utility>

#include "meshd/core/clock.h"
#include "meshd/transport/stream.h"

namespace meshd::router {

using http1::ClientConnection;
using http1::ClientConnectionPtr;

/// An acquire queued for a connection. The releaser fills it and wakes it by cancelling its
/// timer, which otherwise never fires.
struct EndpointPool::Waiter {
  enum class State {
    Queued,  ///< in `waiters_`
    Handed,  ///< out of the queue with `conn`, a connection released for reuse
    Slot,    ///< out of the queue with the slot of a connection that closed: it connects
  };
  explicit Waiter(const asio::any_io_executor& executor)
      : timer(executor, asio::steady_timer::time_point::max()) {}

  asio::steady_timer timer;
  State state = State::Queued;
  ClientConnectionPtr conn;
};

/// Frees a slot reserved for a connection being established, unless a connection came of it;
/// also when the coroutine frame is destroyed or an exception unwinds it.
class EndpointPool::SlotGuard {
 public:
  explicit SlotGuard(EndpointPool& pool) : pool_(&pool) {}
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;
  ~SlotGuard() {
    if (pool_ != nullptr) {
      pool_->free_slot();
    }
  }
  void dismiss() noexcept { pool_ = nullptr; }

 private:
  EndpointPool* pool_;
};

/// Takes a waiter out of the queue, passing on whatever it was given, unless it got to use it.
class EndpointPool::QueueGuard {
 public:
  QueueGuard(EndpointPool& pool, WaiterSharedPtr waiter)
      : pool_(pool), waiter_(std::move(waiter)) {}
  QueueGuard(const QueueGuard&) = delete;
  QueueGuard& operator=(const QueueGuard&) = delete;
  ~QueueGuard() {
    if (waiter_) {
      pool_.abandon(*waiter_);
    }
  }
  void dismiss() noexcept { waiter_.reset(); }

 private:
  EndpointPool& pool_;
  WaiterSharedPtr waiter_;
};

namespace {

bool is_cancelled(const asio::cancellation_state& state) {
  return state.cancelled() != asio::cancellation_type::none;
}

}  // namespace

EndpointPool::EndpointPool(asio::ip::tcp::endpoint endpoint, PoolOptions options)
    : endpoint_(std::move(endpoint)), options_(std::move(options)) {
  label_ = endpoint_.address().to_string() + ":" + std::to_string(endpoint_.port());
  options_.max_connections = std::max<std::size_t>(options_.max_connections, 1);
}

EndpointPool::~EndpointPool() {
  for (auto& session : sessions_) {
    session->drain();  // streams in flight hold the session and finish on it
  }
}

namespace {

/// Streams meshd opens on one h2 session at most, whatever the server allows: the limit RFC 9113
/// §5.1.2 recommends servers to allow at least, and what nghttp2 assumes before the server's
/// SETTINGS arrive. More concurrent requests to one endpoint open more sessions.
constexpr std::size_t kStreamsPerSession = 100;
/// Sessions per endpoint and worker at most; beyond, requests fail with `errc::overloaded`.
constexpr std::size_t kMaxSessions = 64;

bool has_room(const http2::ClientSession& s) {
  const std::size_t limit =
      std::min<std::size_t>(kStreamsPerSession, s.max_concurrent_streams());
  return s.is_open() && s.active_streams() < limit;
}

}  // namespace

std::size_t EndpointPool::open_sessions() const noexcept {
  return static_cast<std::size_t>(std::count_if(
      sessions_.begin(), sessions_.end(), [](const auto& s) { return s->is_open(); }));
}

http2::ClientSessionSharedPtr EndpointPool::ready_session() const {
  for (const auto& s : sessions_) {
    if (s->is_open() && has_room(*s)) {
      return s;
    }
  }
  return nullptr;
}

asio::awaitable<Result<http2::ClientSessionSharedPtr>> EndpointPool::session(bool fresh) {
  auto self = shared_from_this();
  if (fresh) {
    for (auto& s : sessions_) {
      s->drain();
    }
    sessions_.clear();
  }
  // Bounded: each round either returns or waits for a connect that another caller started.
  for (int round = 0; round < 8; ++round) {
    std::erase_if(sessions_, [](const auto& s) {
      if (s->is_open()) {
        return false;
      }
      s->drain();  // closed or told to go away: its streams finish, new ones go elsewhere
      return true;
    });
    for (auto& s : sessions_) {
      if (has_room(*s)) {
        co_return s;
      }
    }
    if (!session_connecting_) {
      break;
    }
    // Another caller is connecting: wait for its outcome (a cancelled timer wakes us).
    auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor,
                                                      asio::steady_timer::time_point::max());
    session_waiters_.push_back(timer);
    auto [ec] = co_await timer->async_wait(use_nothrow);
    static_cast<void>(ec);
    std::erase(session_waiters_, timer);
    asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
    if (is_cancelled(state)) {
      co_return make_error_code(asio::error::operation_aborted);
    }
    if (session_error_ && session_error_ != asio::error::operation_aborted) {
      co_return session_error_;
    }
  }
  if (session_connecting_ || sessions_.size() >= kMaxSessions) {
    co_return make_error_code(errc::overloaded);
  }
  session_connecting_ = true;
  // Wakes the waiters however this ends (a cancelled connect included: they then see the
  // error and fail or retry on their own).
  struct Wake {
    EndpointPool& pool;
    ~Wake() {
      pool.session_connecting_ = false;
      for (auto& t : pool.session_waiters_) {
        t->cancel();
      }
    }
  } wake{*this};
  session_error_ = make_error_code(asio::error::operation_aborted);
  auto stream = co_await connect_stream();
  if (!stream) {
    session_error_ = stream.error();
    co_return stream.error();
  }
  auto session = http2::ClientSession::start(std::move(*stream), options_.h2_options);
  sessions_.push_back(session);
  session_error_ = {};
  co_return session;
}

asio::awaitable<Result<ClientConnectionPtr>> EndpointPool::acquire(bool* reused, bool fresh) {
  auto self = shared_from_this();  // a queued acquire outlives the caller's reference
  *reused = false;
  // While acquires are queued, no connection is idle and all slots are taken (release() hands
  // connections and slots straight to them), so a newcomer cannot overtake them.
  if (!fresh) {
    if (auto conn = acquire_idle()) {
      *reused = true;
      co_return conn;
    }
  } else if (open() >= options_.max_connections && !idle_.empty()) {
    idle_.erase(idle_.begin());  // a replay needs a new connection: make room, oldest first
  }
  if (open() < options_.max_connections) {
    ++leased_;
    co_return co_await connect();
  }
  if (waiters_.size() >= options_.max_waiters) {
    co_return make_error_code(errc::overloaded);
  }
  co_return co_await wait(reused);
}

ClientConnectionPtr EndpointPool::acquire_idle() {
  auto conn = take_idle();
  if (conn) {
    ++leased_;
  }
  return conn;
}

ClientConnectionPtr EndpointPool::take_idle() {
  // Idle times count in seconds: the coarse clock, read on every request, is precise enough.
  auto now = coarse_now();
  while (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    // A connection that rested long may have been closed by the endpoint: peek before reuse.
    // One that was used a moment ago is taken as it is (a close racing us is covered by the
    // replay of bodiless requests), saving a syscall per request under load. Past the idle
    // timeout only the `min_idle` oldest are kept.
    bool kept = !expired(*conn, now) || idle_.size() < options_.min_idle;
    bool warm = now - conn->idle_since() < std::chrono::seconds(1);
    if (kept && (warm || conn->stream().idle_alive())) {
      return conn;
    }
    // conn closes here; its slot goes with it (no acquire is queued while some are idle)
  }
  return nullptr;
}

asio::awaitable<Result<transport::StreamPtr>> EndpointPool::connect_stream() {
  const auto started = std::chrono::steady_clock::now();
  Result<transport::StreamPtr> stream = make_error_code(errc::connect_failed);
  if (options_.tls_unusable) {
    stream = make_error_code(errc::tls_handshake_failed);
  } else if (options_.tls) {
    auto tls = co_await options_.tls->connect(endpoint_, options_.tls_server_name,
                                              options_.connect_timeout);
    stream = tls ? Result<transport::StreamPtr>(std::move(*tls)) : tls.error();
  } else {
    stream = co_await transport::connect(endpoint_, options_.connect_timeout);
  }
  if (options_.stats) {
    const auto ms =
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::steady_clock::now() - started)
                                       .count());
    if (stream) {
      options_.stats->connects->incr();
      options_.stats->connect_latency_ms->record(ms);
    } else {
      options_.stats->failed_connect_latency_ms->record(ms);
    }
  }
  co_return stream;
}

/// Establishes a connection in a slot the caller already counted in `leased_`.
asio::awaitable<Result<ClientConnectionPtr>> EndpointPool::connect() {
  SlotGuard slot(*this);
  auto stream = co_await connect_stream();
  if (!stream) {
    co_return stream.error();
  }
  auto conn = std::make_unique<ClientConnection>(std::move(*stream), options_.limits);
  slot.dismiss();
  // A caller cancelled meanwhile would drop the connection without releasing it.
  asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
  if (is_cancelled(state)) {
    release(std::move(conn));
    co_return make_error_code(asio::error::operation_aborted);
  }
  co_return conn;
}

asio::awaitable<Result<ClientConnectionPtr>> EndpointPool::wait(bool* reused) {
  auto executor = co_await asio::this_coro::executor;
  auto waiter = std::make_shared<Waiter>(executor);
  waiters_.push_back(waiter);
  QueueGuard guard(*this, waiter);
  // Woken by release() (which cancels the timer) or by the cancellation of this coroutine.
  auto [ec] = co_await waiter->timer.async_wait(use_nothrow);
  (void)ec;
  asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
  if (waiter->state == Waiter::State::Queued || is_cancelled(state)) {
    co_return make_error_code(asio::error::operation_aborted);  // the guard passes it on
  }
  guard.dismiss();
  if (waiter->state == Waiter::State::Handed) {
    *reused = true;
    co_return std::move(waiter->conn);
  }
  co_return co_await connect();  // the slot of a connection that closed is ours now
}

http1::Release EndpointPool::releaser() {
  return http1::Release(std::weak_ptr<http1::ConnectionHome>(weak_from_this()));
}

void EndpointPool::release(ClientConnectionPtr conn) noexcept {
  if (!conn) {
    free_slot();
    return;
  }
  if (!waiters_.empty()) {
    WaiterSharedPtr first = std::move(waiters_.front());
    waiters_.pop_front();
    first->state = Waiter::State::Handed;
    first->conn = std::move(conn);
    first->timer.cancel();
    return;
  }
  if (leased_ > 0) {
    --leased_;
  }
  // Reuse is LIFO (the warmest connection first), so the oldest are at the front; the ones idle
  // too long close here, except the `min_idle` kept in any case.
  auto now = coarse_now();
  std::size_t total = idle_.size() + 1;
  std::size_t droppable = total > options_.min_idle ? total - options_.min_idle : 0;
  auto end = idle_.begin();
  while (end != idle_.end() && droppable > 0 && expired(**end, now)) {
    ++end;
    --droppable;
  }
  idle_.erase(idle_.begin(), end);
  if (idle_.size() >= options_.max_idle) {
    return;  // conn closes as it goes out of scope
  }
  conn->mark_idle(now);
  idle_.push_back(std::move(conn));
}

void EndpointPool::free_slot() {
  if (!waiters_.empty()) {
    WaiterSharedPtr first = std::move(waiters_.front());
    waiters_.pop_front();
    first->state = Waiter::State::Slot;
    first->timer.cancel();
    return;
  }
  if (leased_ > 0) {
    --leased_;
  }
}

void EndpointPool::abandon(Waiter& waiter) {
  switch (waiter.state) {
    case Waiter::State::Queued:
      std::erase_if(waiters_, [&](const WaiterSharedPtr& w) { return w.get() == &waiter; });
      break;
    case Waiter::State::Handed:
      release(std::move(waiter.conn));  // to the next in line, or the idle set
      break;
    case Waiter::State::Slot:
      free_slot();
      break;
  }
}

bool EndpointPool::expired(const ClientConnection& conn,
                           std::chrono::steady_clock::time_point now) const {
  // In milliseconds: a configured "forever" must not overflow a nanosecond duration.
  return std::chrono::duration_cast<std::chrono::milliseconds>(now - conn.idle_since()) >=
         options_.idle_timeout;
}

}  // namespace meshd::router
