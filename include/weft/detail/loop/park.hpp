// The one way a task waits: park() suspends the running task until someone
// unparks it, its deadline passes, or it is cancelled. Every blocking
// operation (sleep, fd readiness, join, the sync primitives, the executor)
// is park() plus bookkeeping of who will call unpark().
//
// The protocol for a primitive:
//   waiter w; w.task = &running_task();
//   wait_list.push_back(&w);
//   wake_reason why = park({wait_kind::primitive, "event", name_});
//   if (w.linked()) wait_list.erase(&w);      // woken by timeout/cancel
//   if (why == wake_reason::cancelled) throw cancelled();
// and on the other side: pop a waiter, unpark(w->task). Unlink in a RAII
// guard if the code between can throw: a task destroyed while parked is
// unwound through its park() (forced_unwind), and must leave no dangling
// waiter behind.
#pragma once

#include "weft/detail/loop/hand_off.hpp"
#include "weft/detail/loop/task_state.hpp"

namespace weft::detail {

// The part of a loop that the inline fast paths (yield_now) touch. The loop
// (src/loop/loop_core.hpp) derives from it. Loop thread only.
struct scheduler_state {
  fifo<runnable> ready;          // tasks (run == nullptr) and callbacks, FIFO
  task_base* running = nullptr;  // the task whose fiber is running
  // Items of the loop's current batch not yet run; hand-overs take them too.
  std::size_t batch_left = 0;
  bool fetch_ahead = false;  // the batch is long: fetch items ahead as they are taken
  // Set while the loop runs a batch without the slow-task detector (which
  // times each task from the loop).
  bool hand_offs_allowed = false;
};

// The scheduler of the loop running on this thread, or null.
extern constinit thread_local scheduler_state* current_scheduler;

// The front of the run queue, taken off it, if the running task (fiber
// `self`) may hand over to it: the loop would run it next and do nothing
// before. Null otherwise. (src/loop/loop.cpp)
task_base* next_to_hand_off(scheduler_state& s, const fiber_control* self) noexcept;

// Suspends the running task, whose fiber is `self`: hands over straight to
// the next task where the loop would do nothing but resume it (see
// hand_off()), else goes back to the loop. Returns when the task is
// resumed. Forced inline, into every wait and into yield_now(): each
// return executed after a switch mispredicts.
[[gnu::always_inline]] inline void switch_away(scheduler_state& s, fiber_control* self) {
  task_base* next = next_to_hand_off(s, self);
  if (next == nullptr) {
    this_fiber::suspend();
    return;
  }
  s.running = next;
  hand_off(self, access::control(next->fib));
  if (self->unwinding) [[unlikely]]
    throw_if_destroying();
}

// yield_now()'s uncommon cases: outside a task, inside a nested fiber,
// cancellation pending.
void yield_slow();
// Clears the pending cancellation and raises weft::cancelled.
[[noreturn]] void deliver_cancel(task_base* t);

// The running task of this thread's running loop; invalid_state outside.
task_base& running_task();

// Whether the caller runs on t's own fiber rather than in a generator or a
// fiber nested inside the task. Loop waits are allowed only there: a nested
// fiber's stack is not the one the loop resumes. The one way weft asks.
[[gnu::always_inline]] inline bool on_task_fiber(const task_base& t) noexcept {
  return this_thread.current == access::control(t.fib);
}
// invalid_state: `op` was called inside a generator or nested fiber of a task.
[[noreturn]] void refuse_nested_fiber(const char* op);

// Suspends the running task. Returns why it woke. A cancellation pending
// when called (and not shielded) returns `cancelled` at once, without
// suspending. Must be called from the task's own fiber (not from a
// generator or fiber nested inside it: invalid_state).
wake_reason park(const wait_info& what, loop_time deadline = no_deadline);

// Schedules a parked task to run (at the back of the run queue), telling it
// `why`. A no-op if the task is not parked (already woken this turn).
void unpark(task_base* t, wake_reason why = wake_reason::woken) noexcept;

// The running loop's clock (virtual or steady).
loop_time loop_now();

// What a task or future does as it completes: takes each waiter off its
// list in order and wakes it, by its notify hook if it has one, else by
// unparking its task.
inline void wake_waiters(list<waiter>& waiters) noexcept {
  waiters.for_each([&](waiter* w) {
    waiters.erase(w);
    if (w->notify != nullptr) w->notify(w);
    else unpark(w->task);
  });
}

}  // namespace weft::detail
