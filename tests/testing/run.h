#pragma once

// The bounded io_context driver of every module's unit tests (STYLE.md §9): run an awaitable to
// completion, or step the io_context until a condition holds, and fail the test instead of
// hanging when the work does not finish in time.

#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

#include "meshd/core/asio.h"

namespace meshd::testing {

/// Runs `io` one handler at a time until `done()` holds or `limit` passes. Unlike `run_for` it
/// returns as soon as the work of interest is over, even while other work (a test backend still
/// waiting to accept, a timer) is pending.
template <class Done>
void run_until(asio::io_context& io, Done done,
               std::chrono::steady_clock::duration limit = std::chrono::seconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  io.restart();
  while (!done()) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      break;
    }
    io.run_one_for(deadline - now);
  }
}

/// Runs `task` (a non-void awaitable) on `io` until it completes, for at most `limit`, and
/// returns its value; returns as soon as the task is done, as `run_until` does. Rethrows an
/// exception escaping the task. When the task does not finish in time, fails the test and
/// throws, so the test stops there.
template <class T>
T run(asio::io_context& io, asio::awaitable<T> task,
      std::chrono::steady_clock::duration limit = std::chrono::seconds(5)) {
  // Shared with the completion handler, which outlives this call when the task times out.
  struct Outcome {
    bool done = false;
    std::exception_ptr error;
    std::optional<T> value;
  };
  auto outcome = std::make_shared<Outcome>();
  asio::co_spawn(io, std::move(task), [outcome](std::exception_ptr e, T value) {
    outcome->done = true;
    outcome->error = e;
    if (!e) {
      outcome->value.emplace(std::move(value));
    }
  });
  run_until(
      io, [&] { return outcome->done; }, limit);
  if (outcome->error) {
    std::rethrow_exception(outcome->error);
  }
  if (!outcome->value) {
    ADD_FAILURE() << "task did not complete within the limit";
    throw std::runtime_error("task did not complete");
  }
  return std::move(*outcome->value);
}

}  // namespace meshd::testing
