// The waiting behind gather, wait and as_completed (weft/gather.hpp).
#include <string>

#include "weft/gather.hpp"

namespace weft::detail {

completion_watch::completion_watch(task_base* const* tasks, std::size_t count)
    : tasks_(tasks), count_(count), watcher_(&running_task()), waiters_(new watch_waiter[count]) {
  finished_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {  // check all before linking any
    if (tasks[i] == watcher_) throw invalid_state("weft: a task cannot wait for itself");
    if (tasks[i]->loop != watcher_->loop)
      throw invalid_state("weft: task '" + std::string(task_name(tasks[i])) + "' belongs to another loop");
  }
  for (std::size_t i = 0; i < count; ++i) {
    task_base* t = tasks[i];
    if (t->done()) {
      finished_.push_back(i);
      continue;
    }
    watch_waiter& w = waiters_[i];
    w.task = watcher_;
    w.watch = this;
    w.index = i;
    w.notify = &on_finish;
    t->joiners.push_back(&w);
  }
}

completion_watch::~completion_watch() { stop(); }

void completion_watch::stop() noexcept {
  stopped_ = true;
  for (std::size_t i = 0; i < count_; ++i)
    if (waiters_[i].linked()) tasks_[i]->joiners.erase(&waiters_[i]);
  if (waiting_) unpark(watcher_);
}

void completion_watch::on_finish(waiter* base) noexcept {
  auto* w = static_cast<watch_waiter*>(base);
  completion_watch& self = *w->watch;
  self.finished_.push_back(w->index);  // capacity reserved: cannot throw
  // Wake the watcher only if it is parked here, not in some other wait it
  // is doing between two calls (as_completed's loop body, say).
  if (self.waiting_) unpark(self.watcher_);
}

std::optional<std::size_t> completion_watch::pop() noexcept {
  if (popped_ == finished_.size()) return std::nullopt;
  return finished_[popped_++];
}

wake_reason completion_watch::wait(std::string_view what, loop_time deadline) {
  if (popped_ < finished_.size()) return wake_reason::woken;
  while (pending_hint_ < count_ && !waiters_[pending_hint_].linked()) ++pending_hint_;
  std::string_view name = pending_hint_ < count_ ? task_name(tasks_[pending_hint_]) : std::string_view();
  waiting_ = true;
  struct not_waiting {
    bool& waiting;
    ~not_waiting() { waiting = false; }
  } guard{waiting_};
  return park({wait_kind::join, what, name}, deadline);
}

void gather_wait(task_base* const* tasks, std::size_t count, bool stop_at_first_error) {
  completion_watch watch(tasks, count);
  for (;;) {
    while (std::optional<std::size_t> i = watch.pop()) {
      task_base* t = tasks[*i];
      if (stop_at_first_error && t->error) {
        t->retrieved = true;
        std::rethrow_exception(t->error);
      }
    }
    if (watch.unfinished() == 0) return;
    if (watch.wait("gather") == wake_reason::cancelled) {
      // asyncio: cancelling the gather cancels its children; it ends when
      // they have.
      for (std::size_t i = 0; i < count; ++i) cancel_task(tasks[i]);
      {
        cancellation_shield shield;
        while (watch.unfinished() > 0) {
          while (watch.pop()) {
          }
          if (watch.unfinished() > 0) watch.wait("gather (cancelling)");
        }
      }
      throw cancelled();
    }
  }
}

std::vector<std::size_t> wait_done(task_base* const* tasks, std::size_t count, return_when when, loop_time deadline) {
  completion_watch watch(tasks, count);
  std::vector<std::size_t> done;
  done.reserve(count);
  bool failed = false;
  for (;;) {
    while (std::optional<std::size_t> i = watch.pop()) {
      done.push_back(*i);
      task_base* t = tasks[*i];
      if (t->error && !t->was_cancelled()) failed = true;
    }
    if (done.size() == count) return done;
    if (when == return_when::first_completed && !done.empty()) return done;
    if (when == return_when::first_exception && failed) return done;
    switch (watch.wait("wait", deadline)) {
      case wake_reason::woken: break;
      case wake_reason::timed_out:
        while (std::optional<std::size_t> i = watch.pop()) done.push_back(*i);
        return done;
      case wake_reason::cancelled: throw cancelled();
    }
  }
}

}  // namespace weft::detail
