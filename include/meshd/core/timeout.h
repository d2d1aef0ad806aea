#pragma once

#include <boost/asio/experimental/awaitable_operators.hpp>

#include <chrono>

#include "meshd/core/asio.h"
#include "meshd/core/result.h"

namespace meshd {

/// Runs `op` but gives up after `d`: the single timeout helper of the code base (STYLE.md §2).
/// On expiry `op` is cancelled (terminal cancellation reaches its pending I/O) and
/// `errc::timeout` is returned. A zero or negative `d` means no timeout. Runs on the caller's
/// executor.
template <class T>
asio::awaitable<Result<T>> with_timeout(asio::awaitable<Result<T>> op,
                                        std::chrono::steady_clock::duration d) {
  if (d <= std::chrono::steady_clock::duration::zero()) {
    co_return co_await std::move(op);
  }
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  auto r = co_await (std::move(op) || timer.async_wait(use_nothrow));
  if (r.index() == 0) {
    co_return std::move(std::get<0>(r));
  }
  co_return make_error_code(errc::timeout);
}

}  // namespace meshd
