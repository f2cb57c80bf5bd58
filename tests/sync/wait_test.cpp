// weft::wait and weft::as_completed.
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "weft/gather.hpp"
#include "weft/loop.hpp"

namespace {

using namespace std::chrono_literals;
using weft::loop;

weft::task<int> sleeper(int seconds, std::string name = {}) {
  return weft::spawn(
      [seconds] {
        weft::sleep_for(std::chrono::seconds(seconds));
        return seconds;
      },
      {.name = name});
}

std::vector<int> values(std::vector<weft::task<int>>& tasks) {
  std::vector<int> v;
  for (auto& t : tasks) v.push_back(t.result());
  return v;
}

TEST(wait, all_completed_returns_every_task_done_in_completion_order) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    std::vector<weft::task<int>> tasks{sleeper(3), sleeper(1), sleeper(2)};
    auto t0 = lp.now();
    auto [done, pending] = weft::wait(tasks);
    EXPECT_EQ(lp.now() - t0, 3s);
    EXPECT_EQ(values(done), (std::vector<int>{1, 2, 3}));
    EXPECT_TRUE(pending.empty());
  });
}

TEST(wait, first_completed_returns_as_soon_as_one_is_done) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    std::vector<weft::task<int>> tasks{sleeper(3), sleeper(1), sleeper(2)};
    auto t0 = lp.now();
    auto r = weft::wait(tasks, weft::return_when::first_completed);
    EXPECT_EQ(lp.now() - t0, 1s);
    EXPECT_EQ(values(r.done), (std::vector<int>{1}));
    ASSERT_EQ(r.pending.size(), 2u);
    EXPECT_FALSE(r.pending[0].done());
    EXPECT_EQ(r.pending[0].join(), 3);  // order given; nothing was cancelled
    EXPECT_EQ(r.pending[1].result(), 2);
  });
}

TEST(wait, first_completed_with_one_already_done_returns_at_once) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    auto quick = weft::spawn([] { return 0; });
    quick.join();
    std::vector<weft::task<int>> tasks{sleeper(5), quick};
    auto t0 = lp.now();
    auto r = weft::wait(tasks, weft::return_when::first_completed);
    EXPECT_EQ(lp.now() - t0, 0s);
    ASSERT_EQ(r.done.size(), 1u);
    EXPECT_EQ(r.done[0].result(), 0);
    tasks[0].cancel();
  });
}

TEST(wait, first_exception_returns_at_the_first_failure_but_not_for_a_cancellation) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    auto cancelled_early = sleeper(10);
    auto failing = weft::spawn([]() -> int {
      weft::sleep_for(2s);
      throw std::runtime_error("fail");
    });
    std::vector<weft::task<int>> tasks{sleeper(1), cancelled_early, failing, sleeper(4)};
    lp.call_later(500ms, [cancelled_early]() mutable { cancelled_early.cancel(); });
    auto t0 = lp.now();
    auto r = weft::wait(tasks, weft::return_when::first_exception);
    EXPECT_EQ(lp.now() - t0, 2s);
    ASSERT_EQ(r.done.size(), 3u);
    EXPECT_TRUE(r.done[0].cancelled());
    EXPECT_EQ(r.done[1].result(), 1);
    EXPECT_THROW(r.done[2].result(), std::runtime_error);
    ASSERT_EQ(r.pending.size(), 1u);
    EXPECT_EQ(r.pending[0].join(), 4);
  });
}

TEST(wait, first_exception_without_failures_is_all_completed) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    std::vector<weft::task<int>> tasks{sleeper(2), sleeper(1)};
    auto t0 = lp.now();
    auto r = weft::wait(tasks, weft::return_when::first_exception);
    EXPECT_EQ(lp.now() - t0, 2s);
    EXPECT_EQ(r.done.size(), 2u);
  });
}

TEST(wait, a_timeout_returns_what_is_done_and_cancels_nothing) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    std::vector<weft::task<int>> tasks{sleeper(1), sleeper(5), sleeper(2)};
    auto t0 = lp.now();
    auto r = weft::wait(tasks, weft::return_when::all_completed, 3s);
    EXPECT_EQ(lp.now() - t0, 3s);
    EXPECT_EQ(values(r.done), (std::vector<int>{1, 2}));
    ASSERT_EQ(r.pending.size(), 1u);
    EXPECT_FALSE(r.pending[0].cancelled());
    EXPECT_EQ(r.pending[0].join(), 5);  // its waiter from wait() is gone: no dangling joiner
  });
}

