// Tasks: functions running as fibers of a loop, with a handle to their
// outcome (asyncio.Task).
//
// A task<T> is a shared handle: copies refer to the same task. The loop
// keeps a task alive until it finishes even if every handle is gone. A task
// that ends with an exception nobody retrieves (result(), join(),
// exception(), or a gather) is reported through the loop's exception
// handler when its last handle goes away, when it finishes detached, or when
// the loop closes — never silently lost.
//
// All members must be called on the loop's thread (checked: invalid_state
// otherwise).
#pragma once

#include <concepts>
#include <cstddef>
#include <exception>
#include <string_view>
#include <type_traits>
#include <utility>

#include "weft/detail/access.hpp"
#include "weft/detail/loop/done_callbacks.hpp"
#include "weft/detail/loop/task_state.hpp"
#include "weft/error.hpp"
#include "weft/stack.hpp"

namespace weft {

struct task_options {
  std::string_view name = {};  // copied; default "task-<id>"
  std::size_t stack_size = 0;
  stack_mode stack = stack_mode::automatic;
};

// A handle to a task of any result type: what current_task() returns
// (asyncio.current_task() gives the Task), and the base of every task<T>,
// which adds the typed result. Copies share the task; two handles to the
// same task compare equal (`current_task() == t`, Python's `is`).
//
// All members must be called on the loop's thread (checked: invalid_state
// otherwise).
class any_task {
 public:
  any_task() noexcept = default;
  any_task(const any_task& other) noexcept : state_(other.state_) { retain(); }
  any_task(any_task&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  any_task& operator=(any_task other) noexcept {
    std::swap(state_, other.state_);
    return *this;
  }
  ~any_task() {
    if (state_) detail::release_task(state_);
  }

  bool valid() const noexcept { return state_ != nullptr; }
  // Every member below raises invalid_state on an empty handle (one made
  // by the default constructor or moved from) and on a thread other than
  // the one running the task's loop.
  bool done() const { return checked("task::done")->done(); }
  // True if the task finished by cancellation.
  bool cancelled() const { return checked("task::cancelled")->was_cancelled(); }
  std::string_view name() const { return detail::task_name(checked("task::name")); }
  void set_name(std::string_view name) { checked("task::set_name")->name = name; }

  // Requests cancellation: weft::cancelled is raised in the task at its
  // current (or next) suspension point, unless it is inside a
  // cancellation_shield, in which case at the first one after. Returns false
  // (and does nothing) if the task is already done.
  bool cancel() { return detail::cancel_task(checked("task::cancel")); }
  // cancel() requests made and not withdrawn (Python 3.11's cancelling()).
  unsigned cancelling() const { return checked("task::cancelling")->cancels; }
  // Withdraws one request and returns how many are left (uncancel()). It
  // does not withdraw a cancellation already on its way to the task.
  unsigned uncancel() {
    detail::task_base* s = checked("task::uncancel");
    if (s->cancels > 0) --s->cancels;
    return s->cancels;
  }

  // The task's exception (null if it succeeded), marking it retrieved.
  // invalid_state if not done.
  std::exception_ptr exception() {
    detail::task_base* s = checked("task::exception");
    if (!s->done()) detail::throw_not_done(s);
    s->retrieved = true;
    return s->error;
  }

  // Unregisters a done callback not yet scheduled (task<T>::
  // add_done_callback): 1 if it was, else 0.
  std::size_t remove_done_callback(done_callback_id id) {
    return detail::unlink_done_callback(checked("task::remove_done_callback")->joiners, id);
  }

  // Gives up the handle's claim on the outcome: if the task fails, its
  // exception is reported when it finishes.
  void detach() {
    checked("task::detach")->detached = true;
    detail::release_task(std::exchange(state_, nullptr));
  }

  friend bool operator==(const any_task& a, const any_task& b) noexcept { return a.state_ == b.state_; }

 protected:
  // Adopts a reference (loop::spawn, current_task).
  explicit any_task(detail::task_base* s) noexcept : state_(s) { retain(); }

  detail::task_base* checked(const char* op) const {
    if (state_ == nullptr || state_->home_thread != detail::running_thread()) [[unlikely]]
      detail::refuse_task_operation(state_, op);
    return state_;
  }

  detail::task_base* state_ = nullptr;

 private:
  friend struct detail::access;  // state_, and the adopting constructor

  void retain() noexcept {
    if (state_) ++state_->refs;
  }
};

// The task running on this thread's loop (asyncio.current_task()); an empty
// handle when called from a callback; invalid_state outside a running loop.
any_task current_task();

template <class T>
class task : public any_task {
 public:
  task() noexcept = default;

  // The outcome of a finished task: its value, or its exception rethrown
  // (weft::cancelled if it was cancelled). invalid_state if not done. A
  // move-only value can be taken once; asking again raises invalid_state.
  T result() { return result_of(checked("task::result")); }

  // Suspends the running task until this one is done, then result().
  // Must be called from a task of the same loop.
  T join() {
    detail::task_state<T>* s = checked("task::join");
    if (!s->done()) detail::wait_until_done(s);
    return result_of(s);
  }

  // Schedules fn(task&) with call_soon once the task is done, or at once if
  // it is; callbacks run in the order they were added, interleaved with
  // the wake-ups of tasks joining it in the order those began to wait
  // (asyncio.Task.add_done_callback). A task with none pays nothing for
  // them. Returns the id for remove_done_callback.
  template <class F>
    requires std::invocable<std::decay_t<F>&, task&>
  done_callback_id add_done_callback(F&& fn) {
    detail::task_state<T>* s = checked("task::add_done_callback");
    return detail::add_done_callback<task>(s, s->joiners, std::forward<F>(fn));
  }

 private:
  friend struct detail::access;  // the adopting constructor

  detail::task_state<T>* checked(const char* op) const {
    return static_cast<detail::task_state<T>*>(any_task::checked(op));
  }
  static T result_of(detail::task_state<T>* s) {
    detail::check_outcome(s);
    if constexpr (!std::is_void_v<T>) return detail::hand_out_value(s->value, [s] { detail::throw_result_taken(s); });
  }

  // Adopts a reference (loop::spawn).
  explicit task(detail::task_state<T>* s) noexcept : any_task(s) {}
};

// Waits for t like t.join(), except that a cancellation of the waiting
// task does not reach t: weft::cancelled is raised in the waiter at once,
// and t runs on (asyncio.shield(t)). Compare cancellation_shield, which
// postpones the running task's own cancellation instead.
template <class T>
T shield(task<T> t) {
  if (!t.done() &&
      detail::await_task(detail::access::state(t), detail::no_deadline, true) == detail::wake_reason::cancelled)
    throw cancelled();
  return t.result();
}

// Defers cancellation of the running task while in scope: a cancel()
// arriving meanwhile is delivered at the first suspension point after the
// shield ends. Nestable.
class cancellation_shield {
 public:
  cancellation_shield();
  ~cancellation_shield();
  cancellation_shield(const cancellation_shield&) = delete;
  cancellation_shield& operator=(const cancellation_shield&) = delete;

 private:
  detail::task_base* task_;
};

}  // namespace weft
