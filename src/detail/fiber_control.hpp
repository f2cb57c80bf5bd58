// The fiber layer's private state. One fiber_control sits at the top of each
// fiber's stack, followed (downwards) by the fiber's callable; the running
// stack starts below them. Touched only by the thread that owns the fiber.
#pragma once

#include <cstdint>
#include <exception>
#include <string>

#include "detail/context.hpp"
#include "detail/eh_state.hpp"
#include "detail/fp_env.hpp"
#include "detail/sanitizer.hpp"
#include "detail/stack_pool.hpp"
#include "weft/fiber.hpp"

namespace weft::detail {

struct fiber_control;

// What the running thread knows about fibers. Constant-initialised so that
// access compiles to a plain TLS load with no init guard.
struct thread_state {
  fiber_control* current = nullptr;  // innermost running fiber, or null
  eh_globals* eh = nullptr;          // this thread's __cxa_eh_globals, cached
};
extern constinit thread_local thread_state this_thread;

struct fiber_control {
  weft_context context = nullptr;  // the fiber's own, while it is not running
  weft_context resumer = nullptr;  // where suspend() goes, while it runs
  fiber_control* parent = nullptr;  // this_thread.current before resume()
  fiber_state state = fiber_state::created;
  bool unwinding = false;      // being destroyed: suspend() throws forced_unwind
  bool preserve_fp = false;
  eh_globals eh{};             // the fiber's exception state while not running
  std::exception_ptr error;    // escaped the body; rethrown by resume()
  stack_allocation stack;
  const body_ops* ops = nullptr;
  void* body = nullptr;        // the callable, on this fiber's stack
  thread_state* owner = nullptr;
  std::uint64_t id = 0;
  std::string name;
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

// Prints one line naming the fiber whose stack overflowed, then aborts.
// Kept out of line and plainly named so it shows in backtraces.
[[noreturn]] void report_stack_overflow(const fiber_control& fiber, const void* fault_address) noexcept;

// Installs the SIGSEGV handler (once per process) and an alternate signal
// stack (once per thread) that turn a guard-page fault into that report.
void install_overflow_handler();

}  // namespace weft::detail
