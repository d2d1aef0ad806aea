#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/container/small_vector.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meshd/core/result.h"
#include "meshd/http/headers.h"

namespace meshd::http {

class ObservedBody;

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

  /// What `read()` would return when it needs no wait, consumed likewise; nullopt when `read()`
  /// must be awaited (always, for a body that cannot tell). Lets a writer take pieces that have
  /// arrived already without a coroutine.
  virtual std::optional<Result<std::string_view>> poll() { return std::nullopt; }

  /// The total length when known in advance (Content-Length), else nullopt.
  virtual std::optional<std::uint64_t> length() const = 0;

  /// Trailer fields received after the last piece (chunked bodies only); empty until then.
  virtual const Headers& trailers() const;

  /// The bytes left to read when all of the rest of the body (its end and trailers included)
  /// has already arrived and sits in memory, so that reading it to the end never waits;
  /// nullopt when more must still come (or the body cannot tell). Lets a proxy keep a small
  /// request of unknown length for retries without stalling a stream that is still open.
  virtual std::optional<std::uint64_t> arrived() const { return std::nullopt; }

  /// Bytes that have arrived and wait to be read (0 when the body cannot tell). Lets a proxy
  /// bound what it holds while it waits for the end of a response (h2
  /// `retryBufferSize.responseBytes`).
  virtual std::uint64_t buffered() const { return 0; }

  /// The error a read ends with when the body has already failed and nothing more will arrive
  /// (a stream the peer reset, a connection lost): reading it gives what is buffered, then this
  /// error, without waiting. None while the body may still go on or end cleanly, and for a body
  /// that cannot tell. Lets a proxy that holds a response to classify it judge a failed one at
  /// once.
  virtual boost::system::error_code failure() const { return {}; }

  /// Waits, without reading anything, until more of the body arrives, it ends or it fails: what
  /// `arrived`, `buffered` and `failure` report may then have changed (the caller looks again).
  /// True after such a change; false at once for a body that cannot tell or has nothing more to
  /// come, and when the waiting coroutine is cancelled. Lets a proxy that holds a response wait
  /// for its end without polling. Not while a `read()` waits.
  virtual boost::asio::awaitable<bool> await_progress();

  /// Once a read has failed: the HTTP/2 RST_STREAM code the peer ended the body's stream with,
  /// when that is what ended it (a proxy resets its own stream with the same code, as Linkerd
  /// passes a stream reset on); else nullopt.
  virtual std::optional<std::uint32_t> reset_code() const { return std::nullopt; }

  /// This body as an `ObservedBody`, or null (what `observe` asks, cheaper than a
  /// dynamic_cast on every h2 stream).
  virtual ObservedBody* as_observed() noexcept { return nullptr; }
};

using BodyPtr = std::unique_ptr<Body>;

/// A body held in memory: error responses, admin pages, buffered small bodies.
class BufferBody final : public Body {
 public:
  explicit BufferBody(std::string data, Headers trailers = {})
      : data_(std::move(data)), trailers_(std::move(trailers)) {}

  // http::Body
  boost::asio::awaitable<Result<std::string_view>> read() override;
  std::optional<Result<std::string_view>> poll() override;
  std::optional<std::uint64_t> length() const override { return data_.size(); }
  const Headers& trailers() const override { return trailers_; }
  std::optional<std::uint64_t> arrived() const override { return done_ ? 0 : data_.size(); }

 private:
  std::string data_;
  Headers trailers_;
  bool done_ = false;
};

/// A body without bytes or trailers (a GET's, most responses to HEAD): it reads as
/// `BufferBody("")` does, in 8 bytes instead of 112, which most requests then touch in one
/// cache line.
class EmptyBody final : public Body {
 public:
  // http::Body
  boost::asio::awaitable<Result<std::string_view>> read() override;
  std::optional<Result<std::string_view>> poll() override {
    return Result<std::string_view>(std::string_view{});
  }
  std::optional<std::uint64_t> length() const override { return 0; }
  std::optional<std::uint64_t> arrived() const override { return 0; }
};

/// A new EmptyBody.
inline BodyPtr empty_body() { return std::make_unique<EmptyBody>(); }

/// How an observed body ended (see ObservedBody).
struct BodyEnd {
  /// Empty when the body ended cleanly; else the error that cut it off, or
  /// `asio::error::operation_aborted` when it was dropped before its end (its reader went away).
  boost::system::error_code error;
  std::uint64_t bytes = 0;  ///< data bytes read through the body
  /// The final trailers, empty after an error. An observer may add fields: observers later in
  /// the chain, and the body's reader, see them.
  Headers& trailers;
  /// When it ended: one clock read for every observer.
  std::chrono::steady_clock::time_point at;
};

/// A body that tells observers how it ended, exactly once: at its clean end (before the reader
/// gets the empty piece), at the error that ends it, or, when it is dropped first, from its
/// destructor (a clean end if all of it had arrived, so that a reader that skips a body it
/// knows to be empty loses nothing; fields observers add are then not seen by anyone). Observers
/// run in the order they were added (see `observe`) and must not throw. Used for what can only be
/// known at a stream's end: h2 stream stats, and the classification of a response by its trailers.
class ObservedBody final : public Body {
 public:
  using Observer = std::function<void(BodyEnd&)>;

  explicit ObservedBody(BodyPtr inner) : inner_(std::move(inner)) {}
  ~ObservedBody() override;
  ObservedBody(const ObservedBody&) = delete;
  ObservedBody& operator=(const ObservedBody&) = delete;

  /// Adds an observer, called after those already added.
  void add(Observer observer) { observers_.push_back(std::move(observer)); }
  /// True once the end has been reported.
  bool ended() const noexcept { return ended_; }

  // http::Body
  boost::asio::awaitable<Result<std::string_view>> read() override;
  std::optional<Result<std::string_view>> poll() override;
  std::optional<std::uint64_t> length() const override { return inner_->length(); }
  const Headers& trailers() const override { return ended_ ? trailers_ : inner_->trailers(); }
  std::optional<std::uint64_t> arrived() const override {
    return ended_ ? std::optional<std::uint64_t>{0} : inner_->arrived();
  }
  std::uint64_t buffered() const override { return ended_ ? 0 : inner_->buffered(); }
  boost::system::error_code failure() const override { return inner_->failure(); }
  boost::asio::awaitable<bool> await_progress() override;
  std::optional<std::uint32_t> reset_code() const override { return inner_->reset_code(); }
  ObservedBody* as_observed() noexcept override { return this; }

 private:
  /// Counts a piece read or polled from `inner_`, or reports the end it brings.
  void note(const Result<std::string_view>& piece);
  void finish(boost::system::error_code ec) noexcept;

  BodyPtr inner_;
  /// In place for an h2 router's usual set: the server, service and client layers' stream
  /// stats, and the service's and client's classifiers at the end of a response.
  boost::container::small_vector<Observer, 6> observers_;
  Headers trailers_;
  std::uint64_t bytes_ = 0;
  bool ended_ = false;
};

/// Adds `observer` to `body`: to its observers when it is an ObservedBody that has not ended,
/// else by wrapping it in one. Wrapping once per body keeps one indirection however many
/// layers observe it.
void observe(BodyPtr& body, ObservedBody::Observer observer);

/// Reads `body` to its end, appending to `out`; fails with `errc::body_too_large` past `limit`.
boost::asio::awaitable<Result<void>> read_all(Body& body, std::string& out,
                                              std::size_t limit = SIZE_MAX);

}  // namespace meshd::http
