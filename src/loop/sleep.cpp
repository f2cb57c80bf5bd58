// The running task's own time operations: sleep and yield.
#include "loop/loop_core.hpp"
#include "weft/loop.hpp"

namespace weft {

void sleep_until(loop::time_point t) {
  if (detail::park({detail::wait_kind::sleep, "", ""}, t) == detail::wake_reason::cancelled) throw cancelled();
}

void sleep_for(loop::duration d) { sleep_until(detail::loop_now() + d); }

void yield_now() {
  detail::task_base& t = detail::running_task();
  if (t.cancel_requested && t.shield_depth == 0) {
    t.cancel_requested = false;
    throw cancelled();
  }
  // Parked and unparked at once: at the back of the run queue, and
  // cancel() sees a parked task it may wake with `cancelled`.
  t.parked = true;
  t.waiting = {};
  t.loop->unpark(&t, detail::wake_reason::woken);
  this_fiber::suspend();
  if (t.reason == detail::wake_reason::cancelled) {
    t.cancel_requested = false;
    throw cancelled();
  }
}

}  // namespace weft
