// timeout_scope: the timer that cancels its task at the deadline.
#include "loop/loop_core.hpp"
#include "weft/timeout.hpp"

namespace weft {

timeout_scope::timeout_scope() : task_(&detail::running_task()) {}

timeout_scope::timeout_scope(loop::time_point when) : timeout_scope() { reschedule(when); }

timeout_scope::timeout_scope(loop::duration d) : timeout_scope(detail::loop_now() + d) {}

void timeout_scope::reschedule(std::optional<loop::time_point> when) {
  if (expired_) throw invalid_state("weft: reschedule() of a timeout that has expired");
  timer_.cancel();
  when_ = when;
  if (!when) return;
  timer_ = task_->loop->facade.call_at(*when, [this] {
    expired_ = true;
    detail::cancel_task(task_);
  });
}

bool timeout_scope::delivered() const noexcept { return expired_ && !task_->cancel_requested; }

timeout_scope::~timeout_scope() {
  timer_.cancel();
  if (!expired_) return;
  // The deadline passed but the work finished without reaching another
  // suspension point: the cancellation we asked for is not the caller's.
  task_->cancel_requested = false;
  // The deadline's request is withdrawn, as asyncio.timeout uncancel()s:
  // cancelling() counts only cancellations from outside.
  if (task_->cancels > 0) --task_->cancels;
}

}  // namespace weft
