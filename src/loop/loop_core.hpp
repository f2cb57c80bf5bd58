// The loop's state and its turn. Private to src/loop; the public face is
// weft::loop (include/weft/loop.hpp).
//
// Invariants (all on the loop's thread):
//  - A task is in exactly one of: the run queue (queued to start or woken),
//    parked (waiting, reachable only through whatever will wake it: a timer,
//    the reactor, a primitive's wait list, a joined task), or running.
//  - `tasks` lists every unfinished task; `held` every finished one that a
//    handle still references (so close() can report and disown them).
//  - A callback node is referenced by the loop while scheduled and by each
//    timer_handle.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <typeinfo>
#include <vector>

#include "annotated_mutex.hpp"
#include "debug/registry.hpp"
#include "loop/idle_spin.hpp"
#include "loop/reactor_epoll.hpp"
#include "loop/timer_heap.hpp"
#include "loop/timer_slack.hpp"
#include "weft/detail/intrusive_list.hpp"
#include "weft/detail/loop/future_state.hpp"
#include "weft/detail/loop/park.hpp"
#include "weft/detail/loop/task_state.hpp"
#include "weft/error.hpp"
#include "weft/loop.hpp"

namespace weft::detail {

// A callback from call_soon/call_later/call_at.
struct callback_node : runnable, timer_node {
  loop_core* loop = nullptr;
  // The loop's home_thread, kept here: a handle may outlive the loop.
  const void* home_thread = nullptr;
  std::function<void()> fn;
  // What reports call it: the name given at scheduling, else this type
  // (the user's callable, where fn wraps it), else fn's target type.
  std::string name;
  const std::type_info* type = nullptr;
  std::uint32_t refs = 0;
  enum class phase : unsigned char { waiting, queued, done, cancelled } state = phase::waiting;
  loop_time when{};
};
void release_callback(callback_node* node) noexcept;
// A callback made now and queued later by queue_prepared(), which cannot
// fail (done callbacks, weft/detail/loop/done_callbacks.hpp). The one
// reference is the caller's until queued, then the loop's.
callback_node* prepare_callback(loop_core& core, std::function<void()> fn, const std::type_info& type);
void queue_prepared(callback_node* node) noexcept;
// The callback's type, demangled, for reports (asyncio names the callback
// in its reports too).
std::string callback_name(const callback_node& node);

// close(): drops the done callbacks of every future still alive, reports
// exceptions nobody retrieved, and unbinds them from the loop
// (src/loop/future.cpp).
void disown_futures(loop_core& core) noexcept;

// Marks a failed task's exception retrieved and reports it through the
// loop's exception handler (src/loop/task.cpp).
void report_unretrieved(loop_core& core, task_base* t) noexcept;

class loop_core : public scheduler_state {
 public:
  explicit loop_core(weft::loop& facade, const loop_options& options);

  loop_time now() const noexcept { return options.virtual_time ? virtual_now : loop_clock::now(); }

  void push_ready(runnable* r) noexcept { ready.push_back(r); }
  // Moves a parked task to the run queue; a no-op if it is not parked.
  void unpark(task_base* t, wake_reason why) noexcept {
    if (!t->parked()) return;
    t->phase = task_phase::running;
    t->reason = why;
    ready.push_back(t);
  }
  void arm(timer_node* node) { timers.push(node); }
  void disarm(timer_node* node) noexcept {
    if (node->armed()) timers.erase(node);
  }

  // One turn of the loop: run what is ready, poll, fire due timers. Returns
  // false, doing nothing, when nothing is ready and nothing could ever
  // become ready (no timers, no fd waits, no keep_alive).
  bool turn();
  // Something outside the run queue and the timers could still wake the
  // loop: a watched fd, a keep_alive, a remote call; or deadlock detection
  // is off.
  bool can_block() const noexcept {
    return reactor.watched() > 0 || keep_alive_count.load(std::memory_order_acquire) > 0 ||
           remote_pending.load(std::memory_order_acquire) || !options.detect_deadlock;
  }
  [[noreturn]] void raise_deadlock() const;
  // invalid_state naming `op` unless called on the loop's thread.
  void check_thread(const char* op) const {
    if (home_thread != running_thread()) [[unlikely]]
      refuse_other_thread(op);
  }
  [[noreturn]] static void refuse_other_thread(const char* op);
  // The run is about to return (stop() was called, or the awaited task or
  // future is done): the turn must neither block nor move virtual time on.
  bool returning() const noexcept {
    return stop_requested || (awaited != nullptr && is_done(*awaited)) || (closing && tasks.empty());
  }

  // Between two batches the loop would do nothing but start the next one.
  bool idle_between_turns() const noexcept;

