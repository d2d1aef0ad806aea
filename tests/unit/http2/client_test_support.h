#pragma once

// Helpers of the HTTP/2 client tests (client_test.cc, client_nghttpd_test.cc): exchanges read
// to their end, scripted request bodies, a byte-counting transport, and bounded polling.

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "meshd/core/asio.h"
#include "meshd/http/body.h"
#include "meshd/http/message.h"
#include "meshd/http2/client.h"
#include "meshd/transport/stream.h"
#include "testing/run.h"

namespace meshd::http2::test {

using namespace std::chrono_literals;

/// What one exchange produced, with the response body read to its end.
struct Got {
  boost::system::error_code error;
  ExchangeFailure failure;
  int status = 0;
  http::Version version;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::uint64_t> length;
  std::string body;
  boost::system::error_code body_error;
  std::vector<std::pair<std::string, std::string>> trailers;

  std::string header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) {
        return v;
      }
    }
    return "(absent)";
  }
};

inline std::vector<std::pair<std::string, std::string>> fields(const http::Headers& h) {
  std::vector<std::pair<std::string, std::string>> out;
  h.for_each([&](const http::Headers::Field& f) { out.emplace_back(f.name, f.value); });
  return out;
}

/// A request body that returns `pieces` one by one, then its trailers; counts its reads.
class ScriptedBody final : public http::Body {
 public:
  ScriptedBody(std::vector<std::string> pieces, http::Headers trailers,
               std::optional<std::uint64_t> length = std::nullopt)
      : pieces_(std::move(pieces)), trailers_(std::move(trailers)), length_(length) {}
  asio::awaitable<Result<std::string_view>> read() override {
    if (next_ == pieces_.size()) {
      co_return std::string_view();
    }
    co_return std::string_view(pieces_[next_++]);
  }
  std::optional<std::uint64_t> length() const override { return length_; }
  const http::Headers& trailers() const override { return trailers_; }

 private:
  std::vector<std::string> pieces_;
  http::Headers trailers_;
  std::optional<std::uint64_t> length_;
  std::size_t next_ = 0;
};

/// A request body without end: 16 KiB pieces for as long as it is read. `reads` counts them.
class EndlessBody final : public http::Body {
 public:
  explicit EndlessBody(std::shared_ptr<int> reads) : reads_(std::move(reads)) {}
  asio::awaitable<Result<std::string_view>> read() override {
    ++*reads_;
    co_return std::string_view(piece_);
  }
  std::optional<std::uint64_t> length() const override { return std::nullopt; }

 private:
  std::shared_ptr<int> reads_;
  std::string piece_ = std::string(16384, 'b');
};

inline http::Request request(std::string method, std::string target, http::BodyPtr body = nullptr,
                             std::string host = "test.local") {
  http::Request req;
  req.method = std::move(method);
  req.target = std::move(target);
  if (!host.empty()) {
    req.headers.add("Host", host);
  }
  req.body = body ? std::move(body) : std::make_unique<http::BufferBody>("");
  return req;
}

/// Sends `req` on `session` and reads the response to its end.
inline asio::awaitable<Got> round_trip(ClientSessionSharedPtr session, http::Request req) {
  Got got;
  auto rsp = co_await session->exchange(req, &got.failure);
  if (!rsp) {
    got.error = rsp.error();
    co_return got;
  }
  got.status = rsp->status;
  got.version = rsp->version;
  got.headers = fields(rsp->headers);
  got.length = rsp->body->length();
  auto read = co_await http::read_all(*rsp->body, got.body);
  if (!read) {
    got.body_error = read.error();
  }
  got.trailers = fields(rsp->body->trailers());
  co_return got;
}

inline asio::awaitable<Got> get(ClientSessionSharedPtr session, std::string target) {
  co_return co_await round_trip(std::move(session), request("GET", std::move(target)));
}

inline asio::awaitable<void> pause(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(use_nothrow);
}

inline asio::ip::tcp::endpoint loopback(std::uint16_t port) {
  return {asio::ip::make_address("127.0.0.1"), port};
}

/// A session on a new plaintext connection to 127.0.0.1:`port`; null if it cannot connect.
inline asio::awaitable<ClientSessionSharedPtr> open_session(std::uint16_t port,
                                                            ClientOptions options = {}) {
  auto stream = co_await transport::connect(loopback(port), 2s);
  if (!stream) {
    ADD_FAILURE() << "connect to " << port << " failed: " << stream.error().message();
    co_return nullptr;
  }
  co_return ClientSession::start(std::move(*stream), options);
}

/// Polls until `done()` holds, at most `limit`; false if it never did.
template <class Done>
asio::awaitable<bool> eventually(Done done, std::chrono::milliseconds limit = 3s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      co_return false;
    }
    co_await pause(5ms);
  }
  co_return true;
}

/// Counts every open/close the session reports through its hooks.
struct HookCounts {
  int connections = 0;  ///< open now
  int connections_opened = 0;
  int streams = 0;      ///< open now
  int max_streams = 0;  ///< most open at once
  std::vector<std::string> protocol_errors;
};

inline Hooks count_hooks(const std::shared_ptr<HookCounts>& counts) {
  Hooks hooks;
  hooks.on_connection = [counts](int d) {
    counts->connections += d;
    if (d > 0) {
      ++counts->connections_opened;
    }
  };
  hooks.on_stream = [counts](int d) {
    counts->streams += d;
    counts->max_streams = std::max(counts->max_streams, counts->streams);
  };
  hooks.on_protocol_error = [counts](std::string_view r) {
    counts->protocol_errors.emplace_back(r);
  };
  return hooks;
}

/// A transport stream that counts the bytes read through it (the bytes that reached us).
class CountingStream final : public transport::Stream {
 public:
  CountingStream(transport::StreamPtr inner, std::shared_ptr<std::uint64_t> bytes_read)
      : inner_(std::move(inner)), bytes_read_(std::move(bytes_read)) {}

  asio::awaitable<Result<std::size_t>> read_some(asio::mutable_buffer buf) override {
    auto n = co_await inner_->read_some(buf);
    if (n) {
      *bytes_read_ += *n;
    }
    co_return n;
  }
  asio::awaitable<Result<void>> write(std::span<const asio::const_buffer> bufs) override {
    co_return co_await inner_->write(bufs);
  }
  void close() noexcept override { inner_->close(); }
  void cancel() noexcept override { inner_->cancel(); }
  bool is_open() const noexcept override { return inner_->is_open(); }
  bool idle_alive() noexcept override { return inner_->idle_alive(); }
  asio::ip::tcp::endpoint remote_endpoint() const noexcept override {
    return inner_->remote_endpoint();
  }
  asio::ip::tcp::endpoint local_endpoint() const noexcept override {
    return inner_->local_endpoint();
  }
  asio::ip::tcp::socket& socket() noexcept override { return inner_->socket(); }

 private:
  transport::StreamPtr inner_;
  std::shared_ptr<std::uint64_t> bytes_read_;
};

}  // namespace meshd::http2::test
