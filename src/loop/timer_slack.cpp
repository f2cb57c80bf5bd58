#include "loop/timer_slack.hpp"

#include <sys/prctl.h>

namespace weft::detail {

timer_slack_scope::timer_slack_scope(std::chrono::nanoseconds slack) noexcept {
  if (slack.count() <= 0) return;
  int current = ::prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
  if (current < 0 || current == slack.count()) return;  // unknown, or already so: no second syscall on return
  if (::prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(slack.count()), 0, 0, 0) == 0) previous_ = current;
}

timer_slack_scope::~timer_slack_scope() {
  if (previous_ >= 0) ::prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(previous_), 0, 0, 0);
}

}  // namespace weft::detail
