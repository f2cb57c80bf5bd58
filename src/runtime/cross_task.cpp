// The shared state of weft::cross_task: its outcome, its joiners, and the
// messages that start and cancel it on its loop (weft/cross/task.hpp).
//
// Memory ordering: the outcome (done, value, error, retrieved) and the
// joiners are guarded by the state's mutex; the messages carry the state's
// pointer through loop::call_soon_threadsafe, whose mutex publishes it; the
// reference count is decremented with acq_rel, so that every owner's
// accesses happen before the last one's delete. `local` is touched only on the home loop's thread (by
// the body and by the cancel message, which runs there). The start message
// is queued before the handle exists, so on the home loop it always runs
// before any cancel message sent through that handle (one FIFO per loop).
#include <cstdio>
#include <vector>

#include "weft/cross/task.hpp"
#include "weft/detail/loop/task_state.hpp"

namespace weft::detail {

namespace {

// A counted reference for messages, copyable as std::function demands.
class state_ref {
 public:
  explicit state_ref(cross_task_base* s) noexcept : s_(s) { retain(s_); }
  state_ref(const state_ref& o) noexcept : s_(o.s_) { retain(s_); }
  state_ref& operator=(const state_ref&) = delete;
  ~state_ref() { release(s_); }
  cross_task_base* operator->() const noexcept { return s_; }
  cross_task_base* get() const noexcept { return s_; }

 private:
  cross_task_base* s_;
};

bool is_cancellation(const std::exception_ptr& e) noexcept {
  try {
    std::rethrow_exception(e);
  } catch (const cancelled&) {
    return true;
  } catch (...) {
  }
  return false;
}

void report_lost(cross_task_base* s) noexcept {
  const char* message = "Cross-loop task exception was never retrieved";
  if (weft::loop* lp = weft::loop::current()) {
    try {
      lp->call_exception_handler({message, s->name, s->error});
      return;
    } catch (...) {
    }
  }
  std::string what = "unknown exception";
  try {
    std::rethrow_exception(s->error);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  std::fprintf(stderr, "weft: %s: task '%s': %s\n", message, s->name.c_str(), what.c_str());
}

}  // namespace

void retain(cross_task_base* s) noexcept { s->refs.fetch_add(1, std::memory_order_relaxed); }

void release(cross_task_base* s) noexcept {
  if (s->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;  // acq_rel: see release(cross_wake_token*)
  if (s->done && s->error && !s->retrieved && !s->was_cancelled) report_lost(s);
  s->destroy(s);
}

void finish(cross_task_base* s, std::unique_lock<std::mutex>& lock, std::exception_ptr error) noexcept {
  if (s->done) {
    lock.unlock();
    return;
  }
  s->done = true;
  s->was_cancelled = error && is_cancellation(error);
  s->error = std::move(error);
  std::vector<cross_wake> wakes;
  while (cross_waiter* w = s->joiners.pop()) wakes.emplace_back(*w);
  lock.unlock();
  for (cross_wake& w : wakes) w.post();
}

void finish_cancelled(cross_task_base* s) noexcept {
  std::unique_lock<std::mutex> lock(s->mutex);
  if (s->done) return;
  finish(s, lock, std::make_exception_ptr(cancelled()));
}

bool cross_cancel(cross_task_base* s) {
  {
    std::lock_guard<std::mutex> g(s->mutex);
    if (s->done) return false;
  }
  s->home->call_soon_threadsafe([r = state_ref(s)] {
    if (r->local != nullptr) cancel_task(r->local);
  });
  return true;
}

void cross_join(cross_task_base* s, std::unique_lock<std::mutex>& lock) {
  while (!s->done) {
    cross_waiter w;
    if (cross_wait(lock, s->joiners, w, {wait_kind::primitive, "cross_task.join", s->name}) == wake_reason::cancelled) {
      // As a local join: the cancellation goes on to the joined task, and
      // the join waits for its outcome.
      lock.unlock();
      cross_cancel(s);
      lock.lock();
    }
  }
}

void check_cross_outcome(cross_task_base* s) {
  if (!s->done) throw invalid_state("weft: result() of the unfinished cross_task '" + s->name + "'");
  s->retrieved = true;
  if (s->error) std::rethrow_exception(s->error);
}

void post_launch(cross_task_base* s, task<void> (*start)(cross_task_base*, const task_options&),
                 const task_options& options) {
  // Shared by the copies of the message; the last one to go finishes the
  // task cancelled if none ran (the target loop closed first).
  struct launcher {
    launcher(cross_task_base* st, task<void> (*f)(cross_task_base*, const task_options&), const task_options& o)
        : s(st), start(f), options(o) {}
    launcher(const launcher&) = delete;
    launcher& operator=(const launcher&) = delete;
    ~launcher() {
      if (!launched) finish_cancelled(s.get());
    }
    state_ref s;
    task<void> (*start)(cross_task_base*, const task_options&);
    task_options options;
    bool launched = false;
  };
  auto l = std::make_shared<launcher>(s, start, options);
  s->home->call_soon_threadsafe([l] {
    l->launched = true;
    try {
      l->start(l->s.get(), l->options).detach();
    } catch (...) {
      std::unique_lock<std::mutex> lock(l->s->mutex);
      finish(l->s.get(), lock, std::current_exception());
    }
  });
}

}  // namespace weft::detail
