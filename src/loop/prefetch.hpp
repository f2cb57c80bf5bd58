// What the loop fetches ahead of resuming a task, so that the cache and TLB
// misses of a wake-up overlap instead of coming in series (the turn's run
// queue, park()'s timers). Private to src/loop; loop thread only.
//
// Forced inline, every helper here: GCC counts a function that only
// prefetches as free of side effects, and deletes the calls it has not
// inlined.
#pragma once

#include "weft/detail/access.hpp"
#include "weft/detail/fiber/fiber_control.hpp"
#include "weft/detail/loop/task_state.hpp"

namespace weft::detail {

// Five lines of stack from `low` up: a resumed fiber pops its registers,
// returns, and runs in the frames above.
[[gnu::always_inline]] inline void prefetch_stack(const void* low) noexcept {
  const auto* line = static_cast<const char*>(low);
  for (int offset = 0; offset <= 4 * 64; offset += 64) __builtin_prefetch(line + offset);
}

// The lines of a fiber's control block that resuming it reads.
[[gnu::always_inline]] inline void prefetch_control(const fiber_control* control) noexcept {
  __builtin_prefetch(control);
  __builtin_prefetch(&control->home_thread);
}

// The lines right after a task's bookkeeping: the start of its result
// slot and of its callable, whose captures the task reads when it runs
// (task_impl puts both right after task_base).
[[gnu::always_inline]] inline void prefetch_body(const task_base* t) noexcept {
  const auto* end = reinterpret_cast<const char*>(t) + sizeof(task_base);
  __builtin_prefetch(end);
  __builtin_prefetch(end + 64);
}

// Starts loading what resuming `t` will touch first: its fiber's control
// block and the stack lines around `frame`, an address in park()'s frame
// (the registers saved by the switch lie just below it, the callers'
// frames just above). With thousands of tasks asleep these are cache and
// TLB misses; taken one after another on resume they were most of a
// wake-up's cost. Loaded while the loop fires the other due timers, they
// overlap instead.
[[gnu::always_inline]] inline void prefetch_for_resume(const task_base* t, const void* frame) noexcept {
  prefetch_control(access::control(t->fib));
  prefetch_body(t);
  prefetch_stack(static_cast<const char*>(frame) - 2 * 64);
}

// A queued item's fiber control block; null for a callback.
[[gnu::always_inline]] inline const fiber_control* control_of(const runnable* r) noexcept {
  return r->run == nullptr ? access::control(static_cast<const task_base*>(r)->fib) : nullptr;
}

// A long run queue outruns the prefetches made when its tasks were woken:
// by the time the loop reaches a task, what was fetched for it has been
// evicted by the thousand resumes before. So from this many items on,
// run_ready() fetches as it goes, three items ahead of the one it resumes.
constexpr std::size_t long_batch = 16;

// Called as `r` leaves the run queue. Each later item moves one stage on
// per call, and each stage reads only what the one before fetched: the
// third item's state, the second's control block (found in its state), the
// next one's stack around its saved stack pointer (found in its control
// block). Every miss then overlaps with running the item before.
[[gnu::always_inline]] inline void prefetch_ahead(const runnable* r) noexcept {
  const runnable* next = r->next_in_fifo;
  if (next == nullptr) return;
  if (const fiber_control* control = control_of(next)) prefetch_stack(control->context);
  const runnable* second = next->next_in_fifo;
  if (second == nullptr) return;
  if (const fiber_control* control = control_of(second)) {
    prefetch_control(control);
    prefetch_body(static_cast<const task_base*>(second));
  }
  // Not a prefetch of null: an invalid address costs a page walk each time.
  if (const runnable* third = second->next_in_fifo) __builtin_prefetch(third);
}

}  // namespace weft::detail
