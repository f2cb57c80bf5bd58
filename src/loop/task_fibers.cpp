// The fibers tasks run on: workers, each running one task after another.
//
// Making a fiber for every task and freeing it after (a stack from the
// pool, the control block and entry frame laid out, the stack given back)
// was a quarter of a spawn+join. So a worker whose task finishes, if it has
// a default stack and the loop's idle pool has room, suspends in the pool
// instead of returning; the next task spawned with a default stack takes
// it over and is entered like any resumed task.
//
// Invariants (loop thread only):
//  - A worker belongs to at most one unfinished task at a time (its `fib`),
//    and is in the idle pool only between tasks, suspended in worker_main.
//  - A worker takes its task from loop_core::running: the task it was
//    resumed for.
//  - A worker idles only if it was made with a default stack, so every
//    pooled stack is one a default task could have been given. (Made
//    `automatic`, it may be guarded or dense, as a new one would be.)
//  - close() destroys the idle workers; each unwinds out of its suspend.
#include "loop/loop_core.hpp"

namespace weft::detail {

namespace {

// Enough for a burst of short tasks to reuse the same few fibers; beyond
// it, finished workers return and their stacks go back to the stack pool.
constexpr std::size_t max_idle_workers = 64;

bool wants_default_stack(const task_options& options) noexcept {
  return options.stack_size == 0 && options.stack == stack_mode::automatic;
}

}  // namespace

void loop_core::worker_main(bool poolable) {
  for (;;) {
    task_base* t = running;
    run_task_body(t);
    if (!poolable || idle_workers_.size() >= max_idle_workers) return;  // the loop finishes t
    // Finished here rather than by the loop, so that the worker may hand
    // over to the next task: t goes, this fiber joins the idle pool (it is
    // switched away from before anything can resume it).
    fiber_control* self = access::control(t->fib);
    running = nullptr;
    task_finished(t);
    switch_away(*this, self);  // a spawn resumes it
  }
}

fiber loop_core::take_worker(const task_options& options, std::source_location where) {
  const bool poolable = wants_default_stack(options);
  if (poolable && !idle_workers_.empty()) {
    fiber worker = std::move(idle_workers_.back());
    idle_workers_.pop_back();
    relabel_fiber(access::control(worker), options.name, where);
    return worker;
  }
  if (poolable && idle_workers_.capacity() == 0) idle_workers_.reserve(max_idle_workers);
  return fiber([this, poolable] { worker_main(poolable); },
               {.name = options.name, .stack_size = options.stack_size, .stack = options.stack}, where);
}

}  // namespace weft::detail
