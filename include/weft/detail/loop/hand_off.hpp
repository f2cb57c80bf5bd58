// Hand-overs: a task that waits, yields or finishes switches straight to
// the next ready task's fiber, when the loop would do nothing in between,
// instead of going back to the loop and out again (docs/architecture.md,
// "Loop: hand-overs"). Built on the fiber layer's switch protocol: the
// receiving fiber takes over the sender's resumer (arrive()).
//
// Loop thread only; both fibers belong to it.
#pragma once

#include "weft/detail/fiber/fiber_switch.hpp"

namespace weft::detail {

// Whether the running fiber `from` may hand over to `to` (hand_off()).
// `to` must be suspended and not of exclusive use (its owner alone
// switches it, perhaps by the inline switch), and neither side may have exception state or a
// preserved FP environment to swap (those take switch_into_slow).
inline bool can_hand_off(const fiber_control* from, const fiber_control* to) noexcept {
  return to->state == fiber_state::suspended && !to->slow_switch && !to->exclusive && !from->slow_switch &&
         !from->unwinding && to->home_thread == from->home_thread && eh_empty(*this_thread.eh);
}

// Suspends the running fiber `from` and resumes `to` in its place, without
// passing through their resumer: `to` takes over `from`'s resumer, so its
// next suspend goes where `from`'s would have. Returns when `from` is
// resumed again, by its resumer or by a later hand-over. Precondition:
// can_hand_off(from, to), and `from` is this_thread.current. The caller
// checks `from->unwinding` afterwards, as this_fiber::suspend() does.
inline void hand_off(fiber_control* from, fiber_control* to) noexcept {
  check_canary(*from);
  from->state = fiber_state::suspended;
  to->state = fiber_state::running;
  this_thread.current = to;
#if defined(WEFT_ASAN)
  __sanitizer_start_switch_fiber(&from->fake_stack, to->stack.low, to->stack.size);
#endif
#if defined(WEFT_TSAN)
  __tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
  weft_transfer tr = weft_context_jump(to->context, from);
#if defined(WEFT_ASAN)
  __sanitizer_finish_switch_fiber(from->fake_stack, &from->resumer_stack_bottom, &from->resumer_stack_size);
#endif
  arrive(from, tr);
}

}  // namespace weft::detail
