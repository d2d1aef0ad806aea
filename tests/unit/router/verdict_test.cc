// await_stream_end (src/router/verdict.h): an h2 response held for classification is waited for
// until it is whole, fails, outgrows the retry buffer or the time runs out, woken by what
// arrives rather than by polling.

#include "router/verdict.h"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>

#include "meshd/core/asio.h"
#include "meshd/core/wakeup.h"

namespace meshd::router {
namespace {

using namespace std::chrono_literals;

/// A response body whose progress the test drives: `arrive`, `fail` and `grow` change what it
/// reports and wake a waiter, as an h2 stream's DATA, END_STREAM and RST_STREAM do.
class HeldBody final : public http::Body {
 public:
  explicit HeldBody(bool can_tell = true) : can_tell_(can_tell) {}

  void arrive() {
    ended_ = true;
    changed_.notify();
  }
  void fail() {
    failure_ = make_error_code(errc::upstream_reset);
    changed_.notify();
  }
  void grow(std::uint64_t bytes) {
    buffered_ += bytes;
    changed_.notify();
  }
  int waits() const { return waits_; }

  asio::awaitable<Result<std::string_view>> read() override { co_return std::string_view(); }
  std::optional<std::uint64_t> length() const override { return std::nullopt; }
  std::optional<std::uint64_t> arrived() const override {
    return ended_ ? std::optional<std::uint64_t>(buffered_) : std::nullopt;
  }
  std::uint64_t buffered() const override { return buffered_; }
  boost::system::error_code failure() const override { return failure_; }
  asio::awaitable<bool> await_progress() override {
    if (!can_tell_) {
      co_return false;
    }
    ++waits_;
    auto [ec] = co_await changed_.wait(await_nothrow);
    co_return !ec;
  }

 private:
  bool can_tell_;
  bool ended_ = false;
  std::uint64_t buffered_ = 0;
  boost::system::error_code failure_;
  Wakeup changed_;
  int waits_ = 0;
};

class AwaitStreamEnd : public ::testing::Test {
 protected:
  /// Starts the wait for `body` (which the response owns from then on, inside an ObservedBody
  /// when `observed`) on `io_`.
  HeldBody& hold(std::unique_ptr<HeldBody> body, std::chrono::milliseconds limit,
                 std::size_t max_bytes = 16383, bool observed = false) {
    HeldBody& held = *body;
    http::Response r;
    r.body = std::move(body);
    if (observed) {
      r.body = std::make_unique<http::ObservedBody>(std::move(r.body));
    }
    rsp_.emplace(std::move(r));
    asio::co_spawn(io_, await_stream_end(*rsp_, limit, max_bytes),
                   asio::bind_cancellation_slot(cancel_.slot(), [this](std::exception_ptr e) {
                     done_ = true;
                     threw_ = e != nullptr;
                   }));
    return held;
  }

  asio::io_context io_;
  asio::cancellation_signal cancel_;
  std::optional<Result<http::Response>> rsp_;
  bool done_ = false;
  bool threw_ = false;
};

TEST_F(AwaitStreamEnd, TheRestOfTheResponseEndsTheWaitAsItArrives) {
  HeldBody& body = hold(std::make_unique<HeldBody>(), 60s);
  io_.poll();
  ASSERT_FALSE(done_) << "the response is still streaming";

  body.grow(10);  // a DATA frame: still not whole
  io_.poll();
  EXPECT_FALSE(done_);

  body.arrive();  // END_STREAM (the trailers)
  io_.poll();     // no timer involved: what is ready runs at once
  EXPECT_TRUE(done_);
  EXPECT_FALSE(threw_);
  EXPECT_EQ(body.waits(), 2) << "one wait per change, no polling";
}

TEST_F(AwaitStreamEnd, AFailedStreamEndsTheWait) {
  HeldBody& body = hold(std::make_unique<HeldBody>(), 60s);
  io_.poll();
  ASSERT_FALSE(done_);

  body.fail();  // RST_STREAM, or the connection lost
  io_.poll();
  EXPECT_TRUE(done_);
}

TEST_F(AwaitStreamEnd, AResponseLargerThanTheRetryBufferIsNoLongerHeld) {
  HeldBody& body = hold(std::make_unique<HeldBody>(), 60s, /*max_bytes=*/100);
  io_.poll();
  body.grow(100);
  io_.poll();
  EXPECT_FALSE(done_) << "exactly the buffer's size is still held";

  body.grow(1);
  io_.poll();
  EXPECT_TRUE(done_);
}

TEST_F(AwaitStreamEnd, TheWaitEndsAtTheClassificationTimeout) {
  HeldBody& body = hold(std::make_unique<HeldBody>(), 20ms);
  io_.run_for(10s);  // bounded: the 20 ms limit ends it long before
  EXPECT_TRUE(done_);
  EXPECT_FALSE(threw_);
  EXPECT_EQ(body.waits(), 1);
}

TEST_F(AwaitStreamEnd, ABodyThatCannotTellIsNotWaitedFor) {
  // A body with no way to report progress would only make the response late: a polling wait
  // would hold it for the whole minute.
  hold(std::make_unique<HeldBody>(/*can_tell=*/false), 60s);
  io_.run_for(10s);
  EXPECT_TRUE(done_);
}

TEST_F(AwaitStreamEnd, AZeroTimeoutDoesNotWait) {
  HeldBody& body = hold(std::make_unique<HeldBody>(), 0ms);
  io_.poll();
  EXPECT_TRUE(done_);
  EXPECT_EQ(body.waits(), 0);
}

TEST_F(AwaitStreamEnd, AResponseWholeAlreadyIsNotWaitedFor) {
  auto whole = std::make_unique<HeldBody>();
  whole->arrive();
  HeldBody& body = hold(std::move(whole), 60s);
  io_.poll();
  EXPECT_TRUE(done_);
  EXPECT_EQ(body.waits(), 0);
}

TEST_F(AwaitStreamEnd, ARequestGoingAwayEndsTheWait) {
  hold(std::make_unique<HeldBody>(), 60s);
  io_.poll();
  ASSERT_FALSE(done_);

  cancel_.emit(asio::cancellation_type::terminal);  // the client left
  io_.run_for(10s);
  EXPECT_TRUE(done_);
}

TEST_F(AwaitStreamEnd, AnObservedBodyPassesItsInnerBodysProgressOn) {
  HeldBody& body = hold(std::make_unique<HeldBody>(), 60s, 16383, /*observed=*/true);
  io_.poll();
  ASSERT_FALSE(done_);

  body.arrive();
  io_.poll();
  EXPECT_TRUE(done_);
  EXPECT_EQ(body.waits(), 1);
}

}  // namespace
}  // namespace meshd::router