  // Runs a ready task until a task suspends to the loop or finishes: `t`,
  // or the last of the tasks handed over to after it (switch_away()),
  // which `running` then names. Inline into turn(): the switch back lands
  // in turn()'s own frame. `t` itself may be gone on return.
  void resume(task_base* t) {
    running = t;
    resume_control(access::control(t->fib));  // the body catches everything; nothing escapes here
    task_base* back = running;
    running = nullptr;
    if (back != nullptr && back->done()) task_finished(back);  // its worker has returned
  }
  void task_finished(task_base* t) noexcept;
  // The worker a new task runs on (src/loop/task_fibers.cpp): an idle one
  // if the task wants the default stack, else a new fiber. Throws
  // std::system_error if no stack can be mapped.
  fiber take_worker(const task_options& options, std::source_location where);
  // Takes back the worker of a task that just finished: into the idle
  // pool if it is waiting there for the next task, freed if it returned.
  void retire_worker(task_base* t) noexcept {
    if (t->fib.finished()) t->fib = fiber();  // returned, or already gone
    else idle_workers_.push_back(std::move(t->fib));
  }
  // The end of close(), after any grace turns: unwinds by force what is
  // still alive (its destructors run), reports exceptions nobody retrieved,
  // releases callbacks, idle workers and the executor. Marks the loop closed.
  void finish_close() noexcept;
  template <bool timed>
  void run_ready();  // step 1 of a turn; timed: with the slow-task detector
  void report_slow(const task_base* t, loop_clock::duration ran) noexcept;
  // Runs a callback timed by the slow-task detector, reporting it by its
  // type if it ran longer than the threshold (src/loop/timer.cpp).
  void run_timed_callback(runnable* r);
  // Empties the run queue and the timer heap, releasing the callbacks in
  // them (close()). Tasks found there stay owned by the `tasks` list.
  void drop_callbacks() noexcept;
  void report(const exception_report& r) noexcept;
  std::string dump() const;

  weft::loop& facade;  // the public object that owns this core
  // running_thread() of the thread that made the loop: the only one that may
  // run it, spawn on it, schedule callbacks on it or touch its tasks.
  const void* const home_thread = running_thread();
  loop_options options;
  timer_heap timers;
  reactor_epoll reactor;
  idle_spin spinner{options.idle_spin};
  list<task_base> tasks;                  // unfinished
  list<task_base> held;                   // finished, referenced by handles
  list<future_base> futures;              // every future made on this loop and not yet destroyed
  std::uint64_t done_callbacks_made = 0;  // the last done_callback_id handed out
  // The `done` of run_until_complete's task or future: once true, don't block.
  const task_phase* awaited = nullptr;
  bool is_running = false;
  bool stop_requested = false;
  bool closed = false;
  bool closing = false;  // close() is letting cancelled tasks finish
  loop_time virtual_now{};
  // The clock as last read by a turn: what "waiting since" records, so that
  // parking costs no clock read. Read at least once per turn with timers.
  loop_time last_now{};
  loop_time virtual_start{};
  std::chrono::system_clock::time_point wall_start{};
  std::function<void(const exception_report&)> exception_handler;
  std::atomic<int> keep_alive_count{0};
  // The default executor (weft/executor.hpp), type-erased so the loop does
  // not depend on that layer; made on first use, destroyed by close() once
  // every task has finished.
  std::shared_ptr<void> default_executor;

  // What other threads send the loop, in arrival order: a callable
  // (call_soon_threadsafe), queued as a callback when the batch is taken,
  // or a wake-up (post_remote_wakeup), fired then, on this thread.
  struct remote_message {
    std::function<void()> fn;
    void (*fire)(void*) noexcept = nullptr;  // non-null: a wake-up
    void* arg = nullptr;
  };
  // Any thread. Queues m; writes the eventfd only if m is the first of a
  // batch and the loop may be asleep (ordering argued in src/loop/timer.cpp).
  // std::bad_alloc if it cannot be queued.
  void post_remote(remote_message m);
  // A wake-up from another thread: fire(arg) runs on this loop's thread,
  // once: when the loop takes the batch, or when it is destroyed (then no
  // task of it waits any more). fire must not throw or run user code; it
  // unparks a task. Any thread; std::bad_alloc if it cannot be queued.
  void post_remote_wakeup(void (*fire)(void*) noexcept, void* arg) { post_remote({{}, fire, arg}); }

  annotated_mutex remote_mutex;
  std::vector<remote_message> remote WEFT_GUARDED_BY(remote_mutex);
  std::atomic<bool> remote_pending{false};
  // Set while the loop is in (or about to enter) a blocking poll: only
  // then does a message need the eventfd (src/loop/timer.cpp).
  std::atomic<bool> sleeping{false};

  ~loop_core();

 private:
  void take_remote();
  std::vector<remote_message> remote_batch_;  // the batch being taken; capacity kept
  void worker_main(bool poolable);            // the body of every worker
  std::vector<task_base*> io_ready_;          // reused by every poll
  // Workers suspended between tasks, each with a default stack. Capacity
  // for all it may hold is reserved with the first poolable worker, so
  // retiring one into it cannot fail.
  std::vector<fiber> idle_workers_;

 public:
  // Last member: in the list of live loops for debuggers once fully built,
  // out of it before anything else is destroyed (src/debug/registry.hpp).
  loop_registration registration{*this};
};

// The loop whose turn is running on this thread.
extern constinit thread_local loop_core* current_core;

// Sets the thread's current loop, and its timer slack, for the duration of
// a run.
class running_scope {
 public:
  explicit running_scope(loop_core& core) : core_(core), previous_(current_core), slack_(core.options.timer_slack) {
    core.check_thread("running a loop");
    if (core.closed) throw invalid_state("weft: the loop is closed");
    if (core.is_running) throw invalid_state("weft: the loop is already running");
    if (previous_ != nullptr) throw invalid_state("weft: another loop is running on this thread");
    core.is_running = true;
    current_core = &core;
    current_scheduler = &core;
  }
  ~running_scope() {
    core_.is_running = false;
    current_core = previous_;
    current_scheduler = previous_;
  }
  running_scope(const running_scope&) = delete;
  running_scope& operator=(const running_scope&) = delete;

 private:
  loop_core& core_;
  loop_core* previous_;
  timer_slack_scope slack_;
};

}  // namespace weft::detail
