#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "meshd/core/result.h"
#include "meshd/http/headers.h"

namespace meshd::http {

/// A message body that streams: the reader pulls one piece at a time, so a slow reader slows the
/// producer (backpressure) and no more than one piece is held in memory.
class Body {
 public:
  virtual ~Body() = default;

  /// Reads the next piece. An empty view means the body is complete and `trailers()` is final.
  /// The view stays valid until the next `read()` or the body's destruction. A body that ends
  /// early (peer closed, reset, malformed framing) returns an error (`errc::upstream_reset`,
  /// `errc::client_gone`, `errc::protocol_error`), never a clean end. Runs on the executor of the
  /// connection the body comes from; cancellation aborts the read and poisons the body.
  virtual boost::asio::awaitable<Result<std::string_view>> read() = 0;

  /// The total length when known in advance (Content-Length), else nullopt.
  virtual std::optional<std::uint64_t> length() const = 0;

  /// Trailer fields received after the last piece (chunked bodies only); empty until then.
  virtual const Headers& trailers() const;

  /// The bytes left to read when all of the rest of the body (its end and trailers included)
  /// has already arrived and sits in memory, so that reading it to the end never waits;
  /// nullopt when more must still come (or the body cannot tell). Lets a proxy keep a small
  /// request of unknown length for retries without stalling a stream that is still open.
  virtual std::optional<std::uint64_t> arrived() const { return std::nullopt; }
};

using BodyPtr = std::unique_ptr<Body>;

/// A body held in memory: error responses, admin pages, buffered small bodies.
class BufferBody final : public Body {
 public:
  explicit BufferBody(std::string data, Headers trailers = {})
      : data_(std::move(data)), trailers_(std::move(trailers)) {}

  // http::Body
  boost::asio::awaitable<Result<std::string_view>> read() override;
  std::optional<std::uint64_t> length() const override { return data_.size(); }
  const Headers& trailers() const override { return trailers_; }
  std::optional<std::uint64_t> arrived() const override { return done_ ? 0 : data_.size(); }

 private:
  std::string data_;
  Headers trailers_;
  bool done_ = false;
};

/// Reads `body` to its end, appending to `out`; fails with `errc::body_too_large` past `limit`.
boost::asio::awaitable<Result<void>> read_all(Body& body, std::string& out,
                                              std::size_t limit = SIZE_MAX);

}  // namespace meshd::http
