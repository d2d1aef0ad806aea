// EndpointPool (src/router/endpoint_pool.cc) against a loopback server on port 0: the
// hostConnectionPool limits (max_connections, max_waiters, min_idle; inventory §3.3), FIFO
// hand-over, cancellation of queued acquires, and the Release contract of http1::exchange()
// that tells the pool when a connection in use closes.

#include "meshd/router/endpoint_pool.h"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "meshd/core/timeout.h"
#include "meshd/http/body.h"
#include "meshd/http/message.h"
#include "testing/run.h"

namespace meshd::router {
namespace {

using namespace std::chrono_literals;
using http1::ClientConnection;
using http1::ClientConnectionPtr;
using meshd::testing::run_until;
using tcp = asio::ip::tcp;

/// Accepts connections and answers every request head on them with `reply` (keeping the
/// connection open unless `close_after_reply`), or, per `mode`, closes without an answer or
/// never answers.
struct Server {
  enum class Mode { Reply, Close, Hang };
  explicit Server(asio::io_context& io) : acceptor(io, {asio::ip::make_address("127.0.0.1"), 0}) {}

  tcp::acceptor acceptor;
  Mode mode = Mode::Reply;
  std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  bool close_after_reply = false;
  int accepted = 0;
};

/// The completion of every spawned task: an escaped exception fails the test.
void report(std::exception_ptr e) {
  if (e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      ADD_FAILURE() << "task failed: " << ex.what();
    }
  }
}

void spawn(asio::io_context& io, asio::awaitable<void> task) {
  asio::co_spawn(io, std::move(task), report);
}

asio::awaitable<void> serve_connection(std::shared_ptr<Server> server, tcp::socket s) {
  std::string buf;
  for (;;) {
    auto [ec, n] =
        co_await asio::async_read_until(s, asio::dynamic_buffer(buf), "\r\n\r\n", use_nothrow);
    if (ec) {
      co_return;
    }
    buf.erase(0, n);
    if (server->mode == Server::Mode::Close) {
      co_return;
    }
    if (server->mode == Server::Mode::Hang) {
      asio::steady_timer forever(s.get_executor(), asio::steady_timer::time_point::max());
      co_await forever.async_wait(use_nothrow);
      co_return;
    }
    auto [wec, wn] = co_await asio::async_write(s, asio::buffer(server->reply), use_nothrow);
    (void)wn;
    if (wec || server->close_after_reply) {
      co_return;  // the socket closes with the frame
    }
  }
}

asio::awaitable<void> accept_loop(std::shared_ptr<Server> server) {
  for (;;) {
    auto [ec, s] = co_await server->acceptor.async_accept(use_nothrow);
    if (ec) {
      co_return;
    }
    ++server->accepted;
    auto executor = co_await asio::this_coro::executor;
    asio::co_spawn(executor, serve_connection(server, std::move(s)), report);
  }
}

/// What one acquire() produced, and when, relative to the others.
struct Got {
  std::optional<Result<ClientConnectionPtr>> conn;
  bool reused = false;
  int order = 0;

  bool done() const { return conn.has_value(); }
  bool ok() const { return conn && conn->has_value(); }
  ClientConnection* get() const { return ok() ? conn->value().get() : nullptr; }
  boost::system::error_code error() const {
    return conn && !*conn ? conn->error() : boost::system::error_code{};
  }
  ClientConnectionPtr take() { return std::move(conn->value()); }
};

asio::awaitable<void> acquire_into(EndpointPoolSharedPtr pool, Got* got, int* counter, bool fresh) {
  bool reused = false;
  auto conn = co_await pool->acquire(&reused, fresh);
  got->reused = reused;
  got->order = ++*counter;
  got->conn.emplace(std::move(conn));
}

asio::awaitable<void> acquire_within(EndpointPoolSharedPtr pool, Got* got, int* counter,
                                     std::chrono::milliseconds limit) {
  bool reused = false;
  auto conn = co_await with_timeout(pool->acquire(&reused), limit);
  got->reused = reused;
  got->order = ++*counter;
  got->conn.emplace(std::move(conn));
}

/// The outcome of an exchange on a pooled connection, and what its `Release` was told.
struct Exchanged {
  bool done = false;
  boost::system::error_code error;
  int status = 0;
  std::string body;
  int reused = 0;  ///< Release calls with a connection
  int closed = 0;  ///< Release calls with nullptr
  int releases() const { return reused + closed; }
};

/// The pool's releaser, counting into `out` (which must outlive the connection).
http1::Release counting(const EndpointPoolSharedPtr& pool, Exchanged* out) {
  return [release = pool->releaser(), out](ClientConnectionPtr conn) {
    ++(conn ? out->reused : out->closed);
    release(std::move(conn));
  };
}

http::Request get_request() {
  http::Request req;
  req.method = "GET";
  req.target = "/";
  req.headers.add("Host", "h");
  req.body = std::make_unique<http::BufferBody>("");
  return req;
}

/// Sends `GET /` on `conn` (giving up after `limit`, if not zero); reads the body unless
/// `drop_body`.
asio::awaitable<void> exchange_into(EndpointPoolSharedPtr pool, ClientConnectionPtr conn,
                                    Exchanged* out, bool drop_body,
                                    std::chrono::milliseconds limit) {
  http::Request req = get_request();
  auto rsp = co_await with_timeout(
      http1::exchange(std::move(conn), req, counting(pool, out), nullptr), limit);
  if (!rsp) {
    out->error = rsp.error();
  } else {
    out->status = rsp->status;
    if (!drop_body) {
      auto read = co_await http::read_all(*rsp->body, out->body);
      EXPECT_TRUE(read.has_value()) << read.error().message();
    }
  }
  out->done = true;
}

class EndpointPoolTest : public ::testing::Test {
 protected:
  void SetUp() override { spawn(io_, accept_loop(server_)); }

