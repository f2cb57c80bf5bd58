// Futures: an outcome that some code sets and tasks or callbacks wait for
// (asyncio.Future).
//
//   weft::future<int> f;                               // on the running loop
//   weft::call_later(1s, [f]() mutable { f.set_result(42); });
//   int v = f.join();                                  // in a task: await f
//
// A future<T> is a shared handle: copies refer to the same future. It is
// pending until set_result, set_exception or cancel completes it, once;
// completing it again raises invalid_state (asyncio's InvalidStateError).
// Completion wakes the tasks waiting in join() and queues the done
// callbacks (each with call_soon), in the order they came. Every waiter
// gets the same outcome: the same value, or the same exception object
// (one std::exception_ptr, rethrown to each).
//
// Bound to the thread of the loop it was made on, like task handles: every
// member raises invalid_state on another thread (checked) or on an empty
// handle (moved from). From another thread, complete it through
// loop::call_soon_threadsafe. It may outlive its loop: close() drops its
// done callbacks, and it can still be completed and read after.
#pragma once

#include <concepts>
#include <cstddef>
#include <exception>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "weft/detail/access.hpp"
#include "weft/detail/loop/done_callbacks.hpp"
#include "weft/detail/loop/future_state.hpp"
#include "weft/error.hpp"
#include "weft/loop.hpp"

namespace weft {

template <class T>
class future {
 public:
  // A pending future of the running loop (asyncio.Future()); invalid_state
  // outside a running loop.
  future() : future(detail::running_loop("future")) {}
  // A pending future of lp (loop.create_future()). lp's thread only.
  explicit future(loop& lp) {
    auto* s = new detail::future_state<T>();
    try {
      detail::adopt_future(s, lp);
    } catch (...) {
      s->destroy(s);
      throw;
    }
    state_ = s;
    retain();
  }
  future(const future& other) noexcept : state_(other.state_) { retain(); }
  future(future&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  future& operator=(future other) noexcept {
    std::swap(state_, other.state_);
    return *this;
  }
  ~future() {
    if (state_) detail::release_future(state_);
  }

  bool valid() const noexcept { return state_ != nullptr; }
  bool done() const { return checked("future::done")->done(); }
  // True if completed by cancel().
  bool cancelled() const { return checked("future::cancelled")->was_cancelled(); }

  // Completes the future with a value (with none for future<void>).
  // invalid_state if it is done already.
  template <class U = T>
    requires(!std::is_void_v<T> && std::constructible_from<T, U &&>)
  void set_result(U&& value) {
    detail::future_state<T>* s = checked("future::set_result");
    detail::check_pending(s, "future::set_result");
    s->value.emplace(std::forward<U>(value));
    detail::complete_future(s);
  }
  void set_result()
    requires std::is_void_v<T>
  {
    detail::future_state<T>* s = checked("future::set_result");
    detail::check_pending(s, "future::set_result");
    detail::complete_future(s);
  }
  // Completes the future with an exception (not null: std::invalid_argument).
  // invalid_state if it is done already.
  void set_exception(const std::exception_ptr& error) {
    detail::future_state<T>* s = checked("future::set_exception");
    if (!error) throw std::invalid_argument("weft: future::set_exception of a null exception");
    detail::check_pending(s, "future::set_exception");
    detail::complete_future(s, error);
  }
  // Completes a pending future as cancelled: its waiters get
  // weft::cancelled. Returns false (and does nothing) if it is done.
  bool cancel() { return detail::cancel_future(checked("future::cancel")); }

  // The value, or the exception rethrown (weft::cancelled if cancelled).
  // invalid_state while pending. A move-only value can be taken once;
  // asking again raises invalid_state.
  T result() { return result_of(checked("future::result")); }
  // The exception (null if a value was set), marking it retrieved;
  // weft::cancelled if cancelled; invalid_state while pending.
  std::exception_ptr exception() {
    detail::future_state<T>* s = checked("future::exception");
    detail::check_future_outcome(s, false);
    return s->error;
  }

  // Suspends the running task until the future is done, then result()
  // (await future). Cancelling the waiting task cancels the future, as
  // asyncio does, and the waiter then gets the future's outcome once it is
  // done: cancelled, unless a gather future's children decided otherwise.
  // Must be called from a task of the future's loop.
  T join() {
    detail::future_state<T>* s = checked("future::join");
    if (!s->done()) detail::await_future(s);
    return result_of(s);
  }

  // Schedules fn(future&) with call_soon once the future is done, or at
  // once if it is; callbacks run in the order they were added. Returns the
  // registration's id for remove_done_callback. invalid_state once the
  // loop has closed.
  template <class F>
    requires std::invocable<std::decay_t<F>&, future&>
  done_callback_id add_done_callback(F&& fn) {
    detail::future_state<T>* s = checked("future::add_done_callback");
    return detail::add_done_callback<future>(s, s->waiters, std::forward<F>(fn));
  }
  // Unregisters a callback not yet scheduled: 1 if it was, else 0 (asyncio
  // returns how many it removed).
  std::size_t remove_done_callback(done_callback_id id) {
    return detail::unlink_done_callback(checked("future::remove_done_callback")->waiters, id);
  }

 private:
  friend struct detail::access;  // state_, and the adopting constructor

  // Adopts a reference (a gather future's state, a done callback's handle).
  explicit future(detail::future_state<T>* s) noexcept : state_(s) { retain(); }

  detail::future_state<T>* checked(const char* op) const {
    if (state_ == nullptr || state_->home_thread != detail::running_thread()) [[unlikely]]
      detail::refuse_future_operation(state_, op);
    return state_;
  }
  static T result_of(detail::future_state<T>* s) {
    detail::check_future_outcome(s, true);
    if constexpr (!std::is_void_v<T>)
      return detail::hand_out_value(
          s->value, [] { throw invalid_state("weft: the move-only result of a future was taken already"); });
  }
  void retain() noexcept {
    if (state_) ++state_->refs;
  }

  detail::future_state<T>* state_ = nullptr;
};

}  // namespace weft
