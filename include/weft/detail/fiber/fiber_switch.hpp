// The fiber layer's switch paths: resume and suspend, with the sanitizer
// announcements and the exception-state swap around the jump.
//
// Inline on purpose: after a switch, every `ret` the resumed side executes
// is predicted from the *other* stack's return addresses and mispredicts.
// With resume/suspend inlined into the caller, weft_context_jump is called
// straight from user code (a scheduler loop, the owner of an exclusive
// fiber) and no extra frames return after each switch. Out of line, a fiber
// round trip cost several times a raw switch (docs/architecture.md, Fiber).
//
// Protocol by weft_context_jump: the data a fiber sends to its resumer is
// always the fiber itself; the resumer stores the context that comes back
// into that fiber's `context`. A fiber that arrives with another fiber as
// the data was handed over by that sibling and takes over its resumer
// (arrive()); hand-overs themselves belong to the loop layer.
#pragma once

#include "weft/detail/context/context_inline.hpp"
#include "weft/detail/fiber/fiber_control.hpp"
#include "weft/fiber.hpp"

namespace weft::detail {

// Whether this build has the inline switch (exclusive_use::inline_switch).
inline constexpr bool have_inline_switch = WEFT_INLINE_SWITCH;
inline bool uses_inline_switch(const fiber_control* f) noexcept { return have_inline_switch && f->inline_switch; }
// For the paths that serve both kinds of fiber: calls
// op.template operator()<inlined>() with the switch `f` uses.
template <class Op>
inline void with_switch_of(const fiber_control* f, Op op) {
  if (uses_inline_switch(f)) op.template operator()<have_inline_switch>();
  else op.template operator()<false>();
}

// The bare jump: leaves for `target`. The inline switch saves this side's
// context into `mine` itself and returns when switched back to. By
// weft_context_jump only a fiber's last jump comes here (run_fiber), which
// never returns: enter(), switch_out() and hand-overs keep their own
// books (see arrive()). `inlined` must match uses_inline_switch() of the
// fiber.
template <bool inlined>
inline void jump(weft_context& target, [[maybe_unused]] weft_context& mine, void* data) noexcept {
  static_assert(!inlined || have_inline_switch);
#if WEFT_INLINE_SWITCH
  if constexpr (inlined) {
    inline_switch(target, &mine);
    return;
  }
#endif
  weft_context_jump(target, data);
}

// By weft_context_jump, the data a fiber sends to its resumer is always
// the fiber itself, and a resumer stores the context that comes back into
// that fiber's `context`: after a hand-over (the loop layer's
// weft/detail/loop/hand_off.hpp) it may be a later
// fiber than the one it resumed. A fiber that arrives with data other than
// itself was handed over by that sibling, and takes over its resumer.

// `f`, arriving by weft_context_jump: records where it came from. Runs
// after the sanitizers' finish-switch calls (which set the resumer's stack
// fields to the sender's; a hand-over corrects them).
inline void arrive(fiber_control* f, weft_transfer tr) noexcept;

// The jump into `f` and back, with the sanitizer announcements around it.
// Only `f` is live across the jump: anything else would be spilled to the
// stack and reloaded on every resume.
template <bool inlined = false>
inline void enter(fiber_control* f) noexcept {
#if defined(WEFT_ASAN)
  void* fake_stack = nullptr;
  __sanitizer_start_switch_fiber(&fake_stack, f->stack.low, f->stack.size);
#endif
#if defined(WEFT_TSAN)
  f->resumer_tsan_fiber = __tsan_get_current_fiber();
  __tsan_switch_to_fiber(f->tsan_fiber, 0);
#endif
  if constexpr (inlined) {
    jump<inlined>(f->context, f->resumer, f);
  } else {
    weft_transfer tr = weft_context_jump(f->context, f);
    static_cast<fiber_control*>(tr.data)->context = tr.from;
  }
#if defined(WEFT_ASAN)
  __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
#endif
}

// The uncommon resumes, out of line (src/fiber/fiber.cpp): either side has
// C++ exception state to swap, or the fiber keeps its own FP environment.
// Either kind of switch.
void switch_into_slow(fiber_control* f) noexcept;
// The fiber suspended inside a catch block or during unwinding: its
// exception state moves from the thread into f->eh.
void keep_fiber_eh(fiber_control* f) noexcept;

// The resumer's side: enter `f`, come back when it suspends or finishes.
// Nearly always neither side has an exception caught or in flight, and the
// fast path then only checks that, before and after. Precondition: `f`
// belongs to this thread (so this_thread.eh is set).
template <bool inlined = false>
inline void switch_into(fiber_control* f) noexcept {
  if (f->slow_switch || !eh_empty(*this_thread.eh)) [[unlikely]] {
    switch_into_slow(f);
    return;
  }
  enter<inlined>(f);
  if (!eh_empty(*this_thread.eh)) [[unlikely]]
    keep_fiber_eh(f);
}

// The fiber's side: go back to the resumer, return when resumed again.
template <bool inlined = false>
inline void switch_out(fiber_control* f) noexcept {
#if defined(WEFT_ASAN)
  __sanitizer_start_switch_fiber(&f->fake_stack, f->resumer_stack_bottom, f->resumer_stack_size);
#endif
#if defined(WEFT_TSAN)
  __tsan_switch_to_fiber(f->resumer_tsan_fiber, 0);
#endif
  if constexpr (inlined) {
    jump<inlined>(f->resumer, f->context, nullptr);
#if defined(WEFT_ASAN)
    __sanitizer_finish_switch_fiber(f->fake_stack, &f->resumer_stack_bottom, &f->resumer_stack_size);
#endif
  } else {
    weft_transfer tr = weft_context_jump(f->resumer, f);
#if defined(WEFT_ASAN)
    __sanitizer_finish_switch_fiber(f->fake_stack, &f->resumer_stack_bottom, &f->resumer_stack_size);
#endif
    arrive(f, tr);
  }
}

inline void arrive(fiber_control* f, weft_transfer tr) noexcept {
  auto* sender = static_cast<fiber_control*>(tr.data);
  if (sender == f) [[likely]] {
    f->resumer = tr.from;
    return;
  }
  sender->context = tr.from;
  f->resumer = sender->resumer;
#if defined(WEFT_ASAN)
  f->resumer_stack_bottom = sender->resumer_stack_bottom;
  f->resumer_stack_size = sender->resumer_stack_size;
#endif
#if defined(WEFT_TSAN)
  f->resumer_tsan_fiber = sender->resumer_tsan_fiber;
#endif
}

inline bool resumable_here(const fiber_control* f) noexcept {
  return f != nullptr && f->home_thread == running_thread() &&
         (f->state == fiber_state::created || f->state == fiber_state::suspended);
}

template <bool inlined = false>
inline void resume_control(fiber_control* f) {
  if (!resumable_here(f)) [[unlikely]]
    refuse_resume(f);
  thread_state& ts = this_thread;
  // A local rather than a field of f: the compiler keeps it in a register
  // or its own frame, with no store into f (2 instructions a round trip).
  fiber_control* parent = ts.current;
  ts.current = f;
  f->state = fiber_state::running;
  switch_into<inlined>(f);
  ts.current = parent;
}

}  // namespace weft::detail

namespace weft {

inline void fiber::resume() {
  detail::resume_control(control_);
  if (control_->error) [[unlikely]]
    detail::rethrow_fiber_error(control_);
}

inline fiber_state fiber::state() const noexcept { return control_ ? control_->state : fiber_state::finished; }

inline void this_fiber::suspend() {
  detail::fiber_control* f = detail::this_thread.current;
  if (f == nullptr || f->exclusive) [[unlikely]]
    detail::suspend_refused(f);
  detail::check_canary(*f);
  f->state = fiber_state::suspended;
  detail::switch_out(f);
  // resume_control() has made this fiber current and running again.
  if (f->unwinding) [[unlikely]]
    detail::throw_if_destroying();
}

}  // namespace weft
