// The smallest event loop for generator-based coroutines, as asyncio ran
// them before async/await: a task is a generator that yields how many
// seconds it wants to sleep (sleep() below is asyncio.sleep, used with
// yield_from), and the loop resumes each task when its time comes.
//
// Time is virtual: the clock jumps straight to the next wake-up, so the
// examples print the same lines on every run, at once. Tasks due at the
// same moment run in the order they went to sleep. Shared by the
// old_style_coroutine and rotate_files examples; not part of weft.
#pragma once

#include <weft/generator.hpp>

#include <cstdint>
#include <queue>
#include <utility>
#include <vector>

namespace sleep_loop {

using task = weft::generator<double>;  // yields seconds to sleep
using yielder = weft::yielder<double>;

// asyncio.sleep(seconds): a coroutine that waits once, then returns.
inline weft::generator<double> sleep(double seconds) {
  return weft::generator<double>([seconds](yielder& y) { y.yield(seconds); });
}

class loop {
 public:
  // Seconds since the loop started.
  double time() const noexcept { return now_; }

  // Schedules `t` to start at the current time.
  void create_task(task t) {
    tasks_.push_back(std::move(t));
    wake(tasks_.size() - 1, now_);
  }

  // Runs tasks until the clock reaches `until` seconds (run_forever,
  // stopped from outside); wake-ups due then or later stay queued.
  void run_until(double until) {
    while (!queue_.empty() && queue_.top().when < until) {
      entry next = queue_.top();
      queue_.pop();
      now_ = next.when;
      if (auto delay = tasks_[next.index].try_next()) wake(next.index, now_ + *delay);
    }
    if (now_ < until) now_ = until;
  }

  // Runs `t` (and whatever else is scheduled) until `t` has finished.
  void run_until_complete(task t) {
    create_task(std::move(t));
    task& main = tasks_.back();
    while (main.state() != weft::generator_state::closed && !queue_.empty()) {
      entry next = queue_.top();
      queue_.pop();
      now_ = next.when;
      if (auto delay = tasks_[next.index].try_next()) wake(next.index, now_ + *delay);
    }
  }

 private:
  struct entry {
    double when;
    std::uint64_t order;
    std::size_t index;
    bool operator>(const entry& other) const noexcept {
      return when != other.when ? when > other.when : order > other.order;
    }
  };

  void wake(std::size_t index, double when) { queue_.push(entry{when, next_order_++, index}); }

  double now_ = 0;
  std::uint64_t next_order_ = 0;
  std::vector<task> tasks_;
  std::priority_queue<entry, std::vector<entry>, std::greater<entry>> queue_;
};

}  // namespace sleep_loop