TEST(wait, cancelling_the_waiting_task_leaves_the_tasks_running) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    std::vector<weft::task<int>> tasks{sleeper(5), sleeper(6)};
    auto waiter = weft::spawn([&] { weft::wait(tasks); });
    weft::sleep_for(1s);
    waiter.cancel();
    EXPECT_THROW(waiter.join(), weft::cancelled);
    EXPECT_EQ(weft::gather(tasks), (std::vector<int>{5, 6}));
  });
}

TEST(wait, an_empty_set_is_done_at_once) {
  loop lp;
  lp.run_until_complete([&] {
    auto r = weft::wait(std::vector<weft::task<int>>{});
    EXPECT_TRUE(r.done.empty());
    EXPECT_TRUE(r.pending.empty());
  });
}

TEST(wait, a_task_cannot_wait_for_itself) {
  loop lp;
  lp.run_until_complete([&] {
    std::vector<weft::task<void>> self;
    auto t = weft::spawn([&] { weft::wait(self); });
    self.push_back(t);
    EXPECT_THROW(t.join(), weft::invalid_state);
  });
}

TEST(as_completed, yields_tasks_in_the_order_they_finish) {
  loop lp({.virtual_time = true});
  std::vector<std::string> order;
  lp.run_until_complete([&] {
    std::vector<weft::task<int>> tasks{sleeper(3, "three"), sleeper(1, "one"), sleeper(2, "two")};
    auto t0 = lp.now();
    for (auto& t : weft::as_completed(tasks)) {
      auto at = std::chrono::duration_cast<std::chrono::seconds>(lp.now() - t0).count();
      order.push_back(std::string(t.name()) + "@" + std::to_string(at));
    }
  });
  EXPECT_EQ(order, (std::vector<std::string>{"one@1", "two@2", "three@3"}));
}

TEST(as_completed, tasks_finishing_in_the_same_turn_come_in_the_order_they_finished) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    auto a = sleeper(1, "a");  // a's timer was set first: it finishes first
    auto b = sleeper(1, "b");
    auto c = sleeper(1, "c");
    auto order = weft::as_completed(std::vector<weft::task<int>>{c, b, a});
    std::vector<std::string> names;
    while (auto t = order.next()) names.push_back(std::string(t->name()));
    EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(order.remaining(), 0u);
  });
}

TEST(as_completed, a_body_that_waits_elsewhere_is_not_woken_early) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    std::vector<weft::task<int>> tasks{sleeper(1), sleeper(2), sleeper(3)};
    auto t0 = lp.now();
    std::vector<long> seen_at;
    auto order = weft::as_completed(tasks);
    while (auto t = order.next()) {
      seen_at.push_back(std::chrono::duration_cast<std::chrono::seconds>(lp.now() - t0).count());
      weft::sleep_for(10s);  // the others finish meanwhile; this sleep must last
    }
    EXPECT_EQ(seen_at, (std::vector<long>{1, 11, 21}));
  });
}

TEST(as_completed, raises_timeout_error_past_the_deadline) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    std::vector<weft::task<int>> tasks{sleeper(1), sleeper(10)};
    auto order = weft::as_completed(tasks, 5s);
    auto first = order.next();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->result(), 1);
    auto t0 = lp.now();
    EXPECT_THROW(order.next(), weft::timeout_error);
    EXPECT_EQ(lp.now() - t0, 4s);
    EXPECT_FALSE(tasks[1].cancelled());
    tasks[1].cancel();
  });
}

TEST(as_completed, dropping_it_early_leaves_no_waiter_in_the_tasks) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    std::vector<weft::task<int>> tasks{sleeper(1), sleeper(2)};
    {
      auto order = weft::as_completed(tasks);
      EXPECT_EQ(order.next()->result(), 1);
    }
    EXPECT_EQ(tasks[1].join(), 2);
  });
}

TEST(as_completed, dropping_it_before_its_deadline_cancels_the_deadline_timer) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    std::vector<weft::task<int>> tasks{sleeper(1), sleeper(5)};
    {
      auto order = weft::as_completed(tasks, 3s);
      auto moved = std::move(order);  // the timer follows the watch it stops
      EXPECT_EQ(moved.next()->result(), 1);
    }
    weft::sleep_for(3s);  // past the deadline: the timer must not run
    EXPECT_EQ(tasks[1].join(), 5);
  });
}

TEST(as_completed, cancelling_the_consumer_raises_cancelled_and_cancels_no_task) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    std::vector<weft::task<int>> tasks{sleeper(3)};
    auto consumer = weft::spawn([&] {
      for (auto& t : weft::as_completed(tasks)) t.result();
    });
    weft::sleep_for(1s);
    consumer.cancel();
    EXPECT_THROW(consumer.join(), weft::cancelled);
    EXPECT_EQ(tasks[0].join(), 3);
  });
}

}  // namespace
