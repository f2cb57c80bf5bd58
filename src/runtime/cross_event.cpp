#include "weft/cross/event.hpp"

#include <vector>

#include "weft/error.hpp"

namespace weft {

bool cross_event::is_set() const {
  std::lock_guard<std::mutex> g(mutex_);
  return set_;
}

void cross_event::set() {
  std::vector<detail::cross_wake> wakes;
  {
    std::lock_guard<std::mutex> g(mutex_);
    set_ = true;
    while (detail::cross_waiter* w = waiters_.pop()) wakes.emplace_back(*w);
  }
  for (detail::cross_wake& w : wakes) w.post();
}

void cross_event::clear() {
  std::lock_guard<std::mutex> g(mutex_);
  set_ = false;
}

bool cross_event::wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (set_) return true;
  detail::cross_waiter w;
  if (detail::cross_wait(lock, waiters_, w, {detail::wait_kind::primitive, "cross_event", name_}) ==
      detail::wake_reason::cancelled)
    throw cancelled();
  return true;
}

std::size_t cross_event::waiting() const {
  std::lock_guard<std::mutex> g(mutex_);
  return waiters_.size();
}

}  // namespace weft
