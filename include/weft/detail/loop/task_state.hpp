// What a task is inside the loop: a fiber plus the bookkeeping that lets the
// scheduler run it, park it, wake it, cancel it and hand out its result.
//
// Ownership: a task_state is reference counted (single-threaded). Every
// task<T> handle holds one reference; the loop holds one from spawn until
// the task finishes. The task's callable lives in its state (task_impl)
// until it has run; its fiber is one of the loop's workers, lent from spawn
// until the task finishes (src/loop/task_fibers.cpp), while the result
// stays for the handles. Everything here is touched only by the loop's
// thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>
#include <optional>
#include <source_location>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "weft/detail/intrusive_list.hpp"
#include "weft/fiber.hpp"

namespace weft::detail {

class loop_core;
struct task_base;

using loop_clock = std::chrono::steady_clock;
using loop_time = loop_clock::time_point;
inline constexpr loop_time no_deadline = loop_time::max();

// An item of the loop's FIFO run queue: a task to resume or a callback.
struct runnable {
  runnable* next_in_fifo = nullptr;
  void (*run)(runnable*) = nullptr;  // null for a task: the loop resumes it inline
};

// Why a parked task was woken.
enum class wake_reason : unsigned char { woken, timed_out, cancelled };

// What a parked task waits on, for fiber dumps and deadlock reports.
enum class wait_kind : unsigned char { none, sleep, readable, writable, join, primitive, executor, signal };

struct wait_info {
  wait_kind kind = wait_kind::none;
  std::string_view what;  // e.g. "event", "queue.get", "lock"; static or owned by the object
  std::string_view name;  // the primitive's name
  int fd = -1;
  const task_base* joined = nullptr;  // kind == join: named only when reported
};

// A task parked in some primitive's wait list. Lives on the waiting task's
// stack for exactly the duration of the wait.
struct waiter : list_hook {
  task_base* task = nullptr;
  // In a task's `joiners` only: if set, called (after unlinking) instead of
  // unpark(task) when that task finishes, so that one task can watch many
  // and learn which finished, in order (gather, wait, as_completed).
  void (*notify)(waiter*) noexcept = nullptr;
};

// Where a task is in its life: one field, so that no combination of flags
// can say two things at once. Each transition is made in one place:
//   created  -> running    run_task_body, when its worker takes it up
//   running  -> parked     park_task (src/loop/park.cpp)
//   parked   -> running    loop_core::unpark: queued to run again (a
//                          running task may be waiting in the run queue)
//   running  -> finished   run_task_body: the body returned or threw
//   running  -> cancelled  run_task_body: cancelled before it started, or
//                          weft::cancelled escaped the body
//   any but finished/cancelled -> cancelled   loop_core::task_finished, for
//                          a task unwound by close()
// A future (future_state.hpp) uses created, finished and cancelled. The
// order matters: done is phase >= finished (one comparison), and the gdb
// script (src/gdb/weft_gdb.py) reads the names.
enum class task_phase : unsigned char { created, running, parked, finished, cancelled };

inline bool is_done(task_phase p) noexcept { return p >= task_phase::finished; }

struct task_base : runnable, list_hook {  // list_hook: the loop's list of live tasks
  loop_core* loop = nullptr;
  // running_thread() of the loop's thread, the only one that may touch the
  // task (weft/task.hpp checks it on every operation of a handle).
  const void* home_thread = nullptr;
  fiber fib;  // a worker of the loop while the task is unfinished, then empty
  std::uint32_t refs = 0;
  task_phase phase = task_phase::created;  // see task_phase (debuggers read it)
  bool cancel_requested = false;           // cancel() called and not yet delivered
  bool retrieved = false;                  // someone looked at the outcome
  bool detached = false;
  wake_reason reason = wake_reason::woken;
  std::uint16_t shield_depth = 0;
  // cancel() requests not withdrawn by uncancel() (Python 3.11's
  // Task.cancelling()); saturates. 16 bits, like shield_depth, keep the
  // state's size.
  std::uint16_t cancels = 0;
  std::exception_ptr error;  // the body's exception, or cancelled
  list<waiter> joiners;
  wait_info waiting;  // read only while parked: stale (never reset) after
  loop_time parked_since{};
  std::source_location spawned_at;
  std::uint64_t id = 0;      // the fiber's id, kept after the fiber is gone
  mutable std::string name;  // given, or "task-<id>" made when first asked for
  // Runs the callable if `invoke`, storing its value, and destroys it
  // either way, also when it throws. A no-op once the callable is gone.
  void (*run_body)(task_base*, bool invoke) = nullptr;
  void (*destroy)(task_base*) noexcept = nullptr;  // deletes the derived state

