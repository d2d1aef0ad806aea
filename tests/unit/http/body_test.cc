#include "meshd/http/body.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "meshd/core/errc.h"

namespace meshd::http {
namespace {

namespace asio = boost::asio;

/// A body of the given pieces, then trailers, or an error in place of its end.
class PiecesBody final : public Body {
 public:
  /// `all_here`: the whole body has arrived (`arrived()` counts what is left), else unknown.
  PiecesBody(std::vector<std::string> pieces, Headers trailers, boost::system::error_code fail = {},
             bool all_here = true)
      : pieces_(std::move(pieces)),
        trailers_(std::move(trailers)),
        fail_(fail),
        all_here_(all_here) {}

  asio::awaitable<Result<std::string_view>> read() override {
    if (next_ < pieces_.size()) {
      co_return std::string_view(pieces_[next_++]);
    }
    if (fail_) {
      co_return fail_;
    }
    done_ = true;
    co_return std::string_view{};
  }
  std::optional<std::uint64_t> length() const override { return std::nullopt; }
  const Headers& trailers() const override {
    static const Headers kNone;
    return done_ ? trailers_ : kNone;
  }
  std::optional<std::uint64_t> arrived() const override {
    if (!all_here_ || fail_) {
      return std::nullopt;
    }
    std::uint64_t left = 0;
    for (std::size_t i = next_; i < pieces_.size(); ++i) {
      left += pieces_[i].size();
    }
    return left;
  }
  boost::system::error_code failure() const override { return fail_; }

 private:
  std::vector<std::string> pieces_;
  Headers trailers_;
  boost::system::error_code fail_;
  bool all_here_;
  std::size_t next_ = 0;
  bool done_ = false;
};

Headers grpc_ok() {
  Headers h;
  h.add("grpc-status", "0");
  return h;
}

/// Reads `body` to its end (or error) on a fresh io_context; returns the read_all result.
Result<void> drain(Body& body, std::string& out) {
  asio::io_context io;
  Result<void> result = make_error_code(errc::timeout);
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { result = co_await read_all(body, out); },
      asio::detached);
  io.run();
  return result;
}

struct Seen {
  int calls = 0;
  boost::system::error_code error;
  std::uint64_t bytes = 0;
  std::string grpc_status;
};

/// Adds an observer to `body` that records its end in `seen`.
void observe_into(BodyPtr& body, Seen& seen) {
  observe(body, [&seen](BodyEnd& end) {
    ++seen.calls;
    seen.error = end.error;
    seen.bytes = end.bytes;
    seen.grpc_status = std::string(end.trailers.get("grpc-status"));
  });
}

TEST(ObservedBody, ReportsACleanEndOnceWithBytesAndTrailers) {
  BodyPtr body = std::make_unique<PiecesBody>(std::vector<std::string>{"ab", "cde"}, grpc_ok());
  Seen seen;
  observe_into(body, seen);
  std::string out;
  ASSERT_TRUE(drain(*body, out));
  EXPECT_EQ(out, "abcde");
  EXPECT_EQ(seen.calls, 1);
  EXPECT_FALSE(seen.error);
  EXPECT_EQ(seen.bytes, 5u);
  EXPECT_EQ(seen.grpc_status, "0");
  body.reset();
  EXPECT_EQ(seen.calls, 1) << "destruction after the end reports nothing more";
}

TEST(ObservedBody, ObserversRunInOrderAndMaySeeEachOthersTrailers) {
  BodyPtr body = std::make_unique<PiecesBody>(std::vector<std::string>{"x"}, grpc_ok());
  std::vector<std::string> order;
  observe(body, [&](BodyEnd& end) {
    order.push_back("inner");
    end.trailers.add("l5d-success-class", "1.0");
  });
  Body* wrapper = body.get();
  observe(body, [&](BodyEnd& end) {
    order.push_back("outer:" + std::string(end.trailers.get("l5d-success-class")));
  });
  EXPECT_EQ(body.get(), wrapper) << "a second observer joins the same wrapper";
  std::string out;
  ASSERT_TRUE(drain(*body, out));
  EXPECT_EQ(order, (std::vector<std::string>{"inner", "outer:1.0"}));
  EXPECT_EQ(body->trailers().get("l5d-success-class"), "1.0") << "the reader sees added fields";
  EXPECT_EQ(body->trailers().get("grpc-status"), "0");
}

TEST(ObservedBody, ReportsTheErrorThatEndsIt) {
  BodyPtr body = std::make_unique<PiecesBody>(std::vector<std::string>{"abc"}, grpc_ok(),
                                              make_error_code(errc::upstream_reset));
  Seen seen;
  observe_into(body, seen);
  std::string out;
  auto result = drain(*body, out);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), make_error_code(errc::upstream_reset));
  EXPECT_EQ(seen.calls, 1);
  EXPECT_EQ(seen.error, make_error_code(errc::upstream_reset));
  EXPECT_EQ(seen.bytes, 3u);
  EXPECT_EQ(seen.grpc_status, "");
}

TEST(ObservedBody, TellsWhetherItsBodyHasFailedWithoutReadingIt) {
  BodyPtr failing = std::make_unique<PiecesBody>(std::vector<std::string>{"abc"}, Headers{},
                                                 make_error_code(errc::upstream_reset));
  BodyPtr whole = std::make_unique<PiecesBody>(std::vector<std::string>{"abc"}, grpc_ok());
  Seen seen_failing;
  Seen seen_whole;
  observe_into(failing, seen_failing);
  observe_into(whole, seen_whole);
  EXPECT_EQ(failing->failure(), make_error_code(errc::upstream_reset));
  EXPECT_FALSE(whole->failure());
  EXPECT_EQ(seen_failing.calls, 0) << "asking reads nothing";
  EXPECT_FALSE(BufferBody("x").failure()) << "a body that cannot fail has none";
}

