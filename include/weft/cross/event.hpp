// An event shared between loops (threads): the cross-thread counterpart of
// weft::event (weft/sync/event.hpp). set() on any thread wakes every task
// waiting in wait(), on whatever loop; later waits return at once until
// clear().
//
//   weft::cross_event ready("config loaded");
//   weft::spawn_on(rt.loop_at(1), [&] { load(); ready.set(); });
//   ready.wait();   // a task of loop 0
//
// A waiter woken by set() returns true even if the event is cleared before
// it runs. wait() is a cancellation point (weft::cancelled) and leaves
// nothing behind on cancellation or forced unwind.
//
// Threads: any thread may call any member; wait() must be called from a
// task (of any loop) when the event is not set. The loops of waiting tasks
// must outlive the event's use (weft::runtime keeps its loops until all
// have closed). Memory ordering: one std::mutex guards the flag and the
// waiters; set() happens before every wait() it ends, and before every
// later wait() that finds the event set. The wake-up is described in
// weft/detail/runtime/cross_wait.hpp.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

#include "weft/detail/runtime/cross_wait.hpp"

namespace weft {

class cross_event {
 public:
  explicit cross_event(std::string name = {}) : name_(std::move(name)) {}
  cross_event(const cross_event&) = delete;
  cross_event& operator=(const cross_event&) = delete;

  bool is_set() const;
  // Sets the event and wakes every waiter, in FIFO order.
  void set();
  void clear();
  // Suspends the running task until the event is set (at once if it is).
  // Returns true, as weft::event::wait() does.
  bool wait();

  std::string_view name() const noexcept { return name_; }
  // Tasks waiting now (diagnostics and tests).
  std::size_t waiting() const;

 private:
  mutable std::mutex mutex_;  // guards set_ and waiters_
  detail::cross_wait_list waiters_;
  bool set_ = false;
  const std::string name_;
};

}  // namespace weft
