// A lock between the tasks of one loop (asyncio.Lock). lock() suspends only
// the calling task; the thread goes on running the others.
//
//   weft::mutex m("accounts");
//   {
//     std::lock_guard guard(m);  // BasicLockable: lock_guard, unique_lock
//     debit(a); weft::sleep_for(1ms); credit(b);
//   }
//
// Fairness: unlock() hands the lock straight to the task that has waited
// longest (FIFO), which then owns it even before it runs; a try_lock() in
// between fails. So no waiter can be overtaken, and none starves.
//
// Like asyncio.Lock it has no owner: any task may unlock it (and unlock() of
// a mutex that is not locked raises invalid_state). It is not recursive: a
// task locking it twice waits for itself (the loop reports the deadlock).
// lock() is a cancellation point (weft::cancelled); a cancelled or timed-out
// waiter leaves the queue and takes nothing.
//
// Loop thread only; see weft/sync/event.hpp.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "weft/loop.hpp"
#include "weft/sync/detail/wait_list.hpp"

namespace weft {

class mutex {
 public:
  explicit mutex(std::string name = {}) : name_(std::move(name)) {}
  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;

  // Takes the lock, suspending the running task while another holds it.
  void lock();
  // Takes the lock if it is free now; never suspends.
  bool try_lock() noexcept;
  // Waits at most d / until t: false if the time passed first.
  bool try_lock_for(loop::duration d);
  bool try_lock_until(loop::time_point t);
  // Releases the lock, handing it to the first waiter if any. Any context.
  void unlock();

  bool locked() const noexcept { return locked_; }
  std::string_view name() const noexcept { return name_; }
  std::size_t waiting() const noexcept { return waiters_.size(); }

 private:
  bool lock_impl(detail::loop_time deadline);

  detail::wait_list waiters_{"mutex"};
  std::string name_;
  bool locked_ = false;
};

}  // namespace weft
