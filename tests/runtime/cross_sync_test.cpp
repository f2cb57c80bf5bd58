// weft::cross_event and weft::cross_semaphore between loops.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <vector>

#include "weft/runtime.hpp"

namespace {

TEST(cross_event, set_on_one_loop_wakes_waiters_on_every_loop) {
  weft::runtime rt({.loops = 2});
  rt.run([&] {
    weft::cross_event ev("ev");
    std::vector<weft::cross_task<bool>> waiters;
    for (int k = 0; k < 4; ++k) waiters.push_back(weft::spawn_on(rt.loop_at(k % 2), [&] { return ev.wait(); }));
    while (ev.waiting() < 4) weft::yield_now();
    weft::spawn_on(rt.loop_at(1), [&] { ev.set(); }).join();
    for (auto& w : waiters) EXPECT_TRUE(w.join());
    EXPECT_TRUE(ev.is_set());
    EXPECT_TRUE(ev.wait());  // set: at once
    ev.clear();
    EXPECT_FALSE(ev.is_set());
  });
}

TEST(cross_event, a_cancelled_waiter_leaves_nothing_behind) {
  weft::runtime rt({.loops = 2});
  rt.run([&] {
    weft::cross_event ev;
    auto w = weft::spawn_on(rt.loop_at(1), [&] { ev.wait(); });
    while (ev.waiting() == 0) weft::yield_now();
    w.cancel();
    EXPECT_THROW(w.join(), weft::cancelled);
    EXPECT_EQ(ev.waiting(), 0u);
    ev.set();
  });
}

TEST(cross_semaphore, bounds_the_tasks_holding_a_permit_across_loops) {
  weft::runtime rt({.loops = 2});
  rt.run([&] {
    weft::cross_semaphore slots(2, "slots");
    std::atomic<int> inside{0};
    std::atomic<int> most{0};
    std::vector<weft::cross_task<void>> tasks;
    for (int k = 0; k < 8; ++k)
      tasks.push_back(weft::spawn_on(rt.loop_at(k % 2), [&] {
        for (int round = 0; round < 50; ++round) {
          std::lock_guard<weft::cross_semaphore> permit(slots);
          int now = ++inside;
          int seen = most.load();
          while (now > seen && !most.compare_exchange_weak(seen, now)) {
          }
          weft::yield_now();
          --inside;
        }
      }));
    for (auto& t : tasks) t.join();
    EXPECT_EQ(most.load(), 2);
    EXPECT_EQ(slots.value(), 2u);
  });
}

TEST(cross_semaphore, a_cancelled_acquire_takes_no_permit) {
  weft::runtime rt({.loops = 2});
  rt.run([&] {
    weft::cross_semaphore sem(0);
    auto w = weft::spawn_on(rt.loop_at(1), [&] { sem.acquire(); });
    while (sem.waiting() == 0) weft::yield_now();
    w.cancel();
    EXPECT_THROW(w.join(), weft::cancelled);
    sem.release();
    EXPECT_EQ(sem.value(), 1u);  // nobody took it
    EXPECT_TRUE(sem.try_acquire());
    EXPECT_FALSE(sem.try_acquire());
  });
}

}  // namespace
