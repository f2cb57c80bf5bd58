#include "weft/sync/event.hpp"

#include "weft/error.hpp"

namespace weft {

void event::set() noexcept {
  set_ = true;
  waiters_.wake_all();
}

bool event::wait_impl(detail::loop_time deadline) {
  if (set_) return true;
  detail::sync_waiter w;
  switch (waiters_.wait(w, {detail::wait_kind::primitive, "event", name_}, deadline)) {
    case detail::wake_reason::woken: return true;
    case detail::wake_reason::timed_out: return false;
    case detail::wake_reason::cancelled: break;
  }
  throw cancelled();
}

bool event::wait() { return wait_impl(detail::no_deadline); }
bool event::wait_for(loop::duration d) { return wait_impl(detail::loop_now() + d); }
bool event::wait_until(loop::time_point t) { return wait_impl(t); }

}  // namespace weft