  EndpointPoolSharedPtr make_pool(PoolOptions options) {
    return std::make_shared<EndpointPool>(server_->acceptor.local_endpoint(), options);
  }
  void start(const EndpointPoolSharedPtr& pool, Got& got, bool fresh = false) {
    spawn(io_, acquire_into(pool, &got, &counter_, fresh));
  }
  /// One acquire, run to completion.
  Got acquire(const EndpointPoolSharedPtr& pool, bool fresh = false) {
    Got got;
    start(pool, got, fresh);
    run_until(io_, [&] { return got.done(); });
    EXPECT_TRUE(got.done());
    return got;
  }
  /// Runs the io_context until nothing is ready (the server accepting, waiters queued).
  void settle() {
    io_.restart();
    io_.poll();
  }

  asio::io_context io_;
  std::shared_ptr<Server> server_ = std::make_shared<Server>(io_);
  int counter_ = 0;
};

PoolOptions limited(std::size_t max_connections, std::size_t max_waiters = SIZE_MAX) {
  PoolOptions options;
  options.max_connections = max_connections;
  options.max_waiters = max_waiters;
  return options;
}

// ---- max_connections and the FIFO queue ---------------------------------------------------------

TEST_F(EndpointPoolTest, OneConnectionServesThreeAcquiresInFifoOrder) {
  auto pool = make_pool(limited(1));
  Got a, b, c;
  start(pool, a);
  start(pool, b);
  start(pool, c);
  run_until(io_, [&] { return a.done() && pool->waiters() == 2; });
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_FALSE(b.done());
  EXPECT_EQ(pool->open(), 1u);
  ClientConnection* only = a.get();

  pool->releaser()(a.take());
  run_until(io_, [&] { return b.done(); });
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(c.done());
  EXPECT_EQ(pool->waiters(), 1u);
  pool->releaser()(b.take());
  run_until(io_, [&] { return c.done(); });

  ASSERT_TRUE(c.ok());
  EXPECT_EQ(b.get(), nullptr);  // given back
  EXPECT_EQ(c.get(), only);
  EXPECT_TRUE(b.reused);
  EXPECT_TRUE(c.reused);
  EXPECT_EQ(a.order, 1);
  EXPECT_EQ(b.order, 2);
  EXPECT_EQ(c.order, 3);
  EXPECT_EQ(server_->accepted, 1);
  EXPECT_EQ(pool->open(), 1u);
  EXPECT_EQ(pool->waiters(), 0u);
}

TEST_F(EndpointPoolTest, AKeepAliveExchangeHandsItsConnectionToTheFirstWaiter) {
  auto pool = make_pool(limited(1));
  Got a = acquire(pool);
  ASSERT_TRUE(a.ok());
  Got b;
  start(pool, b);
  settle();
  ASSERT_EQ(pool->waiters(), 1u);
  ClientConnection* first = a.get();

  Exchanged ex;
  spawn(io_, exchange_into(pool, a.take(), &ex, false, 0ms));
  run_until(io_, [&] { return ex.done && b.done(); });

  EXPECT_EQ(ex.body, "ok");
  EXPECT_EQ(ex.reused, 1);
  EXPECT_EQ(ex.closed, 0);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b.get(), first);
  EXPECT_EQ(b.get()->uses(), 1u);
  EXPECT_EQ(server_->accepted, 1);
}

