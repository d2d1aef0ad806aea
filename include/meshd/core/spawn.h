#pragma once

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <exception>
#include <string_view>

#include "meshd/core/asio.h"
#include "meshd/core/log.h"

namespace meshd {

/// Counts coroutines that ended with an escaped exception ("cannot happen" bugs), for
/// `internal_errors` metrics. Relaxed, process-wide.
std::uint64_t internal_errors() noexcept;
void count_internal_error() noexcept;

namespace detail {
/// The completion handler of `spawn`: logs and counts an escaped exception.
struct SpawnCompletion {
  std::string_view what;
  void operator()(std::exception_ptr e) const {
    if (!e) {
      return;
    }
    count_internal_error();
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      log::get("core")->error("task failed task={} error={}", what, ex.what());
    } catch (...) {
      log::get("core")->error("task failed task={} error=unknown", what);
    }
  }
};
}  // namespace detail

/// Spawns `task` on `ex` with a completion handler that logs and counts an escaped exception
/// instead of a silent `detached` (STYLE.md §2). `what` names the task in the log line.
template <class Executor, class Awaitable>
void spawn(const Executor& ex, Awaitable&& task, std::string_view what) {
  asio::co_spawn(ex, std::forward<Awaitable>(task), detail::SpawnCompletion{what});
}

/// Like `spawn`, with `slot` bound so that emitting on its signal cancels whatever the task is
/// awaiting at that moment.
template <class Executor, class Awaitable>
void spawn(const Executor& ex, Awaitable&& task, std::string_view what,
           asio::cancellation_slot slot) {
  asio::co_spawn(ex, std::forward<Awaitable>(task),
                 asio::bind_cancellation_slot(slot, detail::SpawnCompletion{what}));
}

}  // namespace meshd
