// weft::mutex: exclusion, FIFO hand-off, timeouts, cancellation.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "weft/loop.hpp"
#include "weft/sync/mutex.hpp"

namespace {

using namespace std::chrono_literals;
using weft::loop;

TEST(mutex, holders_follow_each_other_in_the_order_they_asked) {
  loop lp({.virtual_time = true});
  std::vector<std::string> trace;
  lp.run_until_complete([&] {
    weft::mutex m("m");
    auto t0 = lp.now();
    std::vector<weft::task<void>> tasks;
    for (std::string name : {"b", "c", "a"})
      tasks.push_back(weft::spawn([&, name] {
        std::lock_guard guard(m);
        auto at = std::chrono::duration_cast<std::chrono::seconds>(lp.now() - t0).count();
        trace.push_back(name + "@" + std::to_string(at));
        weft::sleep_for(1s);
      }));
    for (auto& t : tasks) t.join();
    EXPECT_FALSE(m.locked());
    EXPECT_EQ(lp.now() - t0, 3s);
  });
  EXPECT_EQ(trace, (std::vector<std::string>{"b@0", "c@1", "a@2"}));
}

TEST(mutex, unlock_hands_the_lock_to_the_first_waiter_so_try_lock_cannot_overtake) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::mutex m;
    m.lock();
    bool waiter_got_it = false;
    auto waiter = weft::spawn([&] {
      m.lock();
      waiter_got_it = true;
      m.unlock();
    });
    weft::yield_now();
    EXPECT_EQ(m.waiting(), 1u);
    m.unlock();
    EXPECT_TRUE(m.locked());  // now the waiter's, though it has not run yet
    EXPECT_FALSE(m.try_lock());
    waiter.join();
    EXPECT_TRUE(waiter_got_it);
    EXPECT_FALSE(m.locked());
    EXPECT_TRUE(m.try_lock());
    m.unlock();
  });
}

TEST(mutex, try_lock_for_gives_up_at_the_deadline) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::mutex m;
    m.lock();
    auto t0 = lp.now();
    auto other = weft::spawn([&] { return m.try_lock_for(2s); });
    EXPECT_FALSE(other.join());
    EXPECT_EQ(lp.now() - t0, 2s);
    EXPECT_EQ(m.waiting(), 0u);
    auto later = weft::spawn([&] {
      bool got = m.try_lock_for(5s);
      if (got) m.unlock();
      return got;
    });
    weft::sleep_for(1s);
    m.unlock();
    EXPECT_TRUE(later.join());
    EXPECT_EQ(lp.now() - t0, 3s);
  });
}

TEST(mutex, a_cancelled_waiter_is_skipped_and_the_next_one_gets_the_lock) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::mutex m("shared");
    m.lock();
    auto b = weft::spawn([&] { std::lock_guard g(m); });
    auto c = weft::spawn([&] {
      std::lock_guard g(m);
      return 3;
    });
    weft::yield_now();
    EXPECT_EQ(m.waiting(), 2u);
    b.cancel();
    EXPECT_THROW(b.join(), weft::cancelled);
    EXPECT_EQ(m.waiting(), 1u);
    m.unlock();
    EXPECT_EQ(c.join(), 3);
    EXPECT_FALSE(m.locked());
    EXPECT_EQ(m.waiting(), 0u);
  });
}

TEST(mutex, a_waiter_cancelled_after_being_handed_the_lock_owns_it_until_its_next_wait) {
  loop lp({.virtual_time = true});
  std::vector<std::string> log;
  lp.run_until_complete([&] {
    weft::mutex m;
    m.lock();
    auto t = weft::spawn([&] {
      std::lock_guard g(m);
      log.push_back(m.locked() ? "holds the lock" : "no lock");
      weft::sleep_for(1s);  // the cancellation arrives here; the guard unlocks
      log.push_back("not reached");
    });
    weft::yield_now();
    m.unlock();  // handed to t
    t.cancel();  // t is queued to run, no longer waiting: delivered later
    EXPECT_THROW(t.join(), weft::cancelled);
    EXPECT_FALSE(m.locked());
  });
  EXPECT_EQ(log, (std::vector<std::string>{"holds the lock"}));
}

TEST(mutex, unlock_of_an_unlocked_mutex_is_invalid_state) {
  weft::mutex m("idle");
  EXPECT_THROW(m.unlock(), weft::invalid_state);
}

TEST(mutex, works_with_unique_lock_and_its_timed_try) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::mutex m;
    std::unique_lock first(m);
    auto other = weft::spawn([&] {
      std::unique_lock second(m, std::defer_lock);
      return second.try_lock_for(1s);
    });
    EXPECT_FALSE(other.join());
    first.unlock();
    EXPECT_FALSE(m.locked());
  });
}

}  // namespace