TEST(ObservedBody, ADroppedBodyReportsAbortedFromItsDestructor) {
  BodyPtr body = std::make_unique<PiecesBody>(std::vector<std::string>{"abc"}, grpc_ok(),
                                              boost::system::error_code{}, false);
  Seen seen;
  observe(body, [&](BodyEnd& end) {
    ++seen.calls;
    seen.error = end.error;
  });
  body.reset();
  EXPECT_EQ(seen.calls, 1);
  EXPECT_EQ(seen.error, asio::error::operation_aborted);
}

TEST(ObservedBody, ADroppedBodyThatHadAllArrivedEndsCleanly) {
  // A reader may skip a body it knows to be empty (an h2 server ends the stream with HEADERS).
  Headers trailers;
  trailers.add("grpc-status", "14");
  BodyPtr body = std::make_unique<PiecesBody>(std::vector<std::string>{}, trailers);
  Seen seen;
  observe(body, [&](BodyEnd& end) {
    ++seen.calls;
    seen.error = end.error;
  });
  EXPECT_EQ(body->arrived(), 0u);
  body.reset();
  EXPECT_EQ(seen.calls, 1);
  EXPECT_FALSE(seen.error);
}

TEST(ObservedBody, AnEndedBodyIsWrappedAnewForALaterObserver) {
  BodyPtr body = std::make_unique<PiecesBody>(std::vector<std::string>{}, Headers());
  int first = 0;
  int second = 0;
  observe(body, [&](BodyEnd&) { ++first; });
  std::string out;
  ASSERT_TRUE(drain(*body, out));
  observe(body, [&](BodyEnd&) { ++second; });
  ASSERT_TRUE(drain(*body, out));
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 1);
}

TEST(BufferBody, PollsItsDataThenItsEndWithoutACoroutine) {
  Headers trailers;
  trailers.add("grpc-status", "0");
  BufferBody body("hello", std::move(trailers));
  auto first = body.poll();
  ASSERT_TRUE(first && *first);
  EXPECT_EQ(**first, "hello");
  EXPECT_EQ(body.arrived(), std::optional<std::uint64_t>{0});
  auto end = body.poll();
  ASSERT_TRUE(end && *end);
  EXPECT_TRUE((*end)->empty());
  EXPECT_EQ(body.trailers().get("grpc-status"), "0");
  std::string out;
  ASSERT_TRUE(drain(body, out));
  EXPECT_EQ(out, "") << "a polled body reads as ended";
}

TEST(EmptyBody, ReadsAsAnEmptyBufferBodyDoes) {
  EmptyBody empty;
  BufferBody buffer("");
  for (Body* body : {static_cast<Body*>(&empty), static_cast<Body*>(&buffer)}) {
    EXPECT_EQ(body->length(), std::optional<std::uint64_t>{0});
    EXPECT_EQ(body->arrived(), std::optional<std::uint64_t>{0});
    EXPECT_TRUE(body->trailers().empty());
    for (int i = 0; i < 2; ++i) {
      auto end = body->poll();
      ASSERT_TRUE(end && *end);
      EXPECT_TRUE((*end)->empty());
    }
    std::string out = "x";
    ASSERT_TRUE(drain(*body, out));
    EXPECT_EQ(out, "x") << "read() ends at once, adding nothing";
  }
  EXPECT_EQ(empty_body()->length(), std::optional<std::uint64_t>{0});
}

TEST(ObservedBody, PollingReportsTheEndLikeReading) {
  BodyPtr body = std::make_unique<BufferBody>("abc", grpc_ok());
  Seen seen;
  observe_into(body, seen);
  auto piece = body->poll();
  ASSERT_TRUE(piece && *piece);
  EXPECT_EQ(**piece, "abc");
  EXPECT_EQ(seen.calls, 0);
  auto end = body->poll();
  ASSERT_TRUE(end && *end);
  EXPECT_TRUE((*end)->empty());
  EXPECT_EQ(seen.calls, 1);
  EXPECT_FALSE(seen.error);
  EXPECT_EQ(seen.bytes, 3u);
  EXPECT_EQ(seen.grpc_status, "0");
  auto again = body->poll();
  ASSERT_TRUE(again && *again);
  EXPECT_TRUE((*again)->empty()) << "an ended body polls as ended";
  EXPECT_EQ(seen.calls, 1);
}

TEST(ObservedBody, AnInnerBodyThatCannotPollIsAwaited) {
  BodyPtr body = std::make_unique<PiecesBody>(std::vector<std::string>{"x"}, grpc_ok());
  int calls = 0;
  observe(body, [&](BodyEnd&) { ++calls; });
  EXPECT_FALSE(body->poll()) << "PiecesBody has no poll: read() must be awaited";
  std::string out;
  ASSERT_TRUE(drain(*body, out));
  EXPECT_EQ(out, "x");
  EXPECT_EQ(calls, 1);
}

TEST(ObservedBody, MoreObserversThanItsInlineRoomAllRunInOrder) {
  BodyPtr body = std::make_unique<PiecesBody>(std::vector<std::string>{"x"}, grpc_ok());
  std::vector<int> order;
  for (int i = 0; i < 9; ++i) {
    observe(body, [&order, i](BodyEnd&) { order.push_back(i); });
  }
  std::string out;
  ASSERT_TRUE(drain(*body, out));
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8}));
}

}  // namespace
}  // namespace meshd::http
