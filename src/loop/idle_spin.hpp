// Spinning before sleep: a loop that is about to block with nothing but
// other threads to wake it (no fd waited on) first watches its remote queue
// for a while.
//
// Why: a thread that blocks costs a wake-up when the next message comes,
// and on a virtual machine whose CPUs are otherwise idle that wake-up goes
// through the hypervisor (the halted virtual CPU must be scheduled again),
// many times the cost of the hand-off itself. A message that comes while
// the loop still spins costs a cache-line transfer, and the sender no
// syscall (the loop is not `sleeping`, so it writes no eventfd). Go's
// scheduler spins before parking a thread for the same reason; Linux's
// haltpoll cpuidle governor does it in the guest kernel, where it is often
// off.
//
// How long (the budget) adapts, after the haltpoll governor: it grows
// (doubling, from limit/8) after a sleep that a message ended within
// `limit` of the loop going idle, which a longer spin would have caught;
// it halves (to zero below limit/8) after a sleep that lasted longer or
// that a timer ended. A loop whose messages come rarely thus stops spinning
// after a few sleeps, and a spin costs at most `limit` of CPU per sleep.
//
// On a loaded machine spinning is harmful. A spinning thread that the
// kernel switches out is not `sleeping`, so a message sent meanwhile waits
// for the CPU's next slice, a millisecond or more away; and the CPU time a
// spin burns is charged to the thread, which the fair scheduler then runs
// later. So the spin calls sched_yield() every few µs (a thread it keeps
// from its CPU, perhaps the sender, gets it), and the loop watches its
// thread's involuntary context switches (getrusage's ru_nivcsw; a yield
// that runs someone else counts as one), reading the count when a spin's
// clock shows a gap of `lost_cpu_gap`, and otherwise at most once per
// look_interval. A switch between two readings up to stale_look apart
// (a longer stretch, or one without spinning, only re-baselines) means
// that another thread wanted this CPU. The machine is then loaded, and no
// loop of the process spins for a quiet period, which doubles with each
// loss that follows the last period within its length (up to a second) and
// otherwise starts over (contention_window).
//
// Loop thread only, except contention_window (any thread).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

namespace weft::detail {

// When the machine last looked loaded, and for how long to believe it.
// Shared by every loop of the process (a loaded CPU is loaded for all of
// them); the threads race on it harmlessly: any interleaving leaves a
// quiet period of a length some loss asked for. Any thread.
class contention_window {
 public:
  using duration = std::chrono::nanoseconds;  // since any fixed origin
  static constexpr duration first_quiet = std::chrono::milliseconds(1);
  static constexpr duration longest_quiet = std::chrono::seconds(1);

  bool quiet(duration now) const noexcept { return now.count() < until_.load(std::memory_order_relaxed); }
  // A spin lost its CPU to another thread at `now`.
  void lost_cpu(duration now) noexcept;

  // The process's.
  static contention_window& shared() noexcept;

 private:
  std::atomic<std::int64_t> until_{0};   // the end of the last quiet period
  std::atomic<std::int64_t> length_{0};  // and its length
};

// The budget's state, apart from any clock (unit-tested on its own).
class idle_spin_policy {
 public:
  using duration = std::chrono::nanoseconds;

  // limit zero (or less): never spin.
  idle_spin_policy(duration limit, contention_window& contention) noexcept
      : limit_(limit), start_(limit / 8), contention_(contention) {}

  // Whether it may ever spin (a positive limit).
  bool enabled() const noexcept { return limit_ > duration::zero(); }
  // How long to spin at `now`.
  duration budget(duration now) const noexcept { return contention_.quiet(now) ? duration::zero() : budget_; }
  // A spin (or none), then a sleep: the loop woke at `now`, `after` it went
  // idle; by_message: a message (not a timer or a signal) ended the sleep.
  // No growth during a quiet period.
  void slept(duration now, duration after, bool by_message) noexcept;
  // A spin lost its CPU to another thread at `now`.
  void lost_cpu(duration now) noexcept {
    budget_ = duration::zero();
    contention_.lost_cpu(now);
  }

 private:
  duration limit_;
  duration start_;
  duration budget_{};
  contention_window& contention_;
};

class idle_spin {
 public:
  using clock = std::chrono::steady_clock;
  // Two clock reads further apart than this, within a spin, mean the
  // thread did not run in between.
  static constexpr std::chrono::nanoseconds lost_cpu_gap = std::chrono::microseconds(20);
  // How often a spinning loop reads its context switch count (a system
  // call), and how old the last reading may be for a change to count.
  static constexpr std::chrono::nanoseconds look_interval = std::chrono::milliseconds(1);
  static constexpr std::chrono::nanoseconds stale_look = std::chrono::milliseconds(10);

  // On the loop's thread: it reads that thread's context switch count.
  explicit idle_spin(std::chrono::nanoseconds limit,
                     contention_window& contention = contention_window::shared()) noexcept;

  // The loop is about to block for up to `timeout` (none: indefinitely)
  // with `pending` false. Spins while the budget and the timeout allow;
  // returns true as soon as `pending` is seen true. Else returns false
  // with the time spun taken off `timeout`, and the loop blocks for the
  // rest of it.
  bool spin(const std::atomic<bool>& pending, std::optional<std::chrono::nanoseconds>& timeout) noexcept;
  // After the blocking poll (or the timeout) that followed a spin() that
  // returned false; by_message: a message is pending.
  void woke(bool by_message) noexcept;

 private:
  static std::chrono::nanoseconds since_epoch(clock::time_point t) noexcept { return t.time_since_epoch(); }
  bool switched_out(clock::time_point now) noexcept;
  bool contended(clock::time_point now) noexcept;
  void look_for_contention(clock::time_point now) noexcept;
  idle_spin_policy policy_;
  long involuntary_switches_ = 0;  // getrusage's ru_nivcsw at the last look
  clock::time_point last_look_{};
  clock::time_point idle_since_{};
};

}  // namespace weft::detail