  // Task states come from a per-thread cache of freed blocks
  // (src/loop/task_blocks.cpp) rather than straight from malloc. Delete
  // through the derived type, so that `size` is the block's.
  bool done() const noexcept { return is_done(phase); }
  bool parked() const noexcept { return phase == task_phase::parked; }
  bool was_cancelled() const noexcept { return phase == task_phase::cancelled; }

  static void* operator new(std::size_t size);
  static void operator delete(void* p, std::size_t size) noexcept;
  // Over-aligned results: the global aligned forms, uncached.
  static void* operator new(std::size_t size, std::align_val_t align) { return ::operator new(size, align); }
  // The global form without the size: libstdc++ declares the sized ones
  // only with sized deallocation, which clang before 19 leaves off.
  static void operator delete(void* p, std::size_t, std::align_val_t align) noexcept { ::operator delete(p, align); }
};

template <class T>
struct task_state : task_base {
  std::optional<T> value;
};

template <>
struct task_state<void> : task_base {};

// A task's state with its callable. The callable is destroyed as soon as
// it has run (or the task ends without running it), before the task counts
// as done: captured resources go with the body, not with the last handle.
template <class T, class F>
struct task_impl final : task_state<T> {
  template <class G>
  explicit task_impl(G&& g) : body(std::in_place, std::forward<G>(g)) {
    this->run_body = &run;
    this->destroy = [](task_base* t) noexcept { delete static_cast<task_impl*>(t); };
  }

  static void run(task_base* t, bool invoke) {
    auto* self = static_cast<task_impl*>(t);
    struct destroy_body {
      task_impl* self;
      ~destroy_body() { self->body.reset(); }
    } guard{self};
    if (!invoke) return;
    if constexpr (std::is_void_v<T>) (*self->body)();
    else self->value.emplace((*self->body)());
  }

  std::optional<F> body;
};

// Out of line (src/loop/task.cpp).
// What a worker runs for each task: the body unless cancelled before it
// started, then the outcome recorded and the joiners woken. Lets only
// forced_unwind through (the loop is tearing the task down).
void run_task_body(task_base* t);
void release_task(task_base* t) noexcept;  // drop one reference
// Parks the running task until t is done. If the running task is cancelled
// meanwhile, t is cancelled too (asyncio: cancelling a task that awaits
// another cancels that one), and the wait goes on until t has finished:
// the caller then sees t's outcome.
void wait_until_done(task_base* t);
// The same with a deadline (one already passed does not wait first). Past
// it, t is cancelled and waited for (timed_out). `cancelled`: the running
// task was cancelled and t, cancelled with it, has finished. `woken`: t
// finished by itself. `shielded`: a cancellation of the running task
// returns `cancelled` at once and leaves t running (asyncio.shield).
wake_reason await_task(task_base* t, loop_time deadline, bool shielded = false);
[[noreturn]] void throw_not_done(const task_base* t);
// An empty handle, or a handle used on another thread than its task's loop:
// invalid_state naming the operation.
[[noreturn]] void refuse_task_operation(const task_base* t, const char* op);
[[noreturn]] void throw_result_taken(const task_base* t);
bool cancel_task(task_base* t) noexcept;
std::string_view task_name(const task_base* t) noexcept;

// The value of a finished task or future: a copy, or, for a move-only T,
// the value itself, which can be taken once (`taken` raises after that).
template <class T, class Taken>
T hand_out_value(std::optional<T>& value, [[maybe_unused]] Taken taken) {
  if constexpr (std::is_copy_constructible_v<T>) {
    return *value;
  } else {
    if (!value) [[unlikely]]
      taken();
    T v = std::move(*value);
    value.reset();
    return v;
  }
}

// Throws invalid_state if not done, rethrows the task's exception (marking
// it retrieved).
inline void check_outcome(task_base* t) {
  if (!t->done()) throw_not_done(t);
  t->retrieved = true;
  if (t->error) std::rethrow_exception(t->error);
}

}  // namespace weft::detail
