// How a task waits and wakes: park() and unpark(), join's wait, yield,
// sleep, and the delivery of a pending cancellation. Every blocking
// operation of weft is park() plus bookkeeping (weft/detail/loop/park.hpp).
// Also which loop and task are running on this thread.
#include <stdexcept>
#include <string>

#include "loop/loop_core.hpp"
#include "loop/prefetch.hpp"
#include "weft/detail/loop/hand_off.hpp"
#include "weft/error.hpp"
#include "weft/loop.hpp"

namespace weft {
namespace detail {

// Defined here, beside their hottest reader (running_task()): in the file
// that defines it, a thread_local is one %fs-relative load; elsewhere its
// offset must be loaded first.
constinit thread_local loop_core* current_core = nullptr;
constinit thread_local scheduler_state* current_scheduler = nullptr;

task_base& running_task() {
  loop_core* core = current_core;
  if (core == nullptr || core->running == nullptr)
    throw invalid_state("weft: this operation must be called from a task of a running loop");
  return *core->running;
}

void refuse_nested_fiber(const char* op) {
  throw invalid_state(std::string("weft: ") + op + " inside a generator or nested fiber of a task");
}

namespace {

// A park() deadline: wakes the task with timed_out.
struct park_timer : timer_node {
  task_base* task = nullptr;
};

// park()'s body, forced inline into park() and into wait_until_done() (the
// join of spawn+join): every return executed after the switch back
// mispredicts, so one function fewer to return from is worth its copy.
[[gnu::always_inline]] inline wake_reason park_task(task_base& t, const wait_info& what, loop_time deadline) {
  if (!on_task_fiber(t)) [[unlikely]]
    refuse_nested_fiber("a loop wait");
  if (t.cancel_requested && t.shield_depth == 0) {
    t.cancel_requested = false;
    return wake_reason::cancelled;
  }
  loop_core& core = *t.loop;
  park_timer timer;
  struct disarm_on_exit {
    loop_core& core;
    park_timer& timer;
    ~disarm_on_exit() { core.disarm(&timer); }
  } guard{core, timer};
  if (deadline != no_deadline) {
    timer.deadline = deadline;
    timer.task = &t;
    timer.fire = [](timer_node* n) {
      auto* pt = static_cast<park_timer*>(n);
      pt->task->loop->unpark(pt->task, wake_reason::timed_out);
      prefetch_for_resume(pt->task, pt);
    };
    core.arm(&timer);
  }
  t.phase = task_phase::parked;
  t.waiting = what;
  t.parked_since = core.last_now;
  switch_away(core, access::control(t.fib));
  if (t.reason == wake_reason::cancelled) t.cancel_requested = false;
  return t.reason;
}

}  // namespace

bool loop_core::idle_between_turns() const noexcept {
  // What turn() would check after this batch and before the next: fds to
  // poll, timers to fire, remote calls to take, a dump to write, a run to
  // end (its caller checks returning()'s conditions between turns).
  return timers.empty() && reactor.watched() == 0 && !remote_pending.load(std::memory_order_acquire) &&
         !registration.dump_requested.load(std::memory_order_relaxed) && !returning();
}

task_base* next_to_hand_off(scheduler_state& s, const fiber_control* self) noexcept {
  if (!s.hand_offs_allowed) return nullptr;
  runnable* r = s.ready.front();
  if (r == nullptr || r->run != nullptr) return nullptr;  // callbacks run on the loop's stack
  auto* next = static_cast<task_base*>(r);
  if (!can_hand_off(self, access::control(next->fib))) return nullptr;
  if (s.batch_left == 0) {
    if (!static_cast<const loop_core&>(s).idle_between_turns()) return nullptr;
    s.batch_left = s.ready.size();  // the next turn's batch
    s.fetch_ahead = s.batch_left >= long_batch;
  }
  --s.batch_left;
  s.ready.pop_front();
  if (s.fetch_ahead) prefetch_ahead(next);  // as run_ready() does
  return next;
}

wake_reason park(const wait_info& what, loop_time deadline) { return park_task(running_task(), what, deadline); }

namespace {

wait_info join_info(const task_base* t) noexcept { return {wait_kind::join, "task", {}, -1, t}; }

// The running task `self` among t's joiners for the length of a join.
// Unlinked on the way out if t did not finish (woken by timeout or cancel,
// or unwound by force): no dangling waiter is left behind.
struct join_registration {
  join_registration(task_base& self, task_base* joined) : t(joined) {
    if (&self == t) throw invalid_state("weft: a task cannot join itself");
    w.task = &self;
    t->joiners.push_back(&w);
  }
  ~join_registration() {
    if (w.linked()) t->joiners.erase(&w);
  }
  join_registration(const join_registration&) = delete;
  join_registration& operator=(const join_registration&) = delete;