TEST_F(EndpointPoolTest, MaxWaitersRejectsOneMoreWithOverloaded) {
  auto pool = make_pool(limited(1, 1));
  Got a, b, c;
  start(pool, a);
  start(pool, b);
  start(pool, c);

  run_until(io_, [&] { return a.done() && c.done(); });

  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(b.done());
  EXPECT_EQ(c.error(), make_error_code(errc::overloaded));
  EXPECT_EQ(pool->waiters(), 1u);
  EXPECT_EQ(pool->open(), 1u);
  pool->releaser()(a.take());
  run_until(io_, [&] { return b.done(); });
  EXPECT_TRUE(b.ok());
}

TEST_F(EndpointPoolTest, ZeroMaxWaitersFailsAtOnceWhenAllConnectionsAreInUse) {
  auto pool = make_pool(limited(2, 0));
  Got a = acquire(pool);
  Got b = acquire(pool);

  Got c = acquire(pool);

  EXPECT_TRUE(a.ok());
  EXPECT_TRUE(b.ok());
  EXPECT_EQ(c.error(), make_error_code(errc::overloaded));
  EXPECT_EQ(server_->accepted, 2);
}

// ---- cancellation -------------------------------------------------------------------------------

TEST_F(EndpointPoolTest, AWaiterThatTimesOutLeavesTheQueue) {
  auto pool = make_pool(limited(1));
  Got a = acquire(pool);
  ASSERT_TRUE(a.ok());
  Got b;
  spawn(io_, acquire_within(pool, &b, &counter_, 20ms));

  run_until(io_, [&] { return b.done(); });

  EXPECT_EQ(b.error(), make_error_code(errc::timeout));
  EXPECT_EQ(pool->waiters(), 0u);
  // The connection is not lost to the departed waiter: the next one gets it.
  Got c;
  start(pool, c);
  settle();
  pool->releaser()(a.take());
  run_until(io_, [&] { return c.done(); });
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c.reused);
  EXPECT_EQ(server_->accepted, 1);
  EXPECT_EQ(pool->open(), 1u);
}

TEST_F(EndpointPoolTest, AWaiterCancelledAfterTheHandOverPassesTheConnectionOn) {
  auto pool = make_pool(limited(1));
  Got a = acquire(pool);
  ASSERT_TRUE(a.ok());
  Got b, c;
  asio::cancellation_signal cancel_b;
  asio::co_spawn(io_, acquire_into(pool, &b, &counter_, false),
                 asio::bind_cancellation_slot(cancel_b.slot(), report));
  start(pool, c);
  settle();
  ASSERT_EQ(pool->waiters(), 2u);

  // b is cancelled and, before it resumes, the connection goes to b (co_spawn delivers the
  // cancellation through b's executor, so it lands before b's wake-up).
  cancel_b.emit(asio::cancellation_type::terminal);
  pool->releaser()(a.take());
  ASSERT_EQ(pool->waiters(), 1u);
  run_until(io_, [&] { return b.done() && c.done(); });

  EXPECT_EQ(b.error(), asio::error::operation_aborted);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c.reused);
  EXPECT_EQ(server_->accepted, 1);
  EXPECT_EQ(pool->open(), 1u);
  EXPECT_EQ(pool->waiters(), 0u);
}

TEST_F(EndpointPoolTest, AWaiterCancelledWhileQueuedIsNeverServed) {
  auto pool = make_pool(limited(1));
  Got a = acquire(pool);
  Got b, c;
  asio::cancellation_signal cancel_b;
  asio::co_spawn(io_, acquire_into(pool, &b, &counter_, false),
                 asio::bind_cancellation_slot(cancel_b.slot(), report));
  start(pool, c);
  settle();

  cancel_b.emit(asio::cancellation_type::terminal);
  run_until(io_, [&] { return b.done(); });
  EXPECT_EQ(pool->waiters(), 1u);
  pool->releaser()(a.take());
  run_until(io_, [&] { return c.done(); });

  EXPECT_EQ(b.error(), asio::error::operation_aborted);
  EXPECT_TRUE(c.ok());
  EXPECT_GT(c.order, b.order);
}

// ---- connections that close ---------------------------------------------------------------------

TEST_F(EndpointPoolTest, AClosedConnectionFreesItsSlotForTheFirstWaiter) {
  server_->reply = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  server_->close_after_reply = true;
  auto pool = make_pool(limited(1));
  Got a = acquire(pool);
  ASSERT_TRUE(a.ok());
  Got b;
  start(pool, b);
  settle();

  Exchanged ex;
  spawn(io_, exchange_into(pool, a.take(), &ex, false, 0ms));
  run_until(io_, [&] { return ex.done && b.done(); });

  EXPECT_EQ(ex.status, 200);
  EXPECT_EQ(ex.closed, 1);
  EXPECT_EQ(ex.releases(), 1);
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b.reused);  // connected anew in the freed slot
  EXPECT_EQ(server_->accepted, 2);
  EXPECT_EQ(pool->open(), 1u);
}

