// Wakeup (include/meshd/core/wakeup.h): one waiting coroutine woken by notify, never inline;
// cancellation, destruction and a second waiter complete the wait with operation_aborted.

#include "meshd/core/wakeup.h"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>

#include <memory>
#include <optional>

namespace meshd {
namespace {

/// What a waiter saw when its wait completed.
struct Outcome {
  std::optional<boost::system::error_code> ec;
  bool notify_had_returned = false;
};

asio::awaitable<void> wait_on(Wakeup& w, Outcome& out, const bool& notify_returned) {
  auto [ec] = co_await w.wait(use_nothrow);
  out.ec = ec;
  out.notify_had_returned = notify_returned;
}

/// Runs what is ready (bounded): the waiter's resumption is queued, never run inside notify().
void run_ready(asio::io_context& io) {
  for (int i = 0; i < 100 && io.poll() > 0; ++i) {
  }
  io.restart();
}

TEST(WakeupTest, NotifyResumesTheWaiterLaterWithSuccess) {
  asio::io_context io;
  Wakeup w;
  Outcome out;
  bool returned = false;
  asio::co_spawn(io, wait_on(w, out, returned), asio::detached);
  run_ready(io);
  ASSERT_TRUE(w.waiting());
  ASSERT_FALSE(out.ec);

  w.notify();
  returned = true;
  EXPECT_FALSE(out.ec) << "resumed inside notify()";
  EXPECT_FALSE(w.waiting());
  run_ready(io);

  ASSERT_TRUE(out.ec);
  EXPECT_FALSE(*out.ec);
  EXPECT_TRUE(out.notify_had_returned);
}

TEST(WakeupTest, ANotificationWithNobodyWaitingIsDropped) {
  asio::io_context io;
  Wakeup w;
  w.notify();
  Outcome out;
  bool returned = false;
  asio::co_spawn(io, wait_on(w, out, returned), asio::detached);
  run_ready(io);

  EXPECT_TRUE(w.waiting());
  EXPECT_FALSE(out.ec);

  w.notify();
  run_ready(io);
  ASSERT_TRUE(out.ec);
  EXPECT_FALSE(*out.ec);
}

TEST(WakeupTest, CancellingTheWaiterAbortsTheWaitAndLaterSignalsDoNothing) {
  asio::io_context io;
  auto w = std::make_unique<Wakeup>();
  Outcome out;
  bool returned = false;
  asio::cancellation_signal cancel;
  asio::co_spawn(io, wait_on(*w, out, returned),
                 asio::bind_cancellation_slot(cancel.slot(), asio::detached));
  run_ready(io);
  ASSERT_TRUE(w->waiting());

  // From a handler on the io_context, as a stream reset is: the emit reaches the wait inline.
  bool waiting_after_cancel = true;
  asio::post(io, [&] {
    cancel.emit(asio::cancellation_type::terminal);
    waiting_after_cancel = w->waiting();
    w.reset();  // gone before the waiter resumes: a second emit must not reach it
    cancel.emit(asio::cancellation_type::terminal);
  });
  run_ready(io);

  EXPECT_FALSE(waiting_after_cancel);
  ASSERT_TRUE(out.ec);
  EXPECT_EQ(*out.ec, asio::error::operation_aborted);
}

TEST(WakeupTest, ANotifiedWakeupMayGoBeforeItsWaiterResumes) {
  asio::io_context io;
  auto w = std::make_unique<Wakeup>();
  Outcome out;
  bool returned = false;
  asio::cancellation_signal cancel;
  asio::co_spawn(io, wait_on(*w, out, returned),
                 asio::bind_cancellation_slot(cancel.slot(), asio::detached));
  run_ready(io);

  asio::post(io, [&] {
    w->notify();
    w.reset();
    cancel.emit(asio::cancellation_type::terminal);  // the slot no longer points at the Wakeup
  });
  run_ready(io);

  ASSERT_TRUE(out.ec);
  EXPECT_FALSE(*out.ec);
}

TEST(WakeupTest, DestroyingTheWakeupAbortsItsWaiter) {
  asio::io_context io;
  auto w = std::make_unique<Wakeup>();
  Outcome out;
  bool returned = false;
  asio::co_spawn(io, wait_on(*w, out, returned), asio::detached);
  run_ready(io);

  w.reset();
  run_ready(io);

  ASSERT_TRUE(out.ec);
  EXPECT_EQ(*out.ec, asio::error::operation_aborted);
}

TEST(WakeupTest, ASecondWaiterAbortsTheFirst) {
  asio::io_context io;
  Wakeup w;
  Outcome first;
  Outcome second;
  bool returned = false;
  asio::co_spawn(io, wait_on(w, first, returned), asio::detached);
  run_ready(io);
  asio::co_spawn(io, wait_on(w, second, returned), asio::detached);
  run_ready(io);

  ASSERT_TRUE(first.ec);
  EXPECT_EQ(*first.ec, asio::error::operation_aborted);
  EXPECT_FALSE(second.ec);

  w.notify();
  run_ready(io);
  ASSERT_TRUE(second.ec);
  EXPECT_FALSE(*second.ec);
}

}  // namespace
}  // namespace meshd
