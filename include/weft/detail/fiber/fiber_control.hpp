// The fiber layer's private state: the control block of each fiber and
// what the running thread knows about fibers. The switch paths that use it
// are in weft/detail/fiber/fiber_switch.hpp.
//
// One fiber_control sits at the top of each fiber's stack, followed
// (downwards) by the fiber's callable; the running stack starts below them.
// Touched only by the thread that owns the fiber.
//
// Include weft/fiber.hpp or weft/detail/fiber/fiber_switch.hpp, not this file
// first: fiber.hpp ends by including the switch paths, which need the
// control block complete.
#pragma once

#include <cstdint>
#include <exception>
#include <string>

#include "weft/detail/build_abi.hpp"
#include "weft/detail/context/context.hpp"
#include "weft/detail/fiber/eh_state.hpp"
#include "weft/detail/fiber/fp_env.hpp"
#include "weft/detail/sanitizer.hpp"
#include "weft/detail/stack/stack_allocation.hpp"
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
  bool unwinding = false;  // being destroyed: suspend() throws forced_unwind
  bool preserve_fp = false;
  // preserve_fp, or `eh` holds exception state: a resume takes
  // switch_into_slow. One flag, so the fast path tests one byte.
  bool slow_switch = false;
  // Of exclusive use (exclusive_use in weft/fiber.hpp): this_fiber::suspend()
  // is refused in it and no hand-over switches it. Fixed at creation.
  bool exclusive = false;
  // Switched by the inline switch (weft/detail/context/context_inline.hpp) rather
  // than weft_context_jump; only ever set for an exclusive fiber in a build
  // that has it. Fixed at creation: the two kinds of saved context do not mix.
  bool inline_switch = false;
  eh_globals eh{};           // the fiber's exception state while not running
  std::exception_ptr error;  // escaped the body; rethrown by resume()
  stack_allocation stack;
  const body_ops* ops = nullptr;
  void* body = nullptr;               // the callable, on this fiber's stack
  const void* home_thread = nullptr;  // running_thread() of the thread that made it
  std::uint64_t id = 0;
  std::string name;
  std::source_location created_at;      // shown in reports about the fiber
  const char* exclusive_why = nullptr;  // exclusive_use::why, for the abort message
  fp_env fp{};                          // with preserve_fp: the fiber's, while suspended
  fp_env resumer_fp{};                  // with preserve_fp: the resumer's, while running
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
[[noreturn]] void refuse_resume(fiber_control* f);  // throws invalid_state or aborts
[[noreturn]] void rethrow_fiber_error(fiber_control* f);
// suspend() outside any fiber (throws invalid_state) or in a fiber of
// exclusive use (aborts with its exclusive_why).
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

}  // namespace weft::detail
