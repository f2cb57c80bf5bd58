// asyncio's return values and exception types for the sync primitives and
// queues (issue 17 items 18 and 20): each test names the Python construct
// it mirrors.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <type_traits>

#include "weft/error.hpp"
#include "weft/loop.hpp"
#include "weft/sync/condition.hpp"
#include "weft/sync/event.hpp"
#include "weft/sync/queue.hpp"
#include "weft/sync/semaphore.hpp"

namespace {

using namespace std::chrono_literals;
using weft::loop;

// `await event.wait()` returns True.
TEST(asyncio_sync, event_wait_returns_true) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([] {
    weft::event e;
    auto waiter = weft::spawn([&] { return e.wait(); });
    weft::yield_now();
    e.set();
    EXPECT_TRUE(waiter.join());
    EXPECT_TRUE(e.wait());  // already set
  });
}

// `await cond.wait_for(pred)` returns the predicate's last value (weft:
// cond.wait(pred); wait_for always means "with a timeout" in weft).
TEST(asyncio_sync, condition_wait_with_a_predicate_returns_its_value) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([] {
    weft::condition cv;
    int jobs = 0;
    auto waiter = weft::spawn([&] {
      std::lock_guard g(cv);
      return cv.wait([&] { return jobs; });
    });
    weft::yield_now();
    {
      std::lock_guard g(cv);
      jobs = 3;
      cv.notify();
    }
    static_assert(std::is_same_v<decltype(waiter.join()), int>);
    EXPECT_EQ(waiter.join(), 3);
  });
}

}  // namespace
