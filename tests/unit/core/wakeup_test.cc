// Wakeup (include/meshd/core/wakeup.h): one waiting coroutine woken by notify, never inline (by
// notify_here, inline on the waiter's executor);
// cancellation, destruction and a second waiter complete the wait with operation_aborted. Every
// case runs twice: the waiter awaits `wait(use_nothrow)` (an awaitable made by Asio's
// coroutine) or `wait(await_nothrow)` (the operation awaited in place).

#include "meshd/core/wakeup.h"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/strand.hpp>

#include <memory>
#include <optional>
#include <tuple>

namespace meshd {
namespace {

/// What a waiter saw when its wait completed.
struct Outcome {
  std::optional<boost::system::error_code> ec;
  bool notify_had_returned = false;
};

asio::awaitable<void> wait_on(Wakeup& w, Outcome& out, const bool& notify_returned, bool in_place) {
  boost::system::error_code ec;
  if (in_place) {
    std::tie(ec) = co_await w.wait(await_nothrow);
  } else {
    std::tie(ec) = co_await w.wait(use_nothrow);
  }
  out.ec = ec;
  out.notify_had_returned = notify_returned;
}

/// Runs what is ready (bounded): the waiter's resumption is queued, never run inside notify().
void run_ready(asio::io_context& io) {
  for (int i = 0; i < 100 && io.poll() > 0; ++i) {
  }
  io.restart();
}

/// The parameter: the waiter awaits `wait(await_nothrow)` rather than `wait(use_nothrow)`.
class WakeupTest : public ::testing::TestWithParam<bool> {
 protected:
  /// Starts a coroutine waiting on `w`, cancellable through `cancel_`; it reports into `out`.
  void start_waiting(Wakeup& w, Outcome& out) {
    asio::co_spawn(io_, wait_on(w, out, returned_, GetParam()),
                   asio::bind_cancellation_slot(cancel_.slot(), asio::detached));
    run_ready(io_);
  }

  /// After a notify call: the waiter is not resumed until the io_context runs, and then with
  /// success, having seen the notify return.
  void expect_resumed_after_return() {
    returned_ = true;
    EXPECT_FALSE(out_.ec) << "resumed inside the notify";
    run_ready(io_);
    ASSERT_TRUE(out_.ec);
    EXPECT_FALSE(*out_.ec);
    EXPECT_TRUE(out_.notify_had_returned);
  }

  asio::io_context io_;
  asio::cancellation_signal cancel_;
  bool returned_ = false;  ///< set by a test once its notify() returned
  Outcome out_;
};

TEST_P(WakeupTest, NotifyResumesTheWaiterLaterWithSuccess) {
  Wakeup w;
  start_waiting(w, out_);
  ASSERT_TRUE(w.waiting());
  ASSERT_FALSE(out_.ec);

  w.notify();
  EXPECT_FALSE(w.waiting());
  expect_resumed_after_return();
}

TEST_P(WakeupTest, NotifyHereOnTheExecutorResumesTheWaiterBeforeReturning) {
  Wakeup w;
  start_waiting(w, out_);
  ASSERT_TRUE(w.waiting());

  // From a handler of the waiter's io_context: dispatch runs the waiter at once.
  asio::post(io_, [&] {
    w.notify_here();
    returned_ = true;
  });
  run_ready(io_);

  ASSERT_TRUE(out_.ec);
  EXPECT_FALSE(*out_.ec);
  EXPECT_FALSE(out_.notify_had_returned) << "resumed only after notify_here() returned";
  EXPECT_FALSE(w.waiting());
}

TEST_P(WakeupTest, NotifyHereOffTheExecutorQueuesTheResumption) {
  Wakeup w;
  start_waiting(w, out_);

  w.notify_here();  // not inside io_.run(): nothing may run here
  expect_resumed_after_return();
}

TEST_P(WakeupTest, AWaiterOnAStrandIsResumedThroughTheStrand) {
  // Not an io_context executor underneath: the resumption goes through the strand.
  auto strand = asio::make_strand(io_);
  Wakeup w;
  asio::co_spawn(strand, wait_on(w, out_, returned_, GetParam()), asio::detached);
  run_ready(io_);
  ASSERT_TRUE(w.waiting());

  w.notify();
  expect_resumed_after_return();
}

TEST_P(WakeupTest, ANotificationWithNobodyWaitingIsDropped) {
  Wakeup w;
  w.notify();
  start_waiting(w, out_);

  EXPECT_TRUE(w.waiting());
  EXPECT_FALSE(out_.ec);

  w.notify();
  run_ready(io_);
  ASSERT_TRUE(out_.ec);
  EXPECT_FALSE(*out_.ec);
}

TEST_P(WakeupTest, CancellingTheWaiterAbortsTheWaitAndLaterSignalsDoNothing) {
  auto w = std::make_unique<Wakeup>();
  start_waiting(*w, out_);
  ASSERT_TRUE(w->waiting());

  // From a handler on the io_context, as a stream reset is: the emit reaches the wait inline.
  bool waiting_after_cancel = true;
  asio::post(io_, [&] {
    cancel_.emit(asio::cancellation_type::terminal);
    waiting_after_cancel = w->waiting();
    w.reset();  // gone before the waiter resumes: a second emit must not reach it
    cancel_.emit(asio::cancellation_type::terminal);
  });
  run_ready(io_);

  EXPECT_FALSE(waiting_after_cancel);
  ASSERT_TRUE(out_.ec);
  EXPECT_EQ(*out_.ec, asio::error::operation_aborted);
}

TEST_P(WakeupTest, ANotifiedWakeupMayGoBeforeItsWaiterResumes) {
  auto w = std::make_unique<Wakeup>();
  start_waiting(*w, out_);

  asio::post(io_, [&] {
    w->notify();
    w.reset();
    cancel_.emit(asio::cancellation_type::terminal);  // the slot no longer points at the Wakeup
  });
  run_ready(io_);

  ASSERT_TRUE(out_.ec);
  EXPECT_FALSE(*out_.ec);
}

TEST_P(WakeupTest, DestroyingTheWakeupAbortsItsWaiter) {
  auto w = std::make_unique<Wakeup>();
  start_waiting(*w, out_);

  w.reset();
  run_ready(io_);

  ASSERT_TRUE(out_.ec);
  EXPECT_EQ(*out_.ec, asio::error::operation_aborted);
}

TEST_P(WakeupTest, ASecondWaiterAbortsTheFirst) {
  Wakeup w;
  Outcome second;
  start_waiting(w, out_);
  asio::co_spawn(io_, wait_on(w, second, returned_, GetParam()), asio::detached);
  run_ready(io_);

  ASSERT_TRUE(out_.ec);
  EXPECT_EQ(*out_.ec, asio::error::operation_aborted);
  EXPECT_FALSE(second.ec);

  w.notify();
  run_ready(io_);
  ASSERT_TRUE(second.ec);
  EXPECT_FALSE(*second.ec);
}

INSTANTIATE_TEST_SUITE_P(Tokens, WakeupTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "AwaitedInPlace" : "UseAwaitable";
                         });

}  // namespace
}  // namespace meshd
