// A counting semaphore shared between loops (threads): the cross-thread
// counterpart of weft::semaphore (weft/sync/semaphore.hpp). acquire() takes
// a permit, suspending the running task (not its thread) while there is
// none; release() on any thread gives one back.
//
//   weft::cross_semaphore slots(4, "db connections");   // across every loop
//   std::lock_guard permit(slots);                       // BasicLockable
//
// Fairness: release() hands its permit straight to the task that has waited
// longest (FIFO), on whatever loop; try_acquire() in between finds none.
// acquire() is a cancellation point (weft::cancelled); a cancelled waiter
// leaves the queue and takes no permit, unless it had been handed one
// before the cancellation reached it: then it keeps it, and the
// cancellation is raised at its next suspension point.
//
// Threads: any thread may call any member; acquire() must be called from a
// task (of any loop) when no permit is free. The loops of waiting tasks
// must outlive the semaphore's use. Memory ordering: one std::mutex guards
// the count and the waiters, so a release() happens before the acquire()
// that gets its permit. The wake-up is described in
// weft/detail/runtime/cross_wait.hpp.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

#include "weft/detail/runtime/cross_wait.hpp"

namespace weft {

class cross_semaphore {
 public:
  explicit cross_semaphore(std::size_t initial = 1, std::string name = {}) : value_(initial), name_(std::move(name)) {}
  cross_semaphore(const cross_semaphore&) = delete;
  cross_semaphore& operator=(const cross_semaphore&) = delete;

  // Takes a permit, suspending the running task while there is none.
  void acquire();
  // Takes a permit if one is free now; never suspends.
  bool try_acquire();
  // Gives a permit back, to the first waiter if any.
  void release();

  // BasicLockable, for std::lock_guard / std::unique_lock.
  void lock() { acquire(); }
  bool try_lock() { return try_acquire(); }
  void unlock() { release(); }

  // Free permits now.
  std::size_t value() const;
  std::string_view name() const noexcept { return name_; }
  std::size_t waiting() const;

 private:
  // With the mutex held: a permit to the first waiter (its wake-up, to
  // post after unlocking), or back to the count.
  detail::cross_wake hand_on() noexcept;

  mutable std::mutex mutex_;  // guards value_ and waiters_
  detail::cross_wait_list waiters_;
  std::size_t value_;
  const std::string name_;
};

}  // namespace weft
