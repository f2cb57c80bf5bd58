// weft::cross_task and spawn_on: joins, failures and cancellation across
// loops.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "weft/runtime.hpp"

namespace {

using namespace std::chrono_literals;

TEST(cross_task, a_join_from_another_loop_returns_the_value) {
  weft::runtime rt({.loops = 2});
  auto v = rt.run([&] {
    auto t =
        weft::spawn_on(rt.loop_at(1), [] { return "from loop " + std::to_string(weft::runtime::current_index()); });
    return t.join();
  });
  EXPECT_EQ(v, "from loop 1");
}

TEST(cross_task, a_join_of_a_failing_task_rethrows_its_exception) {
  weft::runtime rt({.loops = 2});
  rt.run([&] {
    auto t = weft::spawn_on(rt.loop_at(1), []() -> int { throw std::out_of_range("bad index 7"); });
    try {
      t.join();
      ADD_FAILURE() << "no exception";
    } catch (const std::out_of_range& e) {
      EXPECT_STREQ(e.what(), "bad index 7");
    }
    EXPECT_TRUE(t.done());
    EXPECT_FALSE(t.cancelled());
    EXPECT_THROW(t.result(), std::out_of_range);  // kept for every later look
  });
}

TEST(cross_task, result_before_it_is_done_raises_invalid_state) {
  weft::runtime rt({.loops = 2});
  rt.run([&] {
    weft::cross_event go;
    auto t = weft::spawn_on(rt.loop_at(1), [&] {
      go.wait();
      return 1;
    });
    EXPECT_FALSE(t.done());
    EXPECT_THROW(t.result(), weft::invalid_state);
    go.set();
    EXPECT_EQ(t.join(), 1);
    EXPECT_EQ(t.result(), 1);
  });
}

TEST(cross_task, cancel_reaches_a_task_on_another_loop) {
  weft::runtime rt({.loops = 2});
  rt.run([&] {
    weft::cross_event asleep;
    auto t = weft::spawn_on(rt.loop_at(1), [&] {
      asleep.set();
      weft::sleep_for(1h);
    });
    asleep.wait();
    EXPECT_TRUE(t.cancel());
    EXPECT_THROW(t.join(), weft::cancelled);
    EXPECT_TRUE(t.cancelled());
    EXPECT_FALSE(t.cancel());  // done
  });
}

TEST(cross_task, a_task_cancelled_before_it_started_ends_cancelled) {
  weft::runtime rt({.loops = 2});
  rt.run([&] {
    std::atomic<bool> ran{false};
    std::atomic<bool> posted{false};
    weft::cross_event blocking;
    // Holds loop 1's thread (not just a fiber) until both messages are
    // queued, so that it takes them in one batch: the start, then the cancel.
    auto blocker = weft::spawn_on(rt.loop_at(1), [&] {
      blocking.set();
      while (!posted.load()) std::this_thread::yield();
    });
    blocking.wait();
    auto t = weft::spawn_on(rt.loop_at(1), [&] { ran = true; });
    t.cancel();
    posted = true;
    blocker.join();
    EXPECT_THROW(t.join(), weft::cancelled);
    EXPECT_FALSE(ran.load());
  });
}

TEST(cross_task, cancelling_a_joiner_cancels_the_joined_task_on_the_other_loop) {
  weft::runtime rt({.loops = 2});
  rt.run([&] {
    weft::cross_event asleep;
    auto far = weft::spawn_on(rt.loop_at(1), [&] {
      asleep.set();
      weft::sleep_for(1h);
    });
    auto joiner = weft::spawn([&] { far.join(); });
    asleep.wait();
    weft::yield_now();  // the joiner is waiting now
    joiner.cancel();
    EXPECT_THROW(joiner.join(), weft::cancelled);
    EXPECT_TRUE(far.done());
    EXPECT_TRUE(far.cancelled());
  });
}

TEST(cross_task, a_cross_join_suspends_only_the_joining_task) {
  weft::runtime rt({.loops = 2});
  rt.run([&] {
    weft::cross_event release;
    auto far = weft::spawn_on(rt.loop_at(1), [&] {
      release.wait();
      return 5;
    });
    auto joiner = weft::spawn([&] { return far.join(); });
    // Loop 0 goes on running its other tasks while the joiner waits.
    auto local = weft::spawn([] { return 2; });
    EXPECT_EQ(local.join(), 2);
    EXPECT_FALSE(joiner.done());
    release.set();
    EXPECT_EQ(joiner.join(), 5);
  });
}

TEST(cross_task, a_move_only_result_is_taken_once) {
  weft::runtime rt({.loops = 2});
  rt.run([&] {
    auto t = weft::spawn_on(rt.loop_at(1), [] { return std::make_unique<int>(9); });
    EXPECT_EQ(*t.join(), 9);
    EXPECT_THROW(t.result(), weft::invalid_state);
  });
}

TEST(cross_task, an_empty_handle_raises_invalid_state) {
  weft::cross_task<int> t;
  EXPECT_FALSE(t.valid());
  EXPECT_THROW(t.done(), weft::invalid_state);
  EXPECT_THROW(t.cancel(), weft::invalid_state);
}

}  // namespace
