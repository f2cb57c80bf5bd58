// The running task's own time operations: sleep and yield.
#include "loop/loop_core.hpp"
#include "weft/loop.hpp"

namespace weft {
namespace detail {

void deliver_cancel(task_base* t) {
  t->cancel_requested = false;
  throw cancelled();
}

void yield_slow() {
  task_base& t = running_task();
  if (this_thread.current != access::control(t.fib))
    throw std::logic_error("weft: yield_now inside a generator or nested fiber of a task");
  if (t.cancel_requested && t.shield_depth == 0) deliver_cancel(&t);
  t.loop->push_ready(&t);  // shielded: an ordinary yield
  this_fiber::suspend();
}

}  // namespace detail

void sleep_until(loop::time_point t) {
  if (detail::park({detail::wait_kind::sleep, "", ""}, t) == detail::wake_reason::cancelled) throw cancelled();
}

void sleep_for(loop::duration d) { sleep_until(detail::loop_now() + d); }

}  // namespace weft
