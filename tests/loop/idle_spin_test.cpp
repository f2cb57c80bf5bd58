// Spinning before sleep (src/loop/idle_spin.hpp): the budget's adaptation
// on made-up times, and the spin's own edges.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>

#include "loop/idle_spin.hpp"

namespace {

using namespace std::chrono_literals;
using weft::detail::contention_window;
using weft::detail::idle_spin;
using weft::detail::idle_spin_policy;
using ns = std::chrono::nanoseconds;

constexpr ns limit = 100us;
constexpr ns t0 = 10s;  // any origin: the window starts open

TEST(idle_spin_policy, a_loop_that_never_slept_does_not_spin) {
  contention_window window;
  idle_spin_policy policy(limit, window);
  EXPECT_EQ(policy.budget(t0), ns::zero());
}

TEST(idle_spin_policy, grows_from_an_eighth_of_the_limit_by_doubling_up_to_it) {
  contention_window window;
  idle_spin_policy policy(limit, window);
  const ns expected[] = {12500ns, 25us, 50us, 100us, 100us};
  for (ns want : expected) {
    policy.slept(t0, 40us, true);  // a message 40 µs after going idle
    EXPECT_EQ(policy.budget(t0), want);
  }
}

TEST(idle_spin_policy, a_sleep_longer_than_the_limit_halves_it_and_below_the_start_stops_it) {
  contention_window window;
  idle_spin_policy policy(limit, window);
  for (int i = 0; i < 4; ++i) policy.slept(t0, limit, true);  // exactly the limit still grows
  ASSERT_EQ(policy.budget(t0), 100us);
  policy.slept(t0, limit + 1ns, true);
  EXPECT_EQ(policy.budget(t0), 50us);
  policy.slept(t0, 1s, true);
  EXPECT_EQ(policy.budget(t0), 25us);
  policy.slept(t0, 1s, true);
  EXPECT_EQ(policy.budget(t0), 12500ns);
  policy.slept(t0, 1s, true);
  EXPECT_EQ(policy.budget(t0), ns::zero());
}

TEST(idle_spin_policy, a_sleep_that_a_timer_ended_shrinks_it_however_short) {
  contention_window window;
  idle_spin_policy policy(limit, window);
  policy.slept(t0, 1us, true);
  policy.slept(t0, 1us, true);
  ASSERT_EQ(policy.budget(t0), 25us);
  policy.slept(t0, 1us, false);
  EXPECT_EQ(policy.budget(t0), 12500ns);
}

TEST(idle_spin_policy, a_zero_limit_never_spins) {
  contention_window window;
  idle_spin_policy policy(ns::zero(), window);
  for (int i = 0; i < 10; ++i) policy.slept(t0, ns::zero(), true);
  EXPECT_EQ(policy.budget(t0), ns::zero());
}

TEST(idle_spin_policy, a_lost_cpu_stops_every_loop_sharing_the_window_for_a_quiet_period) {
  contention_window window;
  idle_spin_policy a(limit, window), b(limit, window);
  a.slept(t0, 1us, true);
  b.slept(t0, 1us, true);
  a.lost_cpu(t0);
  EXPECT_EQ(a.budget(t0), ns::zero());
  EXPECT_EQ(b.budget(t0 + contention_window::first_quiet - 1ns), ns::zero());
  EXPECT_EQ(b.budget(t0 + contention_window::first_quiet), 12500ns);     // b kept its budget
  EXPECT_EQ(a.budget(t0 + contention_window::first_quiet), ns::zero());  // a's was dropped
}

TEST(idle_spin_policy, no_growth_during_a_quiet_period) {
  contention_window window;
  idle_spin_policy policy(limit, window);
  window.lost_cpu(t0);
  policy.slept(t0 + 1us, 1us, true);
  EXPECT_EQ(policy.budget(t0 + 1s), ns::zero());
  policy.slept(t0 + 1s, 1us, true);
  EXPECT_EQ(policy.budget(t0 + 1s), 12500ns);
}

TEST(contention_window, quiet_periods_double_while_losses_continue_up_to_a_second) {
  contention_window window;
  ns now = t0;
  ns length = contention_window::first_quiet;
  for (int i = 0; i < 14; ++i) {
    window.lost_cpu(now);
    EXPECT_TRUE(window.quiet(now + length - 1ns)) << "loss " << i;
    EXPECT_FALSE(window.quiet(now + length)) << "loss " << i;
    now += length;  // the next loss comes as the period ends
    length = std::min(length * 2, ns(contention_window::longest_quiet));
  }
  EXPECT_EQ(length, contention_window::longest_quiet);
}

TEST(contention_window, a_loss_within_the_last_periods_length_after_it_doubles_it) {
  contention_window window;
  window.lost_cpu(t0);        // 1 ms, to t0 + 1 ms
  window.lost_cpu(t0 + 2ms);  // 1 ms after it ended: 2 ms, to t0 + 4 ms
  EXPECT_TRUE(window.quiet(t0 + 4ms - 1ns));
  EXPECT_FALSE(window.quiet(t0 + 4ms));
}

TEST(contention_window, a_loss_longer_than_the_last_periods_length_after_it_starts_over) {
  contention_window window;
  window.lost_cpu(t0);
  window.lost_cpu(t0 + 1ms);
  window.lost_cpu(t0 + 3ms);  // a 4 ms period, to t0 + 7 ms
  ASSERT_TRUE(window.quiet(t0 + 7ms - 1ns));
  ns later = t0 + 7ms + 4ms + 1ns;
  window.lost_cpu(later);
  EXPECT_TRUE(window.quiet(later + contention_window::first_quiet - 1ns));
  EXPECT_FALSE(window.quiet(later + contention_window::first_quiet));
}

// A loop's budget grows only through woke(), after a sleep no longer than
// the limit: a limit of a minute makes that so however slow the machine.
// Each spin has a window of its own (the process's may be quiet after
// another test's loop lost its CPU).
constexpr ns long_limit = std::chrono::minutes(1);

TEST(idle_spin, without_a_budget_it_returns_at_once_and_leaves_the_timeout_alone) {
  contention_window window;
  idle_spin spin(long_limit, window);
  std::atomic<bool> pending{true};
  std::optional<ns> timeout = 5s;
  EXPECT_FALSE(spin.spin(pending, timeout));
  EXPECT_EQ(timeout, 5s);
}

// A loop that slept once, without a spin, and a message woke it at once.
class spinning_loop : public testing::Test {
 protected:
  void SetUp() override {
    std::optional<ns> forever;
    ASSERT_FALSE(spin.spin(pending, forever));
    spin.woke(true);
  }
  contention_window window;
  idle_spin spin{long_limit, window};
  std::atomic<bool> pending{false};
};

TEST_F(spinning_loop, ends_its_spin_at_a_pending_message) {
  pending = true;
  std::optional<ns> forever;
  EXPECT_TRUE(spin.spin(pending, forever));
}

TEST_F(spinning_loop, stops_by_the_timeout_and_takes_the_time_it_spun_off_it) {
  std::optional<ns> timeout = 2ms;
  auto before = std::chrono::steady_clock::now();
  EXPECT_FALSE(spin.spin(pending, timeout));
  ns passed = std::chrono::steady_clock::now() - before;
  ASSERT_TRUE(timeout.has_value());
  EXPECT_LT(*timeout, 2ms);
  EXPECT_LE(2ms - *timeout, passed);
}

TEST_F(spinning_loop, leaves_none_of_a_timeout_its_spin_reached) {
  std::optional<ns> timeout = 1us;
  EXPECT_FALSE(spin.spin(pending, timeout));
  EXPECT_EQ(timeout, ns::zero());
}

TEST(idle_spin, a_zero_limit_never_spins) {
  contention_window window;
  idle_spin spin(ns::zero(), window);
  std::atomic<bool> pending{true};
  std::optional<ns> timeout;
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(spin.spin(pending, timeout));
    spin.woke(true);
  }
}

}  // namespace
