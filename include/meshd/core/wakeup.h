#pragma once

// A wake-up for one waiting coroutine, without a timer.

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

#include "meshd/core/asio.h"

namespace meshd {

/// Wakes one coroutine that waits for a condition someone else owns (a stream's state): the
/// waiter checks its condition, then awaits `wait(token)`; whoever changes the condition calls
/// `notify()`. A notification with nobody waiting is dropped, so the waiter re-checks after
/// every wake-up. The waiter is resumed through its executor, never inside `notify()` (which
/// codec callbacks call). The wait completes with `operation_aborted` when the waiting
/// coroutine is cancelled (its cancellation slot) or the Wakeup is destroyed.
///
/// What a steady_timer that never expires, cancelled to wake, does for such a waiter, without
/// the timer: no timer queue entry (whose heap reorders other streams' timers), no operation
/// allocated per wait, 32 bytes instead of 120. It has no deadline; a wait with one uses a
/// timer. A pending wait does not count as outstanding work of the executor (meshd's workers
/// hold a work guard). An io_context destroyed while a coroutine still waits here does not
/// destroy that coroutine, as it would one waiting on its timer: its frame, and what the frame
/// holds, stay allocated (meshd's worker io_contexts go only when the process ends). One waiter
/// at a time; not thread-safe (one executor).
class Wakeup {
 public:
  Wakeup() = default;
  ~Wakeup() { complete(asio::error::operation_aborted); }
  Wakeup(const Wakeup&) = delete;
  Wakeup& operator=(const Wakeup&) = delete;

  /// Completes with an error_code: success after `notify()`, `operation_aborted` when
  /// cancelled or destroyed. `co_await w.wait(await_nothrow)` for a coroutine (`use_nothrow`
  /// when the wait is made in one place and awaited in another).
  template <class Token>
  auto wait(Token&& token) {
    return asio::async_initiate<Token, void(boost::system::error_code)>(
        [this](auto handler) { start(std::move(handler)); }, token);
  }

  /// Wakes the waiter, if there is one.
  void notify() noexcept { complete({}); }

  /// Wakes the waiter, if there is one, through `asio::dispatch`: called on the waiter's
  /// executor, the waiter runs before this returns (until it next suspends). Only for a caller
  /// that the waiter may re-enter (not a codec callback). Whatever the waiter throws escapes.
  void notify_here() { complete({}, true); }

  /// A coroutine waits.
  bool waiting() const noexcept { return ops_ != nullptr; }

 private:
  /// What is done with the stored handler, by its type.
  struct Ops {
    /// Moves the handler out of the storage and posts (or dispatches) its completion with `ec`.
    void (*post)(void* storage, boost::system::error_code ec, bool dispatch);
  };

  /// The handler in the waiter's cancellation slot: aborts the wait. `complete` clears it when
  /// the wait ends otherwise, since it points to this Wakeup, which may be gone by the time the
  /// coroutine resumes (and clears its slot itself).
  class Cancel {
   public:
    explicit Cancel(Wakeup* w) : wakeup_(w) {}
    void operator()(asio::cancellation_type type) {
      constexpr auto kinds = asio::cancellation_type::terminal | asio::cancellation_type::partial |
                             asio::cancellation_type::total;
      if ((type & kinds) == asio::cancellation_type::none) {
        return;
      }
      if (Wakeup* w = std::exchange(wakeup_, nullptr)) {
        w->slot_ = {};  // (clearing the slot here would destroy this handler while it runs)
        w->complete(asio::error::operation_aborted);
      }
    }

   private:
    Wakeup* wakeup_;
  };

  template <class Handler>
  void start(Handler handler) {
    static_assert(sizeof(Handler) <= sizeof(storage_) && alignof(Handler) <= alignof(void*),
                  "Wakeup keeps the handler of a coroutine (one or two pointers) in place");
    static_assert(std::is_nothrow_move_constructible_v<Handler>);
    // A second waiter would leave the first one suspended for good: it is woken (aborted).
    complete(asio::error::operation_aborted);
    auto slot = asio::get_associated_cancellation_slot(handler);
    new (storage_) Handler(std::move(handler));
    ops_ = &ops_for<Handler>;
    if (slot.is_connected()) {
      slot.template emplace<Cancel>(this);
      slot_ = slot;
    }
  }

  void complete(boost::system::error_code ec, bool dispatch = false) {
    const Ops* ops = std::exchange(ops_, nullptr);
    if (ops == nullptr) {
      return;
    }
    if (slot_.is_connected()) {
      std::exchange(slot_, {}).clear();
    }
    ops->post(storage_, ec, dispatch);
  }

  template <class Handler>
  static void post_handler(void* storage, boost::system::error_code ec, bool dispatch) {
    auto* stored = std::launder(static_cast<Handler*>(storage));
    Handler handler(std::move(*stored));
    stored->~Handler();
    auto ex = asio::get_associated_executor(handler);
    auto resume = [h = std::move(handler), ec]() mutable { std::move(h)(ec); };
    if (dispatch) {
      asio::dispatch(ex, std::move(resume));
    } else if (auto* io = target_io_executor(ex)) {
      // Posted to the io_context itself: one operation from Asio's per-thread cache, where the
      // type-erased executor would wrap the function in two heap blocks.
      asio::post(*io, std::move(resume));
    } else {
      asio::post(ex, std::move(resume));
    }
  }

  /// The io_context executor inside `ex`, or null.
  template <class Executor>
  static const asio::io_context::executor_type* target_io_executor(const Executor& ex) noexcept {
    if constexpr (std::is_same_v<Executor, asio::any_io_executor>) {
      return ex.template target<asio::io_context::executor_type>();
    } else {
      return nullptr;
    }
  }

  template <class Handler>
  static constexpr Ops ops_for{&post_handler<Handler>};

  /// A coroutine's handler: `use_awaitable`'s is one pointer, the one of an operation awaited in
  /// place (`await_nothrow`) two.
  alignas(void*) std::byte storage_[2 * sizeof(void*)];
  const Ops* ops_ = nullptr;
  asio::cancellation_slot slot_;
};

}  // namespace meshd
