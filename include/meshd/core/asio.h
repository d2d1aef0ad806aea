#pragma once

// The Asio pieces every coroutine-based module uses, under one short namespace alias.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace meshd {
namespace asio = boost::asio;

/// Completion token for coroutine I/O that returns `(error_code, ...)` as a tuple instead of
/// throwing (Beast's flex-awaitable style): `auto [ec, n] = co_await op(..., use_nothrow);`.
inline constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

/// `use_nothrow` for an operation awaited where it is made (`co_await op(..., await_nothrow)`):
/// the coroutine awaits the operation itself, without the coroutine frame `use_awaitable`
/// allocates to start it, so the result cannot be kept to await later.
inline constexpr auto await_nothrow = asio::as_tuple(asio::deferred);
}  // namespace meshd
