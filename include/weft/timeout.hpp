// Deadlines around blocking work (asyncio.timeout and asyncio.wait_for).
//
//   auto reply = weft::with_timeout(2s, [&] { return sock.read_line(); });
//
// When the deadline passes, the running task is cancelled at its current
// suspension point; the cancelled exception unwinds the inner work and
// with_timeout turns it into weft::timeout_error. A cancel() from elsewhere
// still arrives as weft::cancelled.
//
// The rule: once the deadline's cancellation has been raised inside the
// body, with_timeout raises timeout_error however the body ends, even if it
// caught the cancellation, dropped it and returned a value (a body cut off
// at its deadline has no result to trust). A deadline that passes while the
// body runs on without suspending again raises nothing.
#pragma once

#include <optional>
#include <type_traits>
#include <utility>

#include "weft/error.hpp"
#include "weft/loop.hpp"
#include "weft/task.hpp"

namespace weft {

// A deadline scope of the running task (asyncio.timeout / timeout_at):
// run(fn) runs fn under it. At the deadline the task is cancelled at its
// current suspension point and run() raises timeout_error once fn has
// unwound (the timeout rule above). The deadline may be absent (no limit
// until reschedule() sets one), and may be moved while fn runs.
//
//   weft::timeout_scope cm;                       // asyncio.timeout(None)
//   cm.run([&] { ...; cm.reschedule(lp.now() + 2s); ... });
//
// Made, used and destroyed by one task, which run() must be called from;
// it must not outlive that task's run() call (its timer refers to it).
class timeout_scope {
 public:
  timeout_scope();                                // no deadline
  explicit timeout_scope(loop::time_point when);  // asyncio.timeout_at(when)
  explicit timeout_scope(loop::duration d);       // asyncio.timeout(d)
  ~timeout_scope();
  timeout_scope(const timeout_scope&) = delete;
  timeout_scope& operator=(const timeout_scope&) = delete;

  // The deadline, if any.
  std::optional<loop::time_point> when() const noexcept { return when_; }
  // Moves the deadline (nullopt: none). invalid_state once expired.
  void reschedule(std::optional<loop::time_point> when);
  // The deadline passed while the scope was in force.
  bool expired() const noexcept { return expired_; }

  template <class F>
  auto run(F&& fn) -> std::invoke_result_t<F&> {
    try {
      if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
        fn();
        if (delivered()) throw timeout_error();
      } else {
        auto result = fn();
        if (delivered()) throw timeout_error();
        return result;
      }
    } catch (const cancelled&) {
      if (expired_) throw timeout_error();
      throw;
    }
  }

 private:
  // The deadline's cancellation was raised in the task (delivered, not
  // still pending).
  bool delivered() const noexcept;

  detail::task_base* task_;
  timer_handle timer_;
  std::optional<loop::time_point> when_;
  bool expired_ = false;
};

// asyncio.timeout(d) around fn, the shorthand.
template <class F>
auto with_timeout(loop::duration d, F&& fn) -> std::invoke_result_t<F&> {
  timeout_scope scope(d);
  return scope.run(std::forward<F>(fn));
}

// Waits for t at most d (asyncio.wait_for, as in Python 3.11). On timeout
// cancels t and waits until it has finished, then raises timeout_error; if
// t swallowed the cancellation and returned a value (or raised another
// exception), that is the outcome instead. A d of zero or less still
// returns the result of a task already done. When the waiting task is
// cancelled, t is cancelled too, and weft::cancelled is raised once t has
// finished. Takes the task by value: wait_for(spawn(f), 2s).
template <class T>
T wait_for(task<T> t, loop::duration d) {
  if (!t.done()) {
    detail::loop_time deadline = d > loop::duration::zero() ? detail::loop_now() + d : detail::loop_time::min();
    switch (detail::await_task(detail::access::state(t), deadline)) {
      case detail::wake_reason::woken: break;
      case detail::wake_reason::timed_out:
        if (t.cancelled()) {
          t.exception();  // retrieved: it is reported as this timeout
          throw timeout_error();
        }
        break;
      case detail::wake_reason::cancelled: throw cancelled();
    }
  }
  return t.result();
}

}  // namespace weft
