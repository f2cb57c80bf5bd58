// A condition variable between the tasks of one loop (asyncio.Condition):
// tasks wait, with its mutex held, until another notifies them.
//
//   weft::condition cv("jobs");
//   // consumer                         // producer
//   std::lock_guard g(cv);              std::lock_guard g(cv);
//   cv.wait([&] { return !jobs.empty(); });   jobs.push_back(j); cv.notify();
//
// wait() releases the mutex, suspends the running task until notified, then
// takes the mutex back before returning — also when it was cancelled or
// timed out, as asyncio does: the caller's lock_guard stays balanced. The
// re-acquisition is shielded from cancellation; a cancel() arriving during
// it is delivered at the next suspension point.
//
// Fairness: notify(n) wakes the n tasks that have waited longest (FIFO); they
// then queue for the mutex in that order. A task that was notified, or that
// holds the mutex, owns that: a cancel() arriving afterwards does not take it
// away (wait() returns normally; cancellation comes at the next suspension
// point).
//
// A condition owns its mutex or shares one given to it (asyncio's
// Condition(lock)). notify() and wait() require the mutex to be locked
// (invalid_state otherwise; like asyncio, the mutex has no owner, so "held by
// the caller" cannot be checked more closely).
//
// Forced unwind (a loop destroying a task that waits here): the task leaves
// without the mutex if another task holds it; its lock_guard then releases a
// lock that is not its own. Only close() does this, after its grace period.
//
// Loop thread only; see weft/sync/event.hpp.
#pragma once

#include <concepts>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "weft/loop.hpp"
#include "weft/sync/detail/wait_list.hpp"
#include "weft/sync/mutex.hpp"

namespace weft {

class condition {
 public:
  // With a mutex of its own (named like the condition).
  explicit condition(std::string name = {});
  // Sharing `m`, which must outlive it.
  explicit condition(mutex& m, std::string name = {});
  condition(const condition&) = delete;
  condition& operator=(const condition&) = delete;

  // BasicLockable, on the mutex.
  void lock() { mutex_->lock(); }
  bool try_lock() noexcept { return mutex_->try_lock(); }
  void unlock() { mutex_->unlock(); }
  bool locked() const noexcept { return mutex_->locked(); }
  mutex& get_mutex() noexcept { return *mutex_; }

  // Releases the mutex, waits to be notified, re-acquires the mutex.
  void wait();
  // Waits until pred() is true (checked first, and after each wake-up, with
  // the mutex held), and returns that true value of pred(): asyncio's
  // cond.wait_for(pred). In weft, wait_for always means "with a timeout", as
  // in std::condition_variable and weft::wait_for(task, d).
  template <std::predicate P>
  auto wait(P pred) -> std::decay_t<std::invoke_result_t<P&>> {
    for (;;) {
      auto value = pred();
      if (value) return value;
      wait();
    }
  }
  // Waits to be notified for at most d / until t: false if the time passed
  // first. The mutex is held again on return either way.
  bool wait_for(loop::duration d) { return wait_impl(detail::loop_now() + d); }
  bool wait_until(loop::time_point t) { return wait_impl(t); }
  // Waits until pred() for at most d / until t; returns pred().
  template <std::predicate P>
  bool wait_for(loop::duration d, P pred) {
    return wait_until(detail::loop_now() + d, std::move(pred));
  }
  template <std::predicate P>
  bool wait_until(loop::time_point t, P pred) {
    while (!pred())
      if (!wait_impl(t)) return pred();
    return true;
  }

  // Wakes up to n / every waiting task, longest waiting first. Requires the
  // mutex locked.
  void notify(std::size_t n = 1);
  void notify_all();

  std::string_view name() const noexcept { return name_; }
  std::size_t waiting() const noexcept { return waiters_.size(); }

 private:
  bool wait_impl(detail::loop_time deadline);
  std::size_t wake(std::size_t n) noexcept;

  std::unique_ptr<mutex> own_mutex_;
  mutex* mutex_;
  detail::wait_list waiters_{"condition"};
  std::string name_;
};

}  // namespace weft
