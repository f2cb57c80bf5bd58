#include "weft/cross/semaphore.hpp"

#include "weft/error.hpp"

namespace weft {

void cross_semaphore::acquire() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (value_ > 0) {
    --value_;
    return;
  }
  detail::cross_waiter w;
  detail::wake_reason why;
  try {
    why = detail::cross_wait(lock, waiters_, w, {detail::wait_kind::primitive, "cross_semaphore", name_});
  } catch (...) {
    // Handed a permit, then unwound by force: it goes to the next waiter.
    if (w.chosen) {
      detail::cross_wake wake = hand_on();
      lock.unlock();
      wake.post();
    }
    throw;
  }
  // Woken means handed a permit by release().
  if (why == detail::wake_reason::cancelled) throw cancelled();
}

detail::cross_wake cross_semaphore::hand_on() noexcept {
  if (detail::cross_waiter* w = waiters_.pop()) return detail::cross_wake(*w);
  ++value_;
  return {};
}

bool cross_semaphore::try_acquire() {
  std::lock_guard<std::mutex> g(mutex_);
  if (value_ == 0) return false;
  --value_;
  return true;
}

void cross_semaphore::release() {
  detail::cross_wake wake;
  {
    std::lock_guard<std::mutex> g(mutex_);
    wake = hand_on();
  }
  wake.post();
}

std::size_t cross_semaphore::value() const {
  std::lock_guard<std::mutex> g(mutex_);
  return value_;
}

std::size_t cross_semaphore::waiting() const {
  std::lock_guard<std::mutex> g(mutex_);
  return waiters_.size();
}

}  // namespace weft
