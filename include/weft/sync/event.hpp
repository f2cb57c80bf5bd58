// An event between the tasks of one loop (asyncio.Event): set() wakes every
// task waiting in wait(), and later waits return at once until clear().
//
//   weft::event ready("config loaded");
//   weft::spawn([&] { load(); ready.set(); });
//   ready.wait();
//
// Waiters wake in the order they began to wait (FIFO). A waiter woken by
// set() returns true even if the event is cleared before it runs. Every wait
// is a cancellation point (weft::cancelled) and leaves nothing behind on
// cancellation, timeout or forced unwind.
//
// Loop thread only: every member must be called on the thread of the loop
// whose tasks use it, and those must all belong to one loop. The name shows
// in loop::dump() and deadlock reports ("waiting on sync event 'name'").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "weft/loop.hpp"
#include "weft/sync/detail/wait_list.hpp"

namespace weft {

class event {
 public:
  explicit event(std::string name = {}) : name_(std::move(name)) {}
  event(const event&) = delete;
  event& operator=(const event&) = delete;

  bool is_set() const noexcept { return set_; }
  // Sets the event and wakes every waiter, in FIFO order. Any context.
  void set() noexcept;
  void clear() noexcept { set_ = false; }

  // Suspends the running task until the event is set (at once if it is).
  // Returns true, as asyncio's Event.wait() does.
  bool wait();
  // The same, for at most d / until t: false if the time passed first.
  bool wait_for(loop::duration d);
  bool wait_until(loop::time_point t);

  std::string_view name() const noexcept { return name_; }
  // Tasks waiting now (diagnostics and tests).
  std::size_t waiting() const noexcept { return waiters_.size(); }

 private:
  bool wait_impl(detail::loop_time deadline);

  detail::wait_list waiters_{"event"};
  std::string name_;
  bool set_ = false;
};

}  // namespace weft