  task_base* t;
  waiter w;
};

// A join whose waiter `self` was cancelled, or whose deadline passed:
// cancels `t` and waits until it has finished, as asyncio does when it
// cancels a task awaiting another (and wait_for, to leave no task running).
// A cancellation of the waiter meanwhile is passed on to `t` again, which
// may have swallowed the first. Returns whether the waiter was cancelled.
// Out of line: the common join must not pay for it.
[[gnu::noinline]] bool cancel_and_wait(task_base& self, task_base* t, bool was_cancelled) {
  cancel_task(t);
  while (!t->done()) {
    if (park_task(self, join_info(t), no_deadline) == wake_reason::cancelled) {
      was_cancelled = true;
      cancel_task(t);
    }
  }
  return was_cancelled;
}

}  // namespace

// Here rather than with the rest of joining (task.cpp), for park_task().
void wait_until_done(task_base* t) {
  task_base& self = running_task();
  join_registration joining(self, t);
  if (park_task(self, join_info(t), no_deadline) == wake_reason::cancelled) cancel_and_wait(self, t, true);
}

wake_reason await_task(task_base* t, loop_time deadline, bool shielded) {
  task_base& self = running_task();
  join_registration joining(self, t);
  // A deadline already passed cancels t without waiting first.
  wake_reason why = deadline <= self.loop->now() ? wake_reason::timed_out : park_task(self, join_info(t), deadline);
  if (why == wake_reason::woken || (shielded && why == wake_reason::cancelled)) return why;
  return cancel_and_wait(self, t, why == wake_reason::cancelled) ? wake_reason::cancelled : wake_reason::timed_out;
}

void unpark(task_base* t, wake_reason why) noexcept { t->loop->unpark(t, why); }

loop_time loop_now() {
  loop_core* core = current_core;
  if (core == nullptr) throw invalid_state("weft: no loop is running on this thread");
  return core->now();
}

void deliver_cancel(task_base* t) {
  t->cancel_requested = false;
  throw cancelled();
}

void yield_slow() {
  task_base& t = running_task();
  if (!on_task_fiber(t)) refuse_nested_fiber("yield_now");
  if (t.cancel_requested && t.shield_depth == 0) deliver_cancel(&t);
  t.loop->push_ready(&t);  // shielded: an ordinary yield
  this_fiber::suspend();
}

}  // namespace detail

// Here, beside the thread_local it reads (see current_core).
loop* loop::current() noexcept { return detail::current_core ? &detail::current_core->facade : nullptr; }

any_task current_task() {
  detail::running_loop("current_task");                  // invalid_state outside a running loop
  detail::task_base* t = detail::current_core->running;  // null in a callback
  return t != nullptr ? detail::access::make<any_task>(t) : any_task();
}

loop& detail::running_loop(const char* op) {
  if (current_core == nullptr) throw invalid_state(std::string("weft::") + op + " outside a running loop");
  return current_core->facade;
}

void sleep_until(loop::time_point t) {
  if (detail::park({detail::wait_kind::sleep, "", ""}, t) == detail::wake_reason::cancelled) throw cancelled();
}

void sleep_for(loop::duration d) {
  // asyncio.sleep(0) is a bare yield: no timer, which would put the task
  // behind the callbacks queued later in the same turn.
  if (d <= loop::duration::zero()) yield_now();
  else sleep_until(detail::loop_now() + d);
}

}  // namespace weft
