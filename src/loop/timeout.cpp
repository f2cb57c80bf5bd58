#include "loop/loop_core.hpp"
#include "weft/timeout.hpp"

namespace weft::detail {

timeout_scope::timeout_scope(loop::duration d) : task_(&running_task()) {
  timer_ = task_->loop->facade.call_later(d, [this] {
    expired_ = true;
    cancel_task(task_);
  });
}

bool timeout_scope::delivered() const noexcept { return expired_ && !task_->cancel_requested; }

timeout_scope::~timeout_scope() {
  timer_.cancel();
  // The deadline passed but the work finished without reaching another
  // suspension point: the cancellation we asked for is not the caller's.
  if (expired_) task_->cancel_requested = false;
  // The deadline's request is withdrawn, as asyncio.timeout uncancel()s:
  // cancelling() counts only cancellations from outside.
  if (expired_ && task_->cancels > 0) --task_->cancels;
}

}  // namespace weft::detail
