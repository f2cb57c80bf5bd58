// The thread's timer slack for the length of a loop run.
//
// Linux lets a timed wait end up to the thread's timer slack after its
// deadline, so that wake-ups can be merged; the default is 50 us. A loop
// blocks in epoll_pwait2 until its next timer, so that slack would be added
// to nearly every timer it fires. A run sets the slack it was configured
// with (loop_options::timer_slack) and puts the thread's own back when it
// returns. Loop thread only.
#pragma once

#include <chrono>

namespace weft::detail {

class timer_slack_scope {
 public:
  // Zero (or less): leaves the thread's slack as it is.
  explicit timer_slack_scope(std::chrono::nanoseconds slack) noexcept;
  ~timer_slack_scope();
  timer_slack_scope(const timer_slack_scope&) = delete;
  timer_slack_scope& operator=(const timer_slack_scope&) = delete;

 private:
  long previous_ = -1;  // the thread's slack to restore; -1: nothing changed
};

}  // namespace weft::detail
