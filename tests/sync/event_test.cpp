// weft::event: set/clear/wait, FIFO wake-up, timeouts, cancellation.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "weft/loop.hpp"
#include "weft/sync/event.hpp"

namespace {

using namespace std::chrono_literals;
using weft::loop;

TEST(event, set_wakes_every_waiter_in_the_order_they_began_to_wait) {
  loop lp({.virtual_time = true});
  std::vector<std::string> woke;
  lp.run_until_complete([&] {
    weft::event e("go");
    std::vector<weft::task<void>> tasks;
    for (std::string name : {"c", "a", "b"})
      tasks.push_back(weft::spawn([&, name] {
        e.wait();
        woke.push_back(name);
      }));
    weft::sleep_for(1s);
    EXPECT_EQ(e.waiting(), 3u);
    EXPECT_TRUE(woke.empty());
    e.set();
    for (auto& t : tasks) t.join();
    EXPECT_EQ(e.waiting(), 0u);
  });
  EXPECT_EQ(woke, (std::vector<std::string>{"c", "a", "b"}));
}

TEST(event, wait_returns_at_once_while_set_and_blocks_again_after_clear) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::event e;
    e.set();
    auto t0 = lp.now();
    e.wait();
    EXPECT_TRUE(e.wait_for(1s));
    EXPECT_EQ(lp.now() - t0, 0s);
    e.clear();
    EXPECT_FALSE(e.is_set());
    EXPECT_FALSE(e.wait_for(3s));
    EXPECT_EQ(lp.now() - t0, 3s);
  });
}

TEST(event, a_waiter_woken_by_set_returns_true_even_if_cleared_before_it_runs) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::event e;
    auto waiter = weft::spawn([&] { return e.wait_for(10s); });
    weft::yield_now();
    e.set();
    e.clear();
    EXPECT_TRUE(waiter.join());
  });
}

TEST(event, wait_for_times_out_on_the_loop_clock_and_leaves_no_waiter) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::event e;
    auto t0 = lp.now();
    EXPECT_FALSE(e.wait_for(5s));
    EXPECT_EQ(lp.now() - t0, 5s);
    EXPECT_FALSE(e.wait_until(lp.now() + 2s));
    EXPECT_EQ(lp.now() - t0, 7s);
    EXPECT_EQ(e.waiting(), 0u);
  });
}

TEST(event, a_cancelled_waiter_raises_cancelled_and_the_next_waiter_still_wakes) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::event e("flag");
    auto first = weft::spawn([&] { e.wait(); });
    auto second = weft::spawn([&] { return e.wait_for(1h); });
    weft::sleep_for(1s);
    EXPECT_EQ(e.waiting(), 2u);
    first.cancel();
    EXPECT_THROW(first.join(), weft::cancelled);
    EXPECT_TRUE(first.cancelled());
    EXPECT_EQ(e.waiting(), 1u);
    e.set();
    EXPECT_TRUE(second.join());
    EXPECT_EQ(e.waiting(), 0u);
  });
}

TEST(event, cancel_and_set_in_the_same_turn_the_cancel_wins_for_a_task_already_woken) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::event e;
    auto t = weft::spawn([&] { e.wait(); });
    weft::yield_now();
    t.cancel();  // wakes t with `cancelled` first
    e.set();     // t is no longer parked: set() skips it
    EXPECT_THROW(t.join(), weft::cancelled);
    EXPECT_EQ(e.waiting(), 0u);
  });
}

TEST(event, set_then_cancel_in_the_same_turn_the_wait_succeeds_and_cancel_comes_next) {
  loop lp({.virtual_time = true});
  std::vector<std::string> log;
  lp.run_until_complete([&] {
    weft::event e;
    auto t = weft::spawn([&] {
      e.wait();
      log.push_back("woken");
      try {
        weft::sleep_for(1s);
      } catch (const weft::cancelled&) {
        log.push_back("cancelled at the next wait");
        throw;
      }
    });
    weft::yield_now();
    e.set();
    t.cancel();
    EXPECT_THROW(t.join(), weft::cancelled);
  });
  EXPECT_EQ(log, (std::vector<std::string>{"woken", "cancelled at the next wait"}));
}

TEST(event, wait_outside_a_task_is_invalid_state) {
  weft::event e;
  EXPECT_THROW(e.wait(), weft::invalid_state);
}

TEST(event, closing_the_loop_cancels_a_waiter_and_leaves_the_event_clean) {
  weft::event e("outlives the loop");
  {
    loop lp({.virtual_time = true});
    lp.run_until_complete([&] {
      weft::spawn([&] { e.wait(); }).detach();
      weft::yield_now();
      EXPECT_EQ(e.waiting(), 1u);
    });
  }
  EXPECT_EQ(e.waiting(), 0u);
}

TEST(event, a_forced_unwind_of_a_waiter_leaves_no_waiter_behind) {
  weft::event e("stubborn");
  int unwound = 0;
  {
    loop lp({.virtual_time = true, .close_grace = std::chrono::seconds(1)});
    lp.run_until_complete([&] {
      weft::spawn([&] {
        struct count_unwind {
          int& n;
          ~count_unwind() { ++n; }
        } guard{unwound};
        for (;;) {
          try {
            e.wait();
          } catch (const weft::cancelled&) {
            // ignores cancellation: close() must unwind it by force
          }
        }
      }).detach();
      weft::yield_now();
    });
    lp.close();
  }
  EXPECT_EQ(unwound, 1);
  EXPECT_EQ(e.waiting(), 0u);
}

}  // namespace
