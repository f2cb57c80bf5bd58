// The event loop: one per thread, running tasks (fibers) and callbacks.
//
//   weft::loop lp;
//   int answer = lp.run_until_complete([] { weft::sleep_for(1s); return 42; });
//
// The turn order, the one statement of it (src/loop/loop.cpp's turn() and
// docs/event-loop.md follow it). Scheduling is deterministic: one FIFO run
// queue holds ready tasks and callbacks alike; a task that is woken,
// spawned or yields goes to the back. Each turn of the loop
//   1. runs the items that were in the queue when the turn began (what they
//      make ready runs next turn);
//   2. polls the reactor: without waiting if anything is ready, else until
//      the next timer, else for as long as something outside can still wake
//      the loop; tasks whose fds are ready join the queue. A loop with no
//      fd waited on may first spin for a message from another thread
//      (loop_options::idle_spin);
//   3. fires the due timers in (deadline, scheduling) order: their tasks and
//      callbacks join the queue.
// So a program on virtual time produces the same trace on every run.
// docs/event-loop.md maps asyncio's constructs to these.
//
// Thread affinity: a loop is bound to the thread that made it; so are its
// tasks, their handles, its futures, its timers and the sync primitives its
// tasks use.
// Only call_soon_threadsafe() and keep_alive may be used from other threads.
// Checked in every build: spawn, call_soon/call_later/call_at, running,
// closing and task handles raise invalid_state on another thread, naming
// the operation; timer_handle::cancel and the primitives' wakers (set,
// notify, put, release), which cannot throw, abort with a message.
// The loop owns every task it runs; close() (and the destructor) cancels
// the tasks still alive, lets them run their cleanup, and reports
// exceptions never retrieved.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <source_location>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "weft/detail/loop/park.hpp"
#include "weft/task.hpp"
#include "weft/timer.hpp"

namespace weft {

template <class T>
class future;  // weft/future.hpp
namespace detail {
struct future_base;  // weft/detail/loop/future_state.hpp
}

struct loop_options {
  // Virtual time: the clock stands still while anything can run and jumps
  // to the next timer when every task waits, so a day of timers runs in
  // milliseconds. now() and wall_now() both follow it.
  bool virtual_time = false;
  // With virtual_time, what wall_now() says at the start (default: the real
  // wall clock when the loop is made).
  std::optional<std::chrono::system_clock::time_point> virtual_wall_start = std::nullopt;
  // When every task waits and nothing can wake one, raise deadlock_error
  // from run_until_complete/run_forever instead of hanging.
  bool detect_deadlock = true;
  // How long close() lets cancelled tasks clean up (they may still wait,
  // e.g. to flush) before unwinding the stragglers by force.
  std::chrono::steady_clock::duration close_grace = std::chrono::seconds(1);
  // Slow-task detector (asyncio debug mode's slow_callback_duration): a
  // task that runs longer than this between two suspensions is reported
  // through the exception handler, by name, spawn location and duration,
  // once it suspends. Zero: off, and then it costs nothing.
  std::chrono::steady_clock::duration slow_task_threshold = std::chrono::steady_clock::duration::zero();
  // The thread's timer slack while the loop runs (Linux's
  // PR_SET_TIMERSLACK; the thread's own is put back when the run returns).
  // The kernel's default, 50 us, would let every timer fire up to that late,
  // since the loop sleeps in epoll_pwait2 until its next deadline.
  // Zero: leave the thread's slack alone. See docs/event-loop.md, "Time".
  std::chrono::nanoseconds timer_slack = std::chrono::microseconds(1);
  // Spinning before sleep: a loop about to block with no fd waited on (so
  // only another thread can wake it: a cross-loop message, an executor's
  // result, call_soon_threadsafe) first watches for a message for up to
  // this long, adapting how long to how soon messages came after earlier
  // sleeps, and not at all once the machine looks loaded (its spin lost
  // the CPU). It trades up to this much CPU per sleep for a wake-up that
  // costs no syscall and, on a virtual machine, no hypervisor round trip.
  // Zero (or less): never spin. See docs/multicore.md, "Spinning before
  // sleep".
  std::chrono::nanoseconds idle_spin = std::chrono::microseconds(100);
  // Fiber dump on demand: when this signal arrives (e.g. SIGUSR1, from
  // `kill -USR1 <pid>`), the loop writes dump() to stderr at its next turn.
  // The handler is installed while such a loop exists; it only sets a flag
  // and wakes the loop. 0: off. See docs/debugging.md.
  int dump_signal = 0;
};

// What the loop reports through its exception handler: an exception nobody
// retrieved, an exception in a callback, or a slow task (error null).
struct exception_report {
  std::string message;                             // one line, e.g. "Task exception was never retrieved"
  std::string task_name;                           // empty for callbacks
  std::exception_ptr error;                        // null for diagnostics that are not errors
  std::chrono::steady_clock::duration duration{};  // a slow task: how long it ran
  std::source_location spawned_at{};               // the task's spawn call; line 0 for callbacks
};

class loop {
 public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;
  using duration = clock::duration;

  explicit loop(loop_options options = {});
  ~loop();
  loop(const loop&) = delete;
  loop& operator=(const loop&) = delete;