TEST_F(EndpointPoolTest, AnAbandonedResponseBodyFreesItsSlot) {
  auto pool = make_pool(limited(1));
  Got a = acquire(pool);
  ASSERT_TRUE(a.ok());

  Exchanged ex;
  spawn(io_, exchange_into(pool, a.take(), &ex, /*drop_body=*/true, 0ms));
  run_until(io_, [&] { return ex.done; });

  EXPECT_EQ(ex.status, 200);
  EXPECT_EQ(ex.closed, 1);
  EXPECT_EQ(ex.releases(), 1);
  EXPECT_EQ(pool->open(), 0u);
  EXPECT_EQ(pool->idle(), 0u);
  Got b = acquire(pool);
  EXPECT_TRUE(b.ok());
  EXPECT_EQ(server_->accepted, 2);
}

TEST_F(EndpointPoolTest, AFailedExchangeFreesItsSlot) {
  server_->mode = Server::Mode::Close;
  auto pool = make_pool(limited(1));
  Got a = acquire(pool);
  ASSERT_TRUE(a.ok());

  Exchanged ex;
  spawn(io_, exchange_into(pool, a.take(), &ex, false, 0ms));
  run_until(io_, [&] { return ex.done; });

  EXPECT_EQ(ex.error, make_error_code(errc::upstream_reset));
  EXPECT_EQ(ex.closed, 1);
  EXPECT_EQ(ex.releases(), 1);
  EXPECT_EQ(pool->open(), 0u);
}

TEST_F(EndpointPoolTest, ACancelledExchangeFreesItsSlot) {
  server_->mode = Server::Mode::Hang;
  auto pool = make_pool(limited(1));
  Got a = acquire(pool);
  ASSERT_TRUE(a.ok());
  Got b;
  start(pool, b);
  settle();

  Exchanged ex;
  spawn(io_, exchange_into(pool, a.take(), &ex, false, 20ms));
  run_until(io_, [&] { return ex.done && b.done(); });

  EXPECT_EQ(ex.error, make_error_code(errc::timeout));
  EXPECT_EQ(ex.closed, 1);
  EXPECT_EQ(ex.releases(), 1);
  ASSERT_TRUE(b.ok());  // the waiter got the freed slot
  EXPECT_FALSE(b.reused);
  EXPECT_EQ(pool->open(), 1u);
}

TEST_F(EndpointPoolTest, ABodilessResponseReleasesTheConnectionBeforeExchangeReturns) {
  server_->reply = "HTTP/1.1 204 No Content\r\n\r\n";
  auto pool = make_pool({});
  Got a = acquire(pool);
  ASSERT_TRUE(a.ok());

  Exchanged ex;
  spawn(io_, exchange_into(pool, a.take(), &ex, /*drop_body=*/true, 0ms));
  run_until(io_, [&] { return ex.done; });

  EXPECT_EQ(ex.status, 204);
  EXPECT_EQ(ex.reused, 1);
  EXPECT_EQ(ex.releases(), 1);
  EXPECT_EQ(pool->idle(), 1u);
  EXPECT_EQ(pool->open(), 1u);
}

TEST_F(EndpointPoolTest, ReleasingNullptrFreesTheSlot) {
  auto pool = make_pool(limited(1));
  Got a = acquire(pool);
  ASSERT_EQ(pool->open(), 1u);

  a.take().reset();
  pool->releaser()(nullptr);

  EXPECT_EQ(pool->open(), 0u);
  EXPECT_TRUE(acquire(pool).ok());
}

TEST_F(EndpointPoolTest, AFailedConnectPassesItsSlotToTheNextWaiter) {
  tcp::endpoint dead;
  {
    tcp::acceptor closed(io_, {asio::ip::make_address("127.0.0.1"), 0});
    dead = closed.local_endpoint();
  }
  auto pool = std::make_shared<EndpointPool>(dead, limited(1));
  Got a, b;
  start(pool, a);
  start(pool, b);

  run_until(io_, [&] { return a.done() && b.done(); });

  EXPECT_EQ(a.error(), make_error_code(errc::connect_failed));
  EXPECT_EQ(b.error(), make_error_code(errc::connect_failed));
  EXPECT_EQ(pool->open(), 0u);
  EXPECT_EQ(pool->waiters(), 0u);
}

