// weft::semaphore and bounded_semaphore.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "weft/loop.hpp"
#include "weft/sync/semaphore.hpp"

namespace {

using namespace std::chrono_literals;
using weft::loop;

TEST(semaphore, at_most_value_tasks_hold_a_permit_at_once) {
  loop lp({.virtual_time = true});
  int inside = 0;
  int most_inside = 0;
  std::vector<int> started_at;
  lp.run_until_complete([&] {
    weft::semaphore slots(2, "slots");
    auto t0 = lp.now();
    std::vector<weft::task<void>> tasks;
    for (int i = 0; i < 5; ++i)
      tasks.push_back(weft::spawn([&] {
        std::lock_guard permit(slots);
        started_at.push_back(static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(lp.now() - t0).count()));
        most_inside = std::max(most_inside, ++inside);
        weft::sleep_for(1s);
        --inside;
      }));
    for (auto& t : tasks) t.join();
    EXPECT_EQ(lp.now() - t0, 3s);
    EXPECT_EQ(slots.value(), 2u);
  });
  EXPECT_EQ(most_inside, 2);
  EXPECT_EQ(started_at, (std::vector<int>{0, 0, 1, 1, 2}));
}

TEST(semaphore, release_hands_the_permit_to_the_first_waiter_in_fifo_order) {
  loop lp({.virtual_time = true});
  std::vector<std::string> order;
  lp.run_until_complete([&] {
    weft::semaphore s(0);
    EXPECT_TRUE(s.locked());
    std::vector<weft::task<void>> tasks;
    for (std::string name : {"x", "y", "z"})
      tasks.push_back(weft::spawn([&, name] {
        s.acquire();
        order.push_back(name);
      }));
    weft::yield_now();
    s.release();
    EXPECT_EQ(s.value(), 0u);  // handed to x, not free
    EXPECT_FALSE(s.try_acquire());
    s.release();
    s.release();
    for (auto& t : tasks) t.join();
    EXPECT_EQ(s.value(), 0u);
  });
  EXPECT_EQ(order, (std::vector<std::string>{"x", "y", "z"}));
}

TEST(semaphore, try_acquire_for_times_out_and_takes_nothing) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::semaphore s(0);
    auto t0 = lp.now();
    EXPECT_FALSE(s.try_acquire_for(4s));
    EXPECT_EQ(lp.now() - t0, 4s);
    EXPECT_EQ(s.waiting(), 0u);
    s.release();
    EXPECT_EQ(s.value(), 1u);
    EXPECT_TRUE(s.try_acquire_until(lp.now() + 1s));
    EXPECT_EQ(s.value(), 0u);
  });
}

TEST(semaphore, a_cancelled_waiter_takes_no_permit_and_the_next_waiter_gets_it) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::semaphore s(0, "gate");
    auto a = weft::spawn([&] { s.acquire(); });
    auto b = weft::spawn([&] {
      s.acquire();
      return 2;
    });
    weft::yield_now();
    a.cancel();
    s.release();  // same turn: a is leaving, so b is handed the permit
    EXPECT_THROW(a.join(), weft::cancelled);
    EXPECT_EQ(b.join(), 2);
    EXPECT_EQ(s.value(), 0u);
    EXPECT_EQ(s.waiting(), 0u);
  });
}

TEST(semaphore, a_plain_semaphore_may_be_released_above_its_initial_value) {
  weft::semaphore s(1);
  s.release();
  EXPECT_EQ(s.value(), 2u);
}

TEST(bounded_semaphore, release_above_the_initial_value_is_invalid_state) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::bounded_semaphore s(2, "pool");
    s.acquire();
    s.release();
    EXPECT_EQ(s.value(), 2u);
    try {
      s.release();
      FAIL() << "no error";
    } catch (const weft::invalid_state& e) {
      EXPECT_NE(std::string(e.what()).find("'pool'"), std::string::npos) << e.what();
    }
    EXPECT_EQ(s.value(), 2u);
  });
}

TEST(bounded_semaphore, a_release_handed_to_a_waiter_counts_as_given_back) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::bounded_semaphore s(1);
    s.acquire();
    auto other = weft::spawn([&] {
      s.acquire();
      s.release();
    });
    weft::yield_now();
    s.release();  // to `other`
    other.join();
    EXPECT_EQ(s.value(), 1u);
    EXPECT_THROW(s.release(), weft::invalid_state);
  });
}

}  // namespace
