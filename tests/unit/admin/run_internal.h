#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include "meshd/core/asio.h"
#include "meshd/http/body.h"
#include "meshd/http/message.h"

// Test helpers of the admin tests: drive an io_context until one awaitable completes.
namespace meshd::admin::test {

/// Runs `task` on `io` until it completes (at most `limit`), then also runs whatever it posted.
/// Rethrows an escaped exception; fails the test and throws when the task does not finish.
template <class T>
T run(asio::io_context& io, asio::awaitable<T> task,
      std::chrono::steady_clock::duration limit = std::chrono::seconds(5)) {
  std::optional<T> result;
  std::exception_ptr error;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) {
      result.emplace(std::move(value));
    }
  });
  io.restart();
  io.run_for(limit);
  if (error) {
    std::rethrow_exception(error);
  }
  if (!result) {
    ADD_FAILURE() << "task did not complete";
    throw std::runtime_error("task did not complete");
  }
  return std::move(*result);
}

/// A request as a codec would build it, with an in-memory body.
inline http::Request request(std::string method, std::string target, std::string body = "") {
  http::Request req;
  req.method = std::move(method);
  req.target = std::move(target);
  req.body = std::make_unique<http::BufferBody>(std::move(body));
  return req;
}

/// Reads a response body to the end.
inline std::string body_of(asio::io_context& io, http::Response& rsp) {
  auto read = [](http::Body& body) -> asio::awaitable<std::string> {
    std::string out;
    auto r = co_await http::read_all(body, out);
    EXPECT_TRUE(r.has_value());
    co_return out;
  };
  return run(io, read(*rsp.body));
}

}  // namespace meshd::admin::test
