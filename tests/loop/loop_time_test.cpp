// Timers, sleep and virtual time.
#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "weft/loop.hpp"

namespace {

using namespace std::chrono_literals;
using weft::loop;

TEST(loop_time, timers_fire_in_deadline_order) {
  loop lp({.virtual_time = true});
  std::vector<int> seen;
  lp.call_later(20ms, [&] { seen.push_back(2); });
  lp.call_later(10ms, [&] { seen.push_back(1); });
  lp.run_until_complete([] { weft::sleep_for(30ms); });
  EXPECT_EQ(seen, (std::vector<int>{1, 2}));
}

TEST(loop_time, equal_deadlines_fire_in_scheduling_order) {
  loop lp({.virtual_time = true});
  std::vector<int> seen;
  auto at = lp.now() + 1s;
  for (int i = 0; i < 5; ++i) lp.call_at(at, [&seen, i] { seen.push_back(i); });
  lp.run_until_complete([] { weft::sleep_for(2s); });
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(loop_time, cancelled_timer_never_runs_and_cancel_after_run_is_a_no_op) {
  loop lp({.virtual_time = true});
  int runs = 0;
  auto a = lp.call_later(1s, [&] { ++runs; });
  auto b = lp.call_later(2s, [&] { runs += 10; });
  EXPECT_TRUE(a.cancel());
  EXPECT_TRUE(a.cancelled());
  EXPECT_FALSE(a.cancel());
  lp.run_until_complete([] { weft::sleep_for(3s); });
  EXPECT_EQ(runs, 10);
  EXPECT_TRUE(b.done());
  EXPECT_FALSE(b.cancel());
}

TEST(loop_time, a_day_of_virtual_time_passes_instantly_and_exactly) {
  loop lp({.virtual_time = true});
  auto start = lp.now();
  int wakeups = lp.run_until_complete([] {
    int n = 0;
    for (int hour = 0; hour < 24; ++hour) {
      weft::sleep_for(1h);
      ++n;
    }
    return n;
  });
  EXPECT_EQ(wakeups, 24);
  EXPECT_EQ(lp.now() - start, 24h);
}

TEST(loop_time, virtual_clock_stands_still_while_tasks_are_runnable) {
  loop lp({.virtual_time = true});
  auto start = lp.now();
  lp.run_until_complete([] {
    for (int i = 0; i < 1000; ++i) weft::yield_now();
  });
  EXPECT_EQ(lp.now(), start);
}

TEST(loop_time, wall_clock_follows_virtual_time_from_the_given_start) {
  auto start = std::chrono::sys_days{std::chrono::year{2026} / 3 / 8} + 6h;
  loop lp({.virtual_time = true, .virtual_wall_start = start});
  EXPECT_EQ(lp.wall_now(), start);
  lp.run_until_complete([] { weft::sleep_for(90min); });
  EXPECT_EQ(lp.wall_now(), start + 90min);
}

TEST(loop_time, sleep_until_wakes_at_the_instant_and_sleepers_wake_in_order) {
  loop lp({.virtual_time = true});
  auto t0 = lp.now();
  std::vector<std::pair<int, loop::duration>> woke;
  lp.run_until_complete([&] {
    std::vector<weft::task<void>> ts;
    for (int i : {3, 1, 2})
      ts.push_back(weft::spawn([&, i] {
        weft::sleep_until(t0 + i * 1s);
        woke.emplace_back(i, lp.now() - t0);
      }));
    for (auto& t : ts) t.join();
  });
  EXPECT_EQ(woke, (std::vector<std::pair<int, loop::duration>>{{1, 1s}, {2, 2s}, {3, 3s}}));
}

TEST(loop_time, real_time_sleep_waits_at_least_its_duration) {
  loop lp;
  auto t0 = std::chrono::steady_clock::now();
  lp.run_until_complete([] { weft::sleep_for(20ms); });
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 20ms);
}

}  // namespace
