// How a task waits on a structure shared between loops (weft/cross/*.hpp),
// and how a waker on another thread wakes it. The cross-thread counterpart
// of weft/sync/detail/wait_list.hpp, with the same hand-off rule:
//
//   - Every structure guards its state, and its cross_wait_lists, with one
//     std::mutex of its own. A waiter's `chosen` and whatever the waker
//     hands over (an item, a permit, a slot filled) are written and read
//     only with that mutex held.
//   - cross_wait() (called with the mutex held) links the running task at
//     the back, unlocks, parks, and relocks before it returns or throws.
//     On every way out it unlinks itself if still linked.
//   - A waker, with the mutex held, takes a waiter with pop() (unlinked,
//     marked chosen), hands it its due, makes a cross_wake from it, and
//     after unlocking calls post(). From the unlock on, the waiter may be
//     gone (cancelled, unwound): the waker must not touch it again, only
//     the cross_wake.
//   - A chosen waiter owns what it was handed: cross_wait() returns woken
//     even if a cancellation woke the task first; that cancellation is
//     re-armed and delivered at the task's next suspension point.
//
// The wake-up: a cross_wake posts a reference to the waiter's token to the
// waiter's loop as a remote wake-up (loop_core::post_remote_wakeup, the
// queue of call_soon_threadsafe: batched, a burst of posts wakes the loop
// at most once, by futex or eventfd (src/loop/reactor_epoll.cpp), and not
// at all while it is awake). On that
// loop's thread, as it takes the batch, the token unparks the task if the
// wait is still on (`armed`); no callback is made. The token is on the heap,
// reference counted, because the message may arrive after the wait is over
// and the waiter's stack reused.
//
// Memory ordering. Three things cross threads here, and each is ordered by
// a lock or one atomic:
//   1. the structure's state and `chosen`: its mutex (the waker writes, then
//      unlocks; the waiter, woken by message or by cancellation, locks
//      before it reads);
//   2. the message (the token pointer): the loop's remote queue mutex;
//   3. the token's lifetime: `refs`, decremented with acq_rel, so every
//      other owner's accesses happen before the last owner's delete. Its `armed` and `task` are touched only on
//      the waiter's loop thread: by the wait itself and by the message,
//      which runs there.
// The loops that wake and wait must outlive every message in flight:
// weft::runtime keeps all its loops until every one of them has closed.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <utility>

#include "weft/detail/intrusive_list.hpp"
#include "weft/detail/loop/park.hpp"

namespace weft::detail {

class loop_core;

// Shared by a wait and the messages that may wake it.
struct cross_wake_token {
  std::atomic<std::uint32_t> refs{1};
  task_base* task = nullptr;  // the waiting task; its loop's thread only
  bool armed = false;         // the task is parked in this wait; its loop's thread only
};
void release(cross_wake_token* token) noexcept;

// A task waiting on a cross-loop structure; lives on its stack for the wait.
struct cross_waiter : list_hook {
  loop_core* home = nullptr;  // the task's loop, for the wake-up message
  cross_wake_token* token = nullptr;
  bool chosen = false;  // guarded by the structure's mutex
};

// FIFO of cross_waiters; guarded by the owning structure's mutex.
class cross_wait_list {
 public:
  cross_wait_list() = default;
  cross_wait_list(const cross_wait_list&) = delete;
  cross_wait_list& operator=(const cross_wait_list&) = delete;

  bool empty() const noexcept { return waiters_.empty(); }
  std::size_t size() const noexcept { return waiters_.size(); }
  void push_back(cross_waiter& w) noexcept { waiters_.push_back(&w); }
  void erase(cross_waiter& w) noexcept { waiters_.erase(&w); }
  // Unlinks the first waiter and marks it chosen; null if none.
  cross_waiter* pop() noexcept {
    cross_waiter* w = waiters_.pop_front();
    if (w != nullptr) w->chosen = true;
    return w;
  }

 private:
  list<cross_waiter> waiters_;
};

// A wake-up owed to a chosen waiter, made with the mutex held and posted
// after it is released. Move-only; one that is never posted wakes nobody.
class cross_wake {
 public:
  cross_wake() noexcept = default;
  explicit cross_wake(const cross_waiter& w) noexcept : home_(w.home), token_(w.token) {
    token_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  cross_wake(cross_wake&& o) noexcept : home_(o.home_), token_(std::exchange(o.token_, nullptr)) {}
  cross_wake& operator=(cross_wake&& o) noexcept {
    std::swap(home_, o.home_);
    std::swap(token_, o.token_);
    return *this;
  }
  ~cross_wake() {
    if (token_ != nullptr) release(token_);
  }
  // Sends the wake-up to the waiter's loop. Any thread. Aborts if the
  // message cannot be queued (out of memory): a lost wake-up would hang the
  // waiter silently.
  void post() noexcept;

 private:
  loop_core* home_ = nullptr;
  cross_wake_token* token_ = nullptr;
};

// Parks the running task in `list` until a waker chooses it (woken) or it
// is cancelled (cancelled). `lock` holds the structure's mutex on entry and
// again on return or exception. invalid_state outside a task.
wake_reason cross_wait(std::unique_lock<std::mutex>& lock, cross_wait_list& list, cross_waiter& w,
                       const wait_info& what);

}  // namespace weft::detail
