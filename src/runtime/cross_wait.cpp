// The cross-thread wait and its wake-up message
// (weft/detail/runtime/cross_wait.hpp states the protocol and its ordering).
#include "weft/detail/runtime/cross_wait.hpp"

#include "loop/loop_core.hpp"
#include "weft/detail/fatal.hpp"

namespace weft::detail {

void release(cross_wake_token* token) noexcept {
  // acq_rel rather than release plus a fence: ThreadSanitizer does not
  // model standalone fences, and this is not a hot path.
  if (token->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete token;
}

namespace {

// The wake-up, fired on the waiter's loop thread (the only one that
// touches armed and task); it owns the reference that post() handed it.
void fire(void* arg) noexcept {
  auto* token = static_cast<cross_wake_token*>(arg);
  if (token->armed) unpark(token->task, wake_reason::woken);
  release(token);
}

}  // namespace

void cross_wake::post() noexcept {
  if (token_ == nullptr) return;
  try {
    home_->post_remote_wakeup(&fire, token_);
  } catch (...) {
    fatal("weft: a cross-loop wake-up could not be queued (out of memory)");
  }
  token_ = nullptr;
}

wake_reason cross_wait(std::unique_lock<std::mutex>& lock, cross_wait_list& list, cross_waiter& w,
                       const wait_info& what) {
  task_base& self = running_task();
  w.token = new cross_wake_token;
  w.token->task = &self;
  w.token->armed = true;
  w.home = self.loop;
  w.chosen = false;
  list.push_back(w);
  wake_reason why;
  {
    // Also on forced unwind: disarm, relock, unlink, drop the wait's reference.
    struct leave {
      std::unique_lock<std::mutex>& lock;
      cross_wait_list& list;
      cross_waiter& w;
      ~leave() {
        w.token->armed = false;
        lock.lock();
        if (w.linked()) list.erase(w);
        release(w.token);
      }
    } guard{lock, list, w};
    lock.unlock();
    why = park(what);
  }
  if (!w.chosen) return wake_reason::cancelled;  // only a message or a cancel unparks it
  // Chosen: it owns what it was handed. A cancellation that raced the
  // waker goes to the next suspension point instead.
  if (why == wake_reason::cancelled) self.cancel_requested = true;
  return wake_reason::woken;
}

}  // namespace weft::detail
