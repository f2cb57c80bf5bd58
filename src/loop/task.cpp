// Task lifetime: start, body, finish, references, cancellation. (Joining is
// a wait: wait_until_done() is in park.cpp; closing a loop with tasks still
// alive, in loop.cpp.)
#include <cstdint>
#include <string>

#include "loop/loop_core.hpp"
#include "weft/detail/loop/done_callbacks.hpp"
#include "weft/error.hpp"
#include "weft/task.hpp"

namespace weft {
namespace detail {

void report_unretrieved(loop_core& core, task_base* t) noexcept {
  t->retrieved = true;
  core.report({"Task exception was never retrieved", std::string(task_name(t)), t->error, {}, t->spawned_at});
}

void run_task_body(task_base* t) {
  t->phase = task_phase::running;
  task_phase outcome = task_phase::finished;
  if (t->cancel_requested) {
    t->run_body(t, false);
    t->cancel_requested = false;
    outcome = task_phase::cancelled;
    t->error = std::make_exception_ptr(cancelled());
  } else {
    try {
      t->run_body(t, true);
    } catch (const forced_unwind&) {
      throw;  // the loop is tearing this task down; task_finished records it
    } catch (const cancelled&) {
      outcome = task_phase::cancelled;
      t->error = std::current_exception();
    } catch (...) {
      t->error = std::current_exception();
    }
  }
  t->phase = outcome;
  wake_waiters(t->joiners);
}

void loop_core::task_finished(task_base* t) noexcept {
  if (!t->done()) {  // unwound by close(): it never got to record an outcome
    t->phase = task_phase::cancelled;
    t->error = std::make_exception_ptr(cancelled("weft: task destroyed when its loop closed"));
    t->run_body(t, false);  // if it never started, its callable is still there
    // Its done callbacks will never run; the tasks joining it are being
    // unwound too, each unlinking its own waiter.
    drop_done_callbacks(t->joiners);
  }
  tasks.erase(t);
  retire_worker(t);  // now, not with the last handle
  held.push_back(t);
  release_task(t);  // the loop's reference
}

void release_task(task_base* t) noexcept {
  if (--t->refs > 0) return;
  if (t->loop != nullptr) {
    if (t->error && !t->retrieved && !t->was_cancelled()) report_unretrieved(*t->loop, t);
    if (t->linked()) t->loop->held.erase(t);
  }
  t->destroy(t);
}

void throw_not_done(const task_base* t) {
  throw invalid_state("weft: task '" + std::string(task_name(t)) + "' is not done");
}

void refuse_task_operation(const task_base* t, const char* op) {
  if (t == nullptr) throw invalid_state(std::string("weft: ") + op + " on an empty task handle");
  throw invalid_state(std::string("weft: ") + op + " of task '" + std::string(task_name(t)) +
                      "' from another thread than its loop's (loops, tasks and their handles are bound to one thread)");
}

void throw_result_taken(const task_base* t) {
  throw invalid_state("weft: the move-only result of task '" + std::string(task_name(t)) + "' was taken already");
}

bool cancel_task(task_base* t) noexcept {
  if (t->done()) return false;
  t->cancel_requested = true;
  if (t->cancels != UINT16_MAX) ++t->cancels;
  if (t->parked() && t->shield_depth == 0) t->loop->unpark(t, wake_reason::cancelled);
  return true;
}

std::string_view task_name(const task_base* t) noexcept {
  // Made on demand: most tasks are never named in a report, and building
  // the string at spawn would cost two allocations per task.
  if (t->name.empty()) t->name = "task-" + std::to_string(t->id);
  return t->name;
}

}  // namespace detail

void loop::start_task(detail::task_base* t, const task_options& options, std::source_location where) {
  detail::loop_core& core = *core_;
  core.check_thread("loop::spawn");
  if (core.closed) throw invalid_state("weft: spawn on a closed loop");
  t->fib = core.take_worker(options, where);
  t->loop = &core;
  t->home_thread = core.home_thread;
  t->spawned_at = where;
  ++t->refs;                                    // the loop's, until the task finishes
  t->id = detail::access::control(t->fib)->id;  // inline, unlike fiber::id()
  if (!options.name.empty()) t->name = options.name;
  core.tasks.push_back(t);
  core.push_ready(t);
}

cancellation_shield::cancellation_shield() : task_(&detail::running_task()) { ++task_->shield_depth; }

cancellation_shield::~cancellation_shield() { --task_->shield_depth; }

}  // namespace weft
