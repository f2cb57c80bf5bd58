#include "weft/sync/condition.hpp"

#include <string>

#include "weft/error.hpp"
#include "weft/task.hpp"

namespace weft {

condition::condition(std::string name)
    : own_mutex_(std::make_unique<mutex>(name)), mutex_(own_mutex_.get()), name_(std::move(name)) {}

condition::condition(mutex& m, std::string name) : mutex_(&m), name_(std::move(name)) {}

std::size_t condition::wake(std::size_t n) noexcept {
  std::size_t woken = 0;
  for (; woken < n; ++woken) {
    detail::sync_waiter* w = waiters_.pop();
    if (w == nullptr) break;
    detail::wait_list::wake(w);
  }
  return woken;
}

bool condition::wait_impl(detail::loop_time deadline) {
  if (!mutex_->locked()) throw invalid_state("weft: wait on condition '" + name_ + "' without its mutex locked");
  detail::running_task();  // outside a task: raise before giving the mutex up
  mutex_->unlock();
  detail::sync_waiter w;
  detail::wake_reason why;
  try {
    why = waiters_.wait(w, {detail::wait_kind::primitive, "condition", name_}, deadline);
  } catch (...) {           // forced unwind: cannot wait for the mutex any more
    if (w.chosen) wake(1);  // pass the notification on
    mutex_->try_lock();     // balance the caller's unlock if the mutex is free
    throw;
  }
  try {
    cancellation_shield shield;
    mutex_->lock();
  } catch (...) {        // forced unwind while queued for the mutex
    mutex_->try_lock();  // as above
    throw;
  }
  if (why == detail::wake_reason::cancelled) throw cancelled();
  return why == detail::wake_reason::woken;
}

void condition::wait() { wait_impl(detail::no_deadline); }

void condition::notify(std::size_t n) {
  if (!mutex_->locked()) throw invalid_state("weft: notify of condition '" + name_ + "' without its mutex locked");
  wake(n);
}

void condition::notify_all() { notify(waiters_.size()); }

}  // namespace weft