  // Runs fn as a task named "main" and the loop until it is done; returns
  // its result or rethrows its exception (asyncio.run / run_until_complete).
  template <class F>
    requires std::invocable<std::decay_t<F>&>
  auto run_until_complete(F&& fn, task_options options = {.name = "main"},
                          std::source_location where = std::source_location::current()) {
    return run_until_complete(spawn(std::forward<F>(fn), options, where));
  }
  // Runs the loop until t, a task of this loop, is done (asyncio's
  // run_until_complete(task)).
  template <class T>
  T run_until_complete(task<T> t) {
    run_until_done(detail::access::state(t));
    return t.result();
  }
  // Runs the loop until f, a future of this loop, is done; returns its
  // result or rethrows its exception (run_until_complete(future)).
  template <class T>
  T run_until_complete(future<T> f) {
    run_until_done(detail::access::state(f));
    return f.result();
  }

  // Runs until stop() is called (from a task or callback).
  void run_forever();
  void stop() noexcept;
  bool is_running() const noexcept;

  // Cancels every live task, runs the loop until they have finished,
  // reports exceptions nobody retrieved. Idempotent; the destructor calls it.
  void close();
  bool is_closed() const noexcept;

  // Starts fn() as a new task, queued behind whatever is ready now.
  template <class F>
  auto spawn(F&& fn, task_options options = {}, std::source_location where = std::source_location::current()) {
    using body_t = std::decay_t<F>;
    using result_t = std::invoke_result_t<body_t&>;
    auto* state = new detail::task_impl<result_t, body_t>(std::forward<F>(fn));
    auto handle = detail::access::make<task<result_t>>(state);  // frees the state if start_task throws
    start_task(state, options, where);
    return handle;
  }

  // `name`, if given, is what reports call the callback ("Exception in
  // callback <name>", as asyncio shows `bad(1)`); else its type.
  timer_handle call_soon(std::function<void()> callback, std::string_view name = {});
  timer_handle call_later(duration delay, std::function<void()> callback, std::string_view name = {});
  timer_handle call_at(time_point when, std::function<void()> callback, std::string_view name = {});
  // From any thread: runs callback on the loop's thread, waking it.
  void call_soon_threadsafe(std::function<void()> callback);

  // While a keep_alive exists, the loop does not consider itself
  // deadlocked: something outside (another thread) may still wake it.
  // Copyable and usable from any thread.
  class keep_alive {
   public:
    explicit keep_alive(loop& lp);
    keep_alive(const keep_alive& other);
    keep_alive& operator=(const keep_alive&) = delete;
    ~keep_alive();

   private:
    detail::loop_core* core_;
  };

  time_point now() const noexcept;
  std::chrono::system_clock::time_point wall_now() const noexcept;
  bool virtual_time() const noexcept;

  // Replaces the default handler (one line to stderr).
  void set_exception_handler(std::function<void(const exception_report&)> handler);
  // Hands a report to the handler, as the loop's own reports go
  // (asyncio's loop.call_exception_handler(context)).
  void call_exception_handler(const exception_report& report);

  // Every live task with its state and what it waits on, one per line.
  std::string dump() const;

  // The loop running on this thread, or null.
  static loop* current() noexcept;

 private:
  friend struct detail::access;  // core_
  void start_task(detail::task_base* state, const task_options& options, std::source_location where);
  void run_until_done(detail::task_base* t);
  void run_until_done(detail::future_base* f);
  void run_until(const detail::task_phase& phase);  // the run of both

  std::unique_ptr<detail::loop_core> core_;
};

// --- operations of the running task (asyncio.sleep and friends) ---------
// Each must be called from a task; each is a suspension point where
// weft::cancelled may be raised.

void sleep_for(loop::duration d);
void sleep_until(loop::time_point t);
// Goes to the back of the run queue (asyncio.sleep(0)).
inline void yield_now();

namespace detail {
// loop::current(), or invalid_state naming weft::`op` if no loop runs.
loop& running_loop(const char* op);
}  // namespace detail

// Starts a task on the running task's loop.
template <class F>
auto spawn(F&& fn, task_options options = {}, std::source_location where = std::source_location::current()) {
  return detail::running_loop("spawn").spawn(std::forward<F>(fn), options, where);
}

// The running loop's call_soon / call_later / call_at
// (asyncio.get_running_loop().call_soon …); invalid_state outside a running
// loop.
timer_handle call_soon(std::function<void()> callback, std::string_view name = {});
timer_handle call_later(loop::duration delay, std::function<void()> callback, std::string_view name = {});
timer_handle call_at(loop::time_point when, std::function<void()> callback, std::string_view name = {});

// Inline because it is the scheduler's hottest path: out of line, the
// return after the switch mispredicts (see weft/detail/fiber/fiber_switch.hpp).
inline void yield_now() {
  detail::scheduler_state* s = detail::current_scheduler;
  detail::task_base* t = s != nullptr ? s->running : nullptr;
  if (t == nullptr || t->cancel_requested || detail::this_thread.current != detail::access::control(t->fib))
      [[unlikely]] {
    detail::yield_slow();
    return;
  }
  s->ready.push_back(t);
  detail::switch_away(*s, detail::access::control(t->fib));
  if (t->cancel_requested && t->shield_depth == 0) [[unlikely]]
    detail::deliver_cancel(t);
}

}  // namespace weft
