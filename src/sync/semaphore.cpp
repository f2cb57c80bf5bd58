#include "weft/sync/semaphore.hpp"

#include <string>

#include "weft/error.hpp"

namespace weft {

bool semaphore::try_acquire() noexcept {
  // While tasks wait there is no free permit (release hands them over), so
  // a free one overtakes no one.
  if (value_ == 0) return false;
  --value_;
  return true;
}

bool semaphore::acquire_impl(detail::loop_time deadline) {
  if (try_acquire()) return true;
  detail::sync_waiter w;
  detail::wake_reason why;
  try {
    why = waiters_.wait(w, {detail::wait_kind::primitive, "semaphore", name_}, deadline);
  } catch (...) {
    if (w.chosen) give_back();  // handed a permit, then unwound: pass it on
    throw;
  }
  switch (why) {
    case detail::wake_reason::woken: return true;  // handed over by release()
    case detail::wake_reason::timed_out: return false;
    case detail::wake_reason::cancelled: break;
  }
  throw cancelled();
}

void semaphore::acquire() { acquire_impl(detail::no_deadline); }
bool semaphore::try_acquire_for(loop::duration d) { return acquire_impl(detail::loop_now() + d); }
bool semaphore::try_acquire_until(loop::time_point t) { return acquire_impl(t); }

void semaphore::give_back() noexcept {
  if (detail::sync_waiter* w = waiters_.pop()) detail::wait_list::wake(w);
  else ++value_;
}

void semaphore::release() {
  if (value_ >= bound_) throw value_error("weft: bounded_semaphore '" + name_ + "' released more times than acquired");
  give_back();
}

}  // namespace weft
