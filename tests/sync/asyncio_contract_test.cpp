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

// queue.get_nowait() on an empty queue raises asyncio.QueueEmpty;
// put_nowait() on a full one asyncio.QueueFull. Both are invalid_state.
TEST(asyncio_queue, get_nowait_and_put_nowait_raise_queue_empty_and_queue_full) {
  weft::queue<int> q(1, "q");
  EXPECT_THROW(q.get_nowait(), weft::queue_empty);
  q.put_nowait(1);
  EXPECT_THROW(q.put_nowait(2), weft::queue_full);
  EXPECT_EQ(q.get_nowait(), 1);
  static_assert(std::is_base_of_v<weft::invalid_state, weft::queue_empty>);
  static_assert(std::is_base_of_v<weft::invalid_state, weft::queue_full>);
}

// In Python, q.get_nowait() on an empty queue raises; in weft, *q.try_get()
// on an empty queue raises queue_empty rather than being undefined.
TEST(asyncio_queue, dereferencing_an_empty_try_get_raises_queue_empty) {
  weft::queue<int> q;
  EXPECT_THROW(*q.try_get(), weft::queue_empty);
  std::optional<int> plain = q.try_get();
  EXPECT_FALSE(plain.has_value());
}

// queue.task_done() more often than items were put: ValueError.
TEST(asyncio_queue, too_many_task_done_is_a_value_error) {
  weft::queue<int> q;
  EXPECT_THROW(q.task_done(), weft::value_error);
  static_assert(std::is_base_of_v<weft::invalid_state, weft::value_error>);
}

// BoundedSemaphore.release() above the initial value: ValueError.
TEST(asyncio_sync, over_releasing_a_bounded_semaphore_is_a_value_error) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([] {
    weft::bounded_semaphore s(1, "pool");
    EXPECT_THROW(s.release(), weft::value_error);
  });
}

}  // namespace
