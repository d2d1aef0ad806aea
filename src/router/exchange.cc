// The exchange of one try with one endpoint, below the path stack (forward.cc): a pooled
// HTTP/1.1 connection or a stream of the endpoint's h2 session, bounded by the attempt timeout.

#include "meshd/core/log.h"
#include "meshd/core/timeout.h"
#include "meshd/http1/client.h"
#include "meshd/http2/settings.h"
#include "meshd/router/errors.h"
#include "meshd/router/router.h"
#include "router/worker_state_internal.h"

namespace meshd::router {

asio::awaitable<Result<void>> RouterWorker::exchange_within(
    http::Request& req, Endpoint& endpoint, Client& client,
    std::optional<std::chrono::milliseconds> timeout, Result<http::Response>& rsp, int sent) {
  // Not a coroutine: `dispatch` awaits the exchange (bounded when the client says so).
  if (timeout) {
    return with_timeout(exchange_on(req, endpoint, client, rsp, sent), *timeout);
  }
  return exchange_on(req, endpoint, client, rsp, sent);
}

boost::system::error_code RouterWorker::acquisition_failed(http::Request& req,
                                                           const EndpointPool& pool,
                                                           const Client& client,
                                                           boost::system::error_code ec) const {
  log::get("router")->debug("connect failed endpoint={} error={}", pool.label(), ec.message());
  if (ec == asio::error::operation_aborted) {
    return ec;
  }
  req.ctx.failure_stage = http::FailureStage::ClientAcquisition;
  if (ec == make_error_code(errc::overloaded)) {
    req.ctx.failure_detail = options_->h2 ? "too many streams in flight to " + pool.label()
                                          : "too many requests waiting for a connection to " +
                                                pool.label() + " (hostConnectionPool.maxWaiters)";
    return ec;
  }
  req.ctx.failure_detail = connect_failed(pool.label(), *req.ctx.dst, client.id, client.labels);
  return make_error_code(errc::connect_failed);
}

asio::awaitable<Result<void>> RouterWorker::exchange_h2(http::Request& req, Endpoint& endpoint,
                                                        Client& client, Result<http::Response>& rsp,
                                                        int sent) {
  EndpointPool& pool = *endpoint.pool;
  req.ctx.unprocessed = false;
  req.ctx.upstream_reset.reset();
  for (int attempt = sent;; ++attempt) {
    http2::ClientSessionSharedPtr session = pool.ready_session();
    if (!session) [[unlikely]] {
      auto made = co_await pool.session();
      if (!made) [[unlikely]] {
        rsp = acquisition_failed(req, pool, client, made.error());
        co_return Result<void>();
      }
      session = std::move(*made);
    }
    http2::ExchangeFailure failure;
    // The session's exchange in steps, awaited here: one coroutine frame less per request.
    auto exchange = session->open(req, failure);
    if (exchange) {
      while (!exchange->ready()) {
        asio::cancellation_state cs = co_await asio::this_coro::cancellation_state;
        if (cs.cancelled() != asio::cancellation_type::none) [[unlikely]] {
          break;  // finish() gives the exchange up
        }
        co_await exchange->wait();
      }
      rsp = exchange->finish(failure);
    } else [[unlikely]] {
      rsp = exchange.error();
    }
    if (h2_try_over(req, pool, rsp, failure, attempt)) {
      co_return Result<void>();
    }
  }
}

bool RouterWorker::h2_try_over(http::Request& req, const EndpointPool& pool,
                               Result<http::Response>& rsp, const http2::ExchangeFailure& failure,
                               int attempt) const {
  // A stream the server refused, or one a GOAWAY cut off, is sent again once (on a new session
  // if that one closed) when nothing of its body can have been consumed. (The body last: after
  // the response it is out of cache, and a response needs no replay.)
  if (rsp || !failure.replayable || attempt >= 1 ||
      req.body->length() != std::optional<std::uint64_t>{0}) {
    // Sent again by the router if it kept the body (`attempt_end`).
    req.ctx.unprocessed = !rsp && failure.replayable;
    if (!rsp && failure.stream_reset) [[unlikely]] {
      req.ctx.upstream_reset = static_cast<std::uint8_t>(
          failure.reset_code <= 0xff ? failure.reset_code
                                     : static_cast<std::uint32_t>(http2::ErrorCode::InternalError));
    }
    finish_exchange(req, pool, rsp, failure.detail);
    return true;
  }
  return false;
}

asio::awaitable<Result<void>> RouterWorker::exchange_on(http::Request& req, Endpoint& endpoint,
                                                        Client& client, Result<http::Response>& rsp,
                                                        int sent) {
  // Not a coroutine: the caller awaits the protocol's own, one frame less per try.
  return options_->h2 ? exchange_h2(req, endpoint, client, rsp, sent)
                      : exchange_h1(req, endpoint, client, rsp);
}

asio::awaitable<Result<void>> RouterWorker::exchange_h1(http::Request& req, Endpoint& endpoint,
                                                        Client& client,
                                                        Result<http::Response>& rsp) {
  EndpointPool& pool = *endpoint.pool;
  for (int attempt = 0;; ++attempt) {
    // A replay must not meet another stale pooled connection: it always connects afresh.
    http1::ClientConnectionPtr conn = attempt == 0 ? pool.acquire_idle() : nullptr;
    if (!conn) {
      bool reused = false;
      auto got = co_await pool.acquire(&reused, attempt > 0);
      if (!got) {
        rsp = acquisition_failed(req, pool, client, got.error());
        co_return Result<void>();
      }
      conn = std::move(*got);
    }
    http1::ExchangeFailure failure;
    rsp = co_await http1::exchange(std::move(conn), req, pool.releaser(), &failure);
    bool cancelled = !rsp && rsp.error() == asio::error::operation_aborted;
    // A stale pooled connection is retried once on a fresh one; nothing else is.
    if (rsp || !failure.replayable || cancelled || attempt == 1) {
      finish_exchange(req, pool, rsp, failure.detail);
      co_return Result<void>();
    }
  }
}

}  // namespace meshd::router
