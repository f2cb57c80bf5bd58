// The fiber layer's private state and its switch paths.
//
// One fiber_control sits at the top of each fiber's stack, followed
// (downwards) by the fiber's callable; the running stack starts below them.
// Touched only by the thread that owns the fiber.
//
// The switch paths are inline on purpose: after a switch, every `ret` the
// resumed side executes is predicted from the *other* stack's return
// addresses and mispredicts. With resume/suspend inlined into the caller,
// weft_context_jump is called straight from user code (a generator's next(),
// a scheduler loop) and no extra frames return after each switch. Measured:
// out of line, a fiber round trip cost 6x a raw switch; inline, ~1.x.
#pragma once

#include <cstdint>
#include <exception>
#include <string>

#include "weft/detail/context.hpp"
#include "weft/detail/build_abi.hpp"
#include "weft/detail/context_inline.hpp"
#include "weft/detail/eh_state.hpp"
#include "weft/detail/fp_env.hpp"
#include "weft/detail/sanitizer.hpp"
#include "weft/detail/stack_allocation.hpp"
#include "weft/fiber.hpp"

namespace weft::detail {

struct fiber_control;

// What the running thread knows about fibers. Constant-initialised so that
// access compiles to a plain TLS load with no init guard.
struct thread_state {
  fiber_control* current = nullptr;  // innermost running fiber, or null
  // This thread's __cxa_eh_globals, cached; set by the first fiber made on
  // the thread, so never null where one of its fibers is resumed.
  eh_globals* eh = nullptr;
};
extern constinit thread_local thread_state this_thread;

// The running thread's identity in one load: its thread pointer (the base
// of its TLS block: %fs:0 on x86-64, tpidr_el0 on AArch64), distinct for
// every live thread. Cheaper to test than &this_thread (no offset to add).
inline const void* running_thread() noexcept { return __builtin_thread_pointer(); }

struct fiber_control {
  weft_context context = nullptr;  // the fiber's own, while it is not running
  weft_context resumer = nullptr;  // where suspend() goes, while it runs
  fiber_state state = fiber_state::created;
  bool unwinding = false;      // being destroyed: suspend() throws forced_unwind
  bool preserve_fp = false;
  // preserve_fp, or `eh` holds exception state: a resume takes
  // switch_into_slow. One flag, so the fast path tests one byte.
  bool slow_switch = false;
  // A generator's fiber: this_fiber::suspend() is refused in it, and where
  // the build has the inline switch (weft/detail/context_inline.hpp) it is
  // switched by that rather than weft_context_jump. Fixed at creation; the
  // two kinds of saved context do not mix.
  bool of_generator = false;
  eh_globals eh{};             // the fiber's exception state while not running
  std::exception_ptr error;    // escaped the body; rethrown by resume()
  stack_allocation stack;
  const body_ops* ops = nullptr;
  void* body = nullptr;        // the callable, on this fiber's stack
  const void* owner = nullptr;  // running_thread() of the thread that made it
  std::uint64_t id = 0;
  std::string name;
  std::source_location created_at;  // shown in reports about the fiber
  fp_env fp{};                 // with preserve_fp: the fiber's, while suspended
  fp_env resumer_fp{};         // with preserve_fp: the resumer's, while running
#if defined(WEFT_ASAN)
  void* fake_stack = nullptr;  // ASan's fake frames of the fiber, while away
  const void* resumer_stack_bottom = nullptr;
  std::size_t resumer_stack_size = 0;
#endif
#if defined(WEFT_TSAN)
  void* tsan_fiber = nullptr;
  void* resumer_tsan_fiber = nullptr;
#endif
};

// Cold paths, out of line (src/fiber/fiber.cpp).
[[noreturn]] void refuse_resume(fiber_control* f);  // throws logic_error or aborts
[[noreturn]] void rethrow_fiber_error(fiber_control* f);
// suspend() outside any fiber (throws logic_error) or in a generator's body
// (aborts: a generator leaves its fiber only through its yielder).
[[noreturn]] void suspend_refused(const fiber_control* f);
[[noreturn]] void report_dense_overflow(const fiber_control& f) noexcept;
void throw_if_destroying();  // throws forced_unwind unless already unwinding

// Prints one line naming the fiber whose guard page was hit, then aborts.
// Out of line and plainly named so it shows in backtraces.
[[noreturn]] void report_stack_overflow(const fiber_control& fiber, const void* fault_address) noexcept;

// Installs the SIGSEGV handler (once per process) and an alternate signal
// stack (once per thread) that turn a guard-page fault into that report.
void install_overflow_handler();

inline void check_canary(const fiber_control& f) noexcept {
  if (!f.stack.canary_intact()) [[unlikely]]
    report_dense_overflow(f);
}

// Whether this build has the inline switch, which generators then use.
inline constexpr bool have_inline_switch = WEFT_INLINE_SWITCH;
inline bool uses_inline_switch(const fiber_control* f) noexcept { return have_inline_switch && f->of_generator; }
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
// never returns: enter(), switch_out() and hand_off() keep their own
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
// that fiber's `context`: after hand_off() (below) it may be a later
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

// Whether the running fiber `from` may hand over to `to` (hand_off()).
// Neither may be a generator's (those may use the inline switch), `to`
// must be suspended, and neither side may have exception state or a
// preserved FP environment to swap (those take switch_into_slow).
inline bool can_hand_off(const fiber_control* from, const fiber_control* to) noexcept {
  return to->state == fiber_state::suspended && !to->slow_switch && !to->of_generator && !from->slow_switch &&
         !from->unwinding && to->owner == from->owner && eh_empty(*this_thread.eh);
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

inline bool resumable_here(const fiber_control* f) noexcept {
  return f != nullptr && f->owner == running_thread() &&
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

inline fiber_state fiber::state() const noexcept {
  return control_ ? control_->state : fiber_state::finished;
}

inline void this_fiber::suspend() {
  detail::fiber_control* f = detail::this_thread.current;
  if (f == nullptr || f->of_generator) [[unlikely]]
    detail::suspend_refused(f);
  detail::check_canary(*f);
  f->state = fiber_state::suspended;
  detail::switch_out(f);
  // resume_control() has made this fiber current and running again.
  if (f->unwinding) [[unlikely]]
    detail::throw_if_destroying();
}

}  // namespace weft
