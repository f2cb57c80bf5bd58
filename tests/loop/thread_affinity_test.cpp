// A loop, its tasks, timers and the sync primitives its tasks use are bound
// to the loop's thread. Used from another thread, each fails loudly, naming
// the operation: an exception where the caller can recover, an abort where
// the operation cannot throw (issue 16, item 4). Only call_soon_threadsafe
// is meant for other threads.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "weft/error.hpp"
#include "weft/loop.hpp"
#include "weft/sync/event.hpp"
#include "weft/task.hpp"

namespace {

using namespace std::chrono_literals;
using weft::loop;

// Runs fn on a new thread and returns the message of the invalid_state it
// raised ("" if none).
template <class F>
std::string invalid_state_on_another_thread(F fn) {
  std::string message = "";
  std::thread other([&] {
    try {
      fn();
    } catch (const weft::invalid_state& e) {
      message = e.what();
    }
  });
  other.join();
  return message;
}

TEST(thread_affinity, spawn_from_another_thread_raises_invalid_state_naming_it) {
  loop lp({.virtual_time = true});
  std::string message = invalid_state_on_another_thread([&] { lp.spawn([] {}); });
  EXPECT_NE(message.find("loop::spawn"), std::string::npos) << message;
  EXPECT_NE(message.find("thread"), std::string::npos) << message;
}

TEST(thread_affinity, call_soon_and_call_later_from_another_thread_raise_invalid_state) {
  loop lp({.virtual_time = true});
  std::string soon = invalid_state_on_another_thread([&] { lp.call_soon([] {}); });
  EXPECT_NE(soon.find("loop::call_soon"), std::string::npos) << soon;
  std::string later = invalid_state_on_another_thread([&] { lp.call_later(1s, [] {}); });
  EXPECT_NE(later.find("loop::call_at"), std::string::npos) << later;
  // The one meant for other threads still works.
  std::thread other([&] { lp.call_soon_threadsafe([] {}); });
  other.join();
}

TEST(thread_affinity, running_a_loop_on_another_thread_raises_invalid_state) {
  loop lp({.virtual_time = true});
  std::string message = invalid_state_on_another_thread([&] { lp.run_until_complete([] {}); });
  EXPECT_NE(message.find("thread"), std::string::npos) << message;
}

TEST(thread_affinity, task_handle_operations_from_another_thread_raise_invalid_state) {
  loop lp({.virtual_time = true});
  auto t = lp.spawn([] { return 1; });
  lp.run_until_complete([&] { return t.join(); });
  for (auto op : {+[](weft::task<int>& h) { (void)h.result(); }, +[](weft::task<int>& h) { (void)h.cancel(); },
                  +[](weft::task<int>& h) { (void)h.done(); }}) {
    std::string message = invalid_state_on_another_thread([&] { op(t); });
    EXPECT_NE(message.find("another thread"), std::string::npos) << message;
  }
  EXPECT_EQ(t.result(), 1);  // on its own thread, as before
}

TEST(thread_affinity_death, event_set_from_another_thread_aborts_naming_the_event) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        loop lp({.virtual_time = true});
        weft::event ready;
        lp.run_until_complete([&] {
          // The waiter binds the event to this thread; set() from another
          // one used to lose the wake-up silently.
          auto waiter = weft::spawn([&] { ready.wait(); });
          weft::yield_now();
          std::thread other([&] { ready.set(); });
          other.join();
          waiter.join();
        });
      },
      "weft: event used on a thread other than its loop's");
}

TEST(thread_affinity_death, cancelling_a_timer_from_another_thread_aborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        loop lp({.virtual_time = true});
        weft::timer_handle h = lp.call_later(1s, [] {});
        std::thread other([&] { h.cancel(); });
        other.join();
      },
      "weft: timer_handle::cancel on a thread other than its loop's");
}

}  // namespace
