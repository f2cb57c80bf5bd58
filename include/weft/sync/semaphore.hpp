// Counting semaphores between the tasks of one loop (asyncio.Semaphore and
// asyncio.BoundedSemaphore): acquire() takes a permit, suspending the
// running task while there is none; release() gives one back.
//
//   weft::semaphore slots(3, "downloads");   // at most 3 at once
//   std::lock_guard permit(slots);           // BasicLockable: acquire/release
//
// Fairness: release() hands its permit straight to the task that has waited
// longest (FIFO); try_acquire() in between finds none. acquire() is a
// cancellation point (weft::cancelled); a cancelled or timed-out waiter
// leaves the queue and takes no permit.
//
// bounded_semaphore also counts the permits it was built with, and raises
// value_error when a release() would take it above that number (a release
// without an acquire, asyncio's ValueError).
//
// Loop thread only; see weft/sync/event.hpp.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

#include "weft/loop.hpp"
#include "weft/sync/detail/wait_list.hpp"

namespace weft {

class semaphore {
 public:
  explicit semaphore(std::size_t initial = 1, std::string name = {}) : name_(std::move(name)), value_(initial) {}
  semaphore(const semaphore&) = delete;
  semaphore& operator=(const semaphore&) = delete;

  // Takes a permit, suspending the running task while there is none.
  void acquire();
  // Takes a permit if one is free now; never suspends.
  bool try_acquire() noexcept;
  // Waits at most d / until t: false if the time passed first.
  bool try_acquire_for(loop::duration d);
  bool try_acquire_until(loop::time_point t);
  // Gives a permit back, to the first waiter if any. Any context.
  // bounded_semaphore: value_error above the initial count.
  void release();

  // BasicLockable, for std::lock_guard / std::unique_lock.
  void lock() { acquire(); }
  bool try_lock() noexcept { return try_acquire(); }
  void unlock() { release(); }

  // Free permits.
  std::size_t value() const noexcept { return value_; }
  // No permit free: acquire() would wait (asyncio's locked()).
  bool locked() const noexcept { return value_ == 0; }
  std::string_view name() const noexcept { return name_; }
  std::size_t waiting() const noexcept { return waiters_.size(); }

 protected:
  semaphore(std::size_t initial, std::size_t bound, std::string name)
      : name_(std::move(name)), value_(initial), bound_(bound) {}

 private:
  bool acquire_impl(detail::loop_time deadline);
  void give_back() noexcept;

  detail::wait_list waiters_{"semaphore"};
  std::string name_;
  std::size_t value_;
  std::size_t bound_ = std::numeric_limits<std::size_t>::max();  // most free permits
};

class bounded_semaphore : public semaphore {
 public:
  explicit bounded_semaphore(std::size_t initial = 1, std::string name = {})
      : semaphore(initial, initial, std::move(name)) {}
};

}  // namespace weft
