// What a future is inside the loop (weft/future.hpp): an outcome slot, the
// tasks waiting for it and its done callbacks.
//
// Ownership: reference counted (single-threaded); every future<T> handle,
// every task waiting in join() and every queued done callback holds one.
// The loop lists every live future, so that close() can drop their
// callbacks and disown them: a future may outlive its loop, and then
// `loop` is null. Everything here is touched only by the loop's thread.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>

#include "weft/detail/intrusive_list.hpp"
#include "weft/detail/loop/task_state.hpp"

namespace weft {
class loop;
}

namespace weft::detail {

struct future_base : list_hook {  // list_hook: its loop's list of live futures
  loop_core* loop = nullptr;      // null once the loop has closed
  const void* home_thread = nullptr;
  std::uint32_t refs = 0;
  // created (pending), finished (set_result, set_exception) or cancelled
  // (cancel()): task_phase's order, so that the loop awaits both alike.
  task_phase phase = task_phase::created;
  bool retrieved = false;    // someone looked at the exception
  std::exception_ptr error;  // set_exception's, or cancelled
  // Tasks waiting in join() and done callbacks, in the order they came.
  list<waiter> waiters;
  // Replaces what cancel() does to a pending future (a gather future
  // cancels its children instead); returns cancel()'s answer.
  bool (*cancel_hook)(future_base*) noexcept = nullptr;
  void (*destroy)(future_base*) noexcept = nullptr;  // deletes the derived state

  bool done() const noexcept { return is_done(phase); }
  bool was_cancelled() const noexcept { return phase == task_phase::cancelled; }
};

template <class T>
struct future_state : future_base {
  future_state() noexcept {
    destroy = [](future_base* f) noexcept { delete static_cast<future_state*>(f); };
  }
  std::optional<T> value;
};

template <>
struct future_state<void> : future_base {
  future_state() noexcept {
    destroy = [](future_base* f) noexcept { delete static_cast<future_state*>(f); };
  }
};

// Out of line (src/loop/future.cpp).
// Binds a new state to lp and lists it there; invalid_state on another
// thread than lp's or on a closed loop.
void adopt_future(future_base* f, weft::loop& lp);
void release_future(future_base* f) noexcept;
// An empty handle, or one used on another thread: invalid_state naming op.
[[noreturn]] void refuse_future_operation(const future_base* f, const char* op);
// invalid_state (asyncio's InvalidStateError) naming op if f is done.
void check_pending(const future_base* f, const char* op);
// Marks f done, with `error` if not null, wakes its waiting tasks and
// queues its done callbacks, in the order they came.
void complete_future(future_base* f, std::exception_ptr error = nullptr) noexcept;
// cancel(): false if done; the cancel_hook's answer if it has one; else
// completes f as cancelled.
bool cancel_future(future_base* f) noexcept;
// join()'s wait (see future::join).
void await_future(future_base* f);
// result()/exception() before done: invalid_state; a cancelled future:
// its cancelled; else marks the exception retrieved and rethrows it.
void check_future_outcome(future_base* f, bool rethrow);

}  // namespace weft::detail
