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

#include "weft/detail/fiber_control.hpp"
#include "weft/detail/task_state.hpp"

namespace weft::detail {

// The part of a loop that the inline fast paths (yield_now) touch. The loop
// (src/loop/loop_core.hpp) derives from it. Loop thread only.
struct scheduler_state {
  fifo<runnable> ready;         // tasks (run == nullptr) and callbacks, FIFO
  task_base* running = nullptr;  // the task whose fiber is running
};

// The scheduler of the loop running on this thread, or null.
extern constinit thread_local scheduler_state* current_scheduler;

// yield_now()'s uncommon cases: outside a task, inside a nested fiber,
// cancellation pending.
void yield_slow();
// Clears the pending cancellation and raises weft::cancelled.
[[noreturn]] void deliver_cancel(task_base* t);

// The running task of this thread's running loop; invalid_state outside.
task_base& running_task();

// Suspends the running task. Returns why it woke. A cancellation pending
// when called (and not shielded) returns `cancelled` at once, without
// suspending. Must be called from the task's own fiber (not from a
// generator or fiber nested inside it: logic_error).
wake_reason park(const wait_info& what, loop_time deadline = no_deadline);

// Schedules a parked task to run (at the back of the run queue), telling it
// `why`. A no-op if the task is not parked (already woken this turn).
void unpark(task_base* t, wake_reason why = wake_reason::woken) noexcept;

// The running loop's clock (virtual or steady).
loop_time loop_now();

}  // namespace weft::detail
