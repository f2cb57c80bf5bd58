// Futures: lifetime, completion, cancellation and join's wait
// (weft/future.hpp, weft/detail/loop/future_state.hpp).
#include <string>

#include "loop/loop_core.hpp"
#include "weft/future.hpp"

namespace weft::detail {

namespace {

void report_if_unretrieved(loop_core& core, future_base* f) noexcept {
  if (!f->error || f->retrieved || f->was_cancelled()) return;
  f->retrieved = true;
  core.report({"Future exception was never retrieved", "", f->error});
}

}  // namespace

void adopt_future(future_base* f, weft::loop& lp) {
  loop_core& core = access::core(lp);
  core.check_thread("future");
  if (core.closed) throw invalid_state("weft: future made on a closed loop");
  f->loop = &core;
  f->home_thread = core.home_thread;
  core.futures.push_back(f);
}

void release_future(future_base* f) noexcept {
  if (--f->refs > 0) return;
  if (f->loop != nullptr) {
    report_if_unretrieved(*f->loop, f);
    f->loop->futures.erase(f);
  }
  drop_done_callbacks(f->waiters);  // only callbacks: a waiting task holds a reference
  f->destroy(f);
}

void disown_futures(loop_core& core) noexcept {
  // One at a time off the front: dropping a callback may release other
  // futures, which then leave the list.
  while (future_base* f = core.futures.pop_front()) {
    ++f->refs;  // its callbacks may hold the last handles
    report_if_unretrieved(core, f);
    f->loop = nullptr;
    drop_done_callbacks(f->waiters);
    release_future(f);
  }
}

void refuse_future_operation(const future_base* f, const char* op) {
  if (f == nullptr) throw invalid_state(std::string("weft: ") + op + " on an empty future handle");
  throw invalid_state(std::string("weft: ") + op +
                      " from another thread than its loop's (a future is bound to its loop's thread)");
}

void check_pending(const future_base* f, const char* op) {
  if (f->done()) throw invalid_state(std::string("weft: ") + op + " of a future that is done already");
}

void complete_future(future_base* f, std::exception_ptr error) noexcept {
  if (f->phase == task_phase::created) f->phase = task_phase::finished;  // cancel_future set cancelled
  f->error = std::move(error);
  wake_waiters(f->waiters);
}

bool cancel_future(future_base* f) noexcept {
  if (f->done()) return false;
  if (f->cancel_hook != nullptr) return f->cancel_hook(f);
  f->phase = task_phase::cancelled;
  complete_future(f, std::make_exception_ptr(cancelled()));
  return true;
}

void await_future(future_base* f) {
  task_base& self = running_task();
  if (f->loop != self.loop) throw invalid_state("weft: future::join from a task of another loop");
  // Holds the future (its handle may go while we wait) and our place among
  // its waiters, left on every way out.
  struct registration {
    future_base* f;
    waiter w;
    ~registration() {
      if (w.linked()) f->waiters.erase(&w);
      release_future(f);
    }
  } waiting{f, {}};
  ++f->refs;
  waiting.w.task = &self;
  f->waiters.push_back(&waiting.w);
  // asyncio: cancelling a task that awaits a future cancels the future, and
  // the task goes on to see its outcome. A future that cannot be cancelled
  // any more (a gather whose children are all done) makes the task raise
  // CancelledError once it is done (Task._must_cancel).
  bool must_cancel = false;
  while (!f->done()) {
    if (park({wait_kind::primitive, "future", {}}) == wake_reason::cancelled && !cancel_future(f)) must_cancel = true;
  }
  if (must_cancel) throw cancelled();
}

void check_future_outcome(future_base* f, bool rethrow) {
  if (!f->done()) throw invalid_state("weft: the future is not done");
  if (f->was_cancelled()) std::rethrow_exception(f->error);
  f->retrieved = true;
  if (rethrow && f->error) std::rethrow_exception(f->error);
}

}  // namespace weft::detail
