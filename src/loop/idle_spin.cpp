#include "loop/idle_spin.hpp"

#include <sched.h>
#include <sys/resource.h>

#include <algorithm>

namespace weft::detail {

namespace {

// Tells the core (and a hypervisor that watches for it) that this is a spin
// loop: it yields the pipeline to the sibling hyperthread and saves power.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Loads of the flag between two clock reads: a read every few hundred ns.
constexpr int polls_per_clock_read = 16;
// Clock reads between two sched_yield()s: one every few µs.
constexpr unsigned clock_reads_per_yield = 8;

}  // namespace

void contention_window::lost_cpu(duration now) noexcept {
  std::int64_t t = now.count();
  std::int64_t last = length_.load(std::memory_order_relaxed);
  bool persists = t - until_.load(std::memory_order_relaxed) <= last;
  std::int64_t length = persists ? std::min(last * 2, std::int64_t{longest_quiet.count()}) : first_quiet.count();
  length_.store(length, std::memory_order_relaxed);
  until_.store(t + length, std::memory_order_relaxed);
}

contention_window& contention_window::shared() noexcept {
  static contention_window window;
  return window;
}

void idle_spin_policy::slept(duration now, duration after, bool by_message) noexcept {
  if (by_message && after <= limit_ && !contention_.quiet(now)) {
    budget_ = budget_ == duration::zero() ? start_ : std::min(budget_ * 2, limit_);
    return;
  }
  budget_ /= 2;
  if (budget_ < start_) budget_ = duration::zero();
}

idle_spin::idle_spin(std::chrono::nanoseconds limit, contention_window& contention) noexcept
    : policy_(limit, contention) {
  switched_out(clock::now());
}

// The scheduler gave the thread's CPU to another thread since the last
// look (a preemption, or a sched_yield() that found someone to run).
bool idle_spin::switched_out(clock::time_point now) noexcept {
  rusage usage{};
  if (::getrusage(RUSAGE_THREAD, &usage) != 0) return true;
  bool switched = usage.ru_nivcsw != involuntary_switches_;
  involuntary_switches_ = usage.ru_nivcsw;
  last_look_ = now;
  return switched;
}

// A switch since the last look, if that look was recent: then the count
// covers spinning, not a long stretch without (which only re-baselines).
bool idle_spin::contended(clock::time_point now) noexcept {
  bool recent = now - last_look_ <= stale_look;
  return switched_out(now) && recent;
}

// At most once per look_interval.
void idle_spin::look_for_contention(clock::time_point now) noexcept {
  if (now - last_look_ >= look_interval && contended(now)) policy_.lost_cpu(since_epoch(now));
}

bool idle_spin::spin(const std::atomic<bool>& pending, std::optional<std::chrono::nanoseconds>& timeout) noexcept {
  if (!policy_.enabled()) return false;
  clock::time_point start = clock::now();
  idle_since_ = start;
  std::chrono::nanoseconds budget = policy_.budget(since_epoch(start));
  if (budget == std::chrono::nanoseconds::zero()) {
    last_look_ = {};  // the count will move while the loop does not spin: start afresh
    return false;
  }
  if (timeout) budget = std::min(budget, *timeout);
  clock::time_point last = start;
  for (unsigned reads = 1; last - start < budget; ++reads) {
    for (int i = 0; i < polls_per_clock_read; ++i) {
      if (pending.load(std::memory_order_acquire)) {
        look_for_contention(clock::now());
        return true;
      }
      cpu_relax();
    }
    if (reads % clock_reads_per_yield == 0) ::sched_yield();
    clock::time_point t = clock::now();
    bool gap = t - last >= lost_cpu_gap;
    last = t;
    if (gap && contended(t)) {
      policy_.lost_cpu(since_epoch(t));
      break;
    }
  }
  look_for_contention(last);
  if (timeout) *timeout = std::max(*timeout - (last - start), std::chrono::nanoseconds::zero());
  return false;
}

void idle_spin::woke(bool by_message) noexcept {
  if (!policy_.enabled()) return;
  clock::time_point t = clock::now();
  policy_.slept(since_epoch(t), t - idle_since_, by_message);
}

}  // namespace weft::detail
