#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "meshd/core/asio.h"
#include "meshd/http/body.h"
#include "meshd/http/message.h"
#include "testing/run.h"

// Test helpers of the admin tests: the shared io_context driver (testing/run.h), requests and
// response bodies.
namespace meshd::admin::test {

using meshd::testing::run;

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
