// The FIFO of tasks parked on a synchronisation primitive, shared by every
// primitive in weft/sync/. It is the protocol of weft/detail/loop/park.hpp with
// one rule added, hand-off:
//
//   - wait() parks the running task at the back of the list and unlinks it
//     again on every way out (woken, timeout, cancellation, forced unwind).
//   - A waker takes the first waiter with pop(), gives it what it waited for
//     (the lock, a permit, an item: whatever the primitive hands over), and
//     wakes it with wake(). That waiter's wait() returns wake_reason::woken
//     and it owns what it was given: a cancel() arriving after that is
//     delivered at its next suspension point, not here.
//   - pop() skips (and unlinks) waiters whose task was already woken by its
//     deadline or a cancellation but has not run yet: they will report
//     timed_out / cancelled and must not be given anything. So a woken
//     waiter never loses what it was handed, and nothing is handed to a
//     waiter that is leaving.
//   - The only way to lose a hand-off is a forced unwind (the loop destroying
//     a task that was handed something but never ran again): wait() then
//     throws with `chosen` set, and the primitive passes the thing on.
//
// Wake-up order is FIFO: the order in which the tasks began to wait.
// Loop thread only, like everything in weft/sync/: a list is bound to the
// thread of its first use. Later, wait() on another thread raises
// invalid_state; pop() and wake_all() there (set, notify, put, release:
// operations that cannot throw) abort, naming the primitive. Wakers on other
// threads go through loop::call_soon_threadsafe.
#pragma once

#include <cstddef>

#include "weft/detail/loop/park.hpp"
#include "weft/detail/loop/task_state.hpp"

namespace weft::detail {

// A task waiting in a wait_list. Lives on the waiting task's stack for the
// duration of the wait. Primitives derive from it to carry what is handed
// over (a pointer to an item, a slot to fill).
struct sync_waiter : waiter {
  bool chosen = false;  // popped by a waker: it was handed what it waited for
};

class wait_list {
 public:
  // `primitive` names the owner in error messages ("event", "queue.get").
  explicit wait_list(const char* primitive) noexcept : primitive_(primitive) {}
  // Waiters still here (a primitive destroyed while tasks wait on it, a bug
  // in the program) are detached: their tasks stay parked, their wait shown
  // as on a destroyed primitive, and they unlink nothing later.
  ~wait_list();
  wait_list(const wait_list&) = delete;
  wait_list& operator=(const wait_list&) = delete;

  // Parks the running task at the back until a waker picks it (woken), the
  // deadline passes (timed_out) or it is cancelled (cancelled). `w` is
  // unlinked on return and on every exception. Raises invalid_state outside
  // a task.
  wake_reason wait(sync_waiter& w, const wait_info& what, loop_time deadline = no_deadline);

  // Unlinks and returns the first waiter whose task is still parked, marked
  // chosen; null if none. The caller hands it its due, then calls wake().
  sync_waiter* pop() noexcept;
  static void wake(sync_waiter* w) noexcept { unpark(w->task, wake_reason::woken); }
  // pop() + wake() for every waiter; returns how many were woken.
  std::size_t wake_all() noexcept;

  // Waiters in the list, including any already woken by a timeout or a
  // cancellation that have not run yet (they leave when they do).
  std::size_t size() const noexcept { return waiters_.size(); }
  bool empty() const noexcept { return waiters_.empty(); }

 private:
  // Binds the list to the running thread at its first use; true if the
  // running thread is that one.
  bool on_home_thread() noexcept {
    const void* here = running_thread();
    if (home_thread_ == nullptr) home_thread_ = here;
    return home_thread_ == here;
  }
  [[noreturn]] void refuse_other_thread() const noexcept;

  list<sync_waiter> waiters_;
  const char* primitive_;
  const void* home_thread_ = nullptr;  // running_thread() of the first user
};

}  // namespace weft::detail