// ---- idle connections ---------------------------------------------------------------------------

TEST_F(EndpointPoolTest, ReusesTheWarmestIdleConnectionFirst) {
  auto pool = make_pool({});
  Got a = acquire(pool);
  Got b = acquire(pool);
  ClientConnection* second = b.get();
  pool->releaser()(a.take());
  pool->releaser()(b.take());
  ASSERT_EQ(pool->idle(), 2u);

  Got c = acquire(pool);

  EXPECT_EQ(c.get(), second);
  EXPECT_TRUE(c.reused);
  EXPECT_EQ(pool->open(), 2u);
  EXPECT_EQ(pool->idle(), 1u);
}

TEST_F(EndpointPoolTest, AcquireIdleLeasesAnIdleConnectionAtOnceOrGivesNothing) {
  PoolOptions options;
  options.max_connections = 1;
  auto pool = make_pool(options);
  EXPECT_EQ(pool->acquire_idle(), nullptr);  // nothing pooled: acquire() would connect
  EXPECT_EQ(pool->open(), 0u);

  Got a = acquire(pool);
  ClientConnection* first = a.get();
  EXPECT_EQ(pool->acquire_idle(), nullptr);  // the one connection is leased
  pool->releaser()(a.take());
  ASSERT_EQ(pool->idle(), 1u);

  ClientConnectionPtr again = pool->acquire_idle();
  EXPECT_EQ(again.get(), first);
  EXPECT_EQ(pool->idle(), 0u);
  EXPECT_EQ(pool->open(), 1u);  // leased: counted against max_connections
  Got b;
  start(pool, b);
  settle();
  EXPECT_FALSE(b.done());  // queued behind the lease
  pool->releaser()(std::move(again));
  settle();
  EXPECT_EQ(b.get(), first);  // handed straight to the waiter
}

TEST_F(EndpointPoolTest, MaxIdleClosesTheExtraConnections) {
  PoolOptions options;
  options.max_idle = 1;
  auto pool = make_pool(options);
  Got a = acquire(pool);
  Got b = acquire(pool);

  pool->releaser()(a.take());
  pool->releaser()(b.take());

  EXPECT_EQ(pool->idle(), 1u);
  EXPECT_EQ(pool->open(), 1u);
}

TEST_F(EndpointPoolTest, IdleConnectionsPastTheIdleTimeoutClose) {
  PoolOptions options;
  options.idle_timeout = 0ms;  // every idle connection has rested too long
  auto pool = make_pool(options);
  Got a = acquire(pool);
  Got b = acquire(pool);
  pool->releaser()(a.take());
  pool->releaser()(b.take());
  EXPECT_EQ(pool->idle(), 1u);  // the first was dropped when the second came back

  Got c = acquire(pool);

  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c.reused);
  EXPECT_EQ(server_->accepted, 3);
  EXPECT_EQ(pool->open(), 1u);
}

TEST_F(EndpointPoolTest, MinIdleKeepsConnectionsPastTheIdleTimeout) {
  PoolOptions options;
  options.idle_timeout = 0ms;
  options.min_idle = 2;
  auto pool = make_pool(options);
  Got a = acquire(pool);
  Got b = acquire(pool);
  Got c = acquire(pool);
  ClientConnection* kept = b.get();
  pool->releaser()(a.take());
  pool->releaser()(b.take());
  pool->releaser()(c.take());
  EXPECT_EQ(pool->idle(), 2u);  // the oldest went; min_idle kept the other two

  Got d = acquire(pool);
  Got e = acquire(pool);

  EXPECT_TRUE(d.reused);
  EXPECT_TRUE(e.reused);
  EXPECT_EQ(e.get(), kept);
  EXPECT_EQ(server_->accepted, 3);
}

TEST_F(EndpointPoolTest, AFreshAcquireAtTheLimitReplacesAnIdleConnection) {
  auto pool = make_pool(limited(1));
  Got a = acquire(pool);
  pool->releaser()(a.take());
  ASSERT_EQ(pool->idle(), 1u);

  Got b = acquire(pool, /*fresh=*/true);

  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b.reused);
  EXPECT_EQ(server_->accepted, 2);
  EXPECT_EQ(pool->idle(), 0u);
  EXPECT_EQ(pool->open(), 1u);
}

TEST_F(EndpointPoolTest, ReleasesAfterThePoolIsGoneJustClose) {
  auto pool = make_pool({});
  Got a = acquire(pool);
  auto release = pool->releaser();
  pool.reset();

  release(a.take());  // nothing to return to: the connection closes

  SUCCEED();
}

}  // namespace
}  // namespace meshd::router
