// weft::condition: notify/notify_all, predicates, timeouts, cancellation.
#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "weft/loop.hpp"
#include "weft/sync/condition.hpp"

namespace {

using namespace std::chrono_literals;
using weft::loop;

TEST(condition, notify_wakes_one_waiter_at_a_time_in_fifo_order) {
  loop lp({.virtual_time = true});
  std::vector<std::string> woke;
  lp.run_until_complete([&] {
    weft::condition cv("cv");
    std::vector<weft::task<void>> tasks;
    for (std::string name : {"p", "q", "r"})
      tasks.push_back(weft::spawn([&, name] {
        std::lock_guard g(cv);
        cv.wait();
        woke.push_back(name);
      }));
    weft::yield_now();
    EXPECT_EQ(cv.waiting(), 3u);
    {
      std::lock_guard g(cv);
      cv.notify();
    }
    weft::sleep_for(1s);
    EXPECT_EQ(woke, (std::vector<std::string>{"p"}));
    {
      std::lock_guard g(cv);
      cv.notify_all();
    }
    for (auto& t : tasks) t.join();
    EXPECT_FALSE(cv.locked());
  });
  EXPECT_EQ(woke, (std::vector<std::string>{"p", "q", "r"}));
}

TEST(condition, wait_with_a_predicate_returns_when_it_holds_with_the_mutex_held) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::condition cv;
    std::deque<int> jobs;
    auto consumer = weft::spawn([&] {
      std::vector<int> got;
      while (got.size() < 3) {
        std::lock_guard g(cv);
        cv.wait([&] { return !jobs.empty(); });  // asyncio's cond.wait_for(pred)
        EXPECT_TRUE(cv.locked());
        got.push_back(jobs.front());
        jobs.pop_front();
      }
      return got;
    });
    for (int j = 1; j <= 3; ++j) {
      weft::sleep_for(1s);
      std::lock_guard g(cv);
      jobs.push_back(j * 10);
      cv.notify();
    }
    EXPECT_EQ(consumer.join(), (std::vector<int>{10, 20, 30}));
  });
}

TEST(condition, wait_for_a_duration_times_out_with_the_mutex_held_again) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::condition cv;
    auto t0 = lp.now();
    std::unique_lock g(cv);
    EXPECT_FALSE(cv.wait_for(2s));
    EXPECT_TRUE(cv.locked());
    EXPECT_EQ(lp.now() - t0, 2s);
    bool flag = false;
    lp.call_later(1s, [&] { flag = true; });             // never notifies
    EXPECT_TRUE(cv.wait_for(3s, [&] { return flag; }));  // checked again at the deadline
    EXPECT_EQ(lp.now() - t0, 5s);
    EXPECT_EQ(cv.waiting(), 0u);
  });
}

TEST(condition, a_cancelled_waiter_takes_the_mutex_back_before_raising) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::condition cv("guarded");
    bool locked_in_handler = false;
    auto waiter = weft::spawn([&] {
      std::lock_guard g(cv);
      try {
        cv.wait();
      } catch (const weft::cancelled&) {
        locked_in_handler = cv.locked();
        throw;
      }
    });
    weft::yield_now();
    cv.lock();  // the waiter must queue for it after being cancelled
    waiter.cancel();
    weft::sleep_for(1s);
    EXPECT_FALSE(waiter.done());
    EXPECT_EQ(cv.waiting(), 0u);
    EXPECT_EQ(cv.get_mutex().waiting(), 1u);
    cv.unlock();
    EXPECT_THROW(waiter.join(), weft::cancelled);
    EXPECT_TRUE(locked_in_handler);
    EXPECT_FALSE(cv.locked());
  });
}

TEST(condition, a_notified_waiter_cancelled_before_it_runs_still_returns_normally) {
  loop lp({.virtual_time = true});
  std::vector<std::string> log;
  lp.run_until_complete([&] {
    weft::condition cv;
    auto waiter = weft::spawn([&] {
      std::lock_guard g(cv);
      cv.wait();
      log.push_back("notified");
      weft::yield_now();  // the pending cancellation is delivered here
      log.push_back("not reached");
    });
    weft::yield_now();
    {
      std::lock_guard g(cv);
      cv.notify();
    }
    waiter.cancel();
    EXPECT_THROW(waiter.join(), weft::cancelled);
    EXPECT_FALSE(cv.locked());
  });
  EXPECT_EQ(log, (std::vector<std::string>{"notified"}));
}

TEST(condition, wait_and_notify_without_the_mutex_locked_are_invalid_state) {
  loop lp;
  lp.run_until_complete([&] {
    weft::condition cv("unlocked");
    EXPECT_THROW(cv.wait(), weft::invalid_state);
    EXPECT_THROW(cv.notify(), weft::invalid_state);
    EXPECT_THROW(cv.notify_all(), weft::invalid_state);
  });
}

TEST(condition, two_conditions_may_share_one_mutex) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::mutex m("shared");
    weft::condition not_empty(m, "not_empty");
    weft::condition not_full(m, "not_full");
    std::deque<int> buffer;
    const std::size_t cap = 2;
    auto producer = weft::spawn([&] {
      for (int i = 0; i < 6; ++i) {
        std::lock_guard g(m);
        not_full.wait([&] { return buffer.size() < cap; });
        buffer.push_back(i);
        not_empty.notify();
      }
    });
    std::vector<int> got;
    while (got.size() < 6) {
      std::lock_guard g(m);
      not_empty.wait([&] { return !buffer.empty(); });
      EXPECT_LE(buffer.size(), cap);
      got.push_back(buffer.front());
      buffer.pop_front();
      not_full.notify();
    }
    producer.join();
    EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4, 5}));
  });
}

}  // namespace
