#pragma once

#include <exception>
#include <string_view>

#include "meshd/core/asio.h"
#include "meshd/core/log.h"

namespace meshd {

/// Counts coroutines that ended with an escaped exception ("cannot happen" bugs), for
/// `internal_errors` metrics. Relaxed, process-wide.
std::uint64_t internal_errors() noexcept;
void count_internal_error() noexcept;

/// Spawns `task` on `ex` with a completion handler that logs and counts an escaped exception
/// instead of a silent `detached` (STYLE.md §2). `what` names the task in the log line.
template <class Executor, class Awaitable>
void spawn(const Executor& ex, Awaitable&& task, std::string_view what) {
  asio::co_spawn(ex, std::forward<Awaitable>(task), [what](std::exception_ptr e) {
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
  });
}

}  // namespace meshd
