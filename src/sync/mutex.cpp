#include "weft/sync/mutex.hpp"

#include <string>

#include "weft/error.hpp"

namespace weft {

bool mutex::try_lock() noexcept {
  // While tasks wait, the lock is held (unlock hands it over), so a free
  // lock means nobody is queued: taking it overtakes no one.
  if (locked_) return false;
  locked_ = true;
  return true;
}

bool mutex::lock_impl(detail::loop_time deadline) {
  if (try_lock()) return true;
  detail::sync_waiter w;
  detail::wake_reason why;
  try {
    why = waiters_.wait(w, {detail::wait_kind::primitive, "mutex", name_}, deadline);
  } catch (...) {
    if (w.chosen) unlock();  // handed the lock, then unwound: pass it on
    throw;
  }
  switch (why) {
    case detail::wake_reason::woken: return true;  // handed over by unlock()
    case detail::wake_reason::timed_out: return false;
    case detail::wake_reason::cancelled: break;
  }
  throw cancelled();
}

void mutex::lock() { lock_impl(detail::no_deadline); }
bool mutex::try_lock_for(loop::duration d) { return lock_impl(detail::loop_now() + d); }
bool mutex::try_lock_until(loop::time_point t) { return lock_impl(t); }

void mutex::unlock() {
  if (!locked_) throw invalid_state("weft: unlock of mutex '" + name_ + "', which is not locked");
  if (detail::sync_waiter* w = waiters_.pop()) detail::wait_list::wake(w);  // stays locked: now w's
  else locked_ = false;
}

}  // namespace weft
