// weft::queue<T>: FIFO items and waiters, bounds, timeouts, cancellation,
// task_done/join.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "weft/loop.hpp"
#include "weft/sync/queue.hpp"
#include "weft/timeout.hpp"

namespace {

using namespace std::chrono_literals;
using weft::loop;

TEST(queue, items_come_out_in_the_order_they_went_in) {
  loop lp;
  lp.run_until_complete([] {
    weft::queue<int> q;
    for (int i = 0; i < 5; ++i) q.put(i);
    EXPECT_EQ(q.size(), 5u);
    EXPECT_FALSE(q.full());  // unbounded
    std::vector<int> got;
    while (!q.empty()) got.push_back(q.get());
    EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4}));
  });
}

TEST(queue, get_suspends_until_an_item_is_put) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::queue<std::string> q(0, "inbox");
    auto t0 = lp.now();
    auto producer = weft::spawn([&] {
      weft::sleep_for(3s);
      q.put("hello");
    });
    EXPECT_EQ(q.get(), "hello");
    EXPECT_EQ(lp.now() - t0, 3s);
    producer.join();
  });
}

TEST(queue, put_suspends_while_a_bounded_queue_is_full) {
  loop lp({.virtual_time = true});
  std::vector<std::string> trace;
  lp.run_until_complete([&] {
    weft::queue<int> q(2);
    auto t0 = lp.now();
    auto producer = weft::spawn([&] {
      for (int i = 0; i < 4; ++i) {
        q.put(i);
        trace.push_back("put " + std::to_string(i) + " at " +
                        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(lp.now() - t0).count()));
      }
    });
    weft::sleep_for(5s);
    EXPECT_TRUE(q.full());
    EXPECT_EQ(q.putters_waiting(), 1u);
    EXPECT_EQ(q.get(), 0);  // frees a place: item 2 takes it at once
    EXPECT_TRUE(q.full());
    weft::sleep_for(5s);
    EXPECT_EQ(q.get(), 1);
    EXPECT_EQ(q.get(), 2);
    EXPECT_EQ(q.get(), 3);
    producer.join();
  });
  EXPECT_EQ(trace, (std::vector<std::string>{"put 0 at 0", "put 1 at 0", "put 2 at 5", "put 3 at 10"}));
}

TEST(queue, waiting_getters_are_served_in_fifo_order) {
  loop lp({.virtual_time = true});
  std::vector<std::string> got;
  lp.run_until_complete([&] {
    weft::queue<int> q;
    std::vector<weft::task<void>> tasks;
    for (std::string name : {"g1", "g2", "g3"})
      tasks.push_back(weft::spawn([&, name] { got.push_back(name + "=" + std::to_string(q.get())); }));
    weft::yield_now();
    EXPECT_EQ(q.getters_waiting(), 3u);
    q.put(10);
    EXPECT_EQ(q.try_get(), std::nullopt);  // 10 is g1's already
    q.put(20);
    q.put(30);
    for (auto& t : tasks) t.join();
  });
  EXPECT_EQ(got, (std::vector<std::string>{"g1=10", "g2=20", "g3=30"}));
}

TEST(queue, try_put_and_try_get_never_wait) {
  loop lp;
  lp.run_until_complete([] {
    weft::queue<std::string> q(1);
    EXPECT_EQ(q.try_get(), std::nullopt);
    std::string a = "first";
    EXPECT_TRUE(q.try_put(std::move(a)));
    std::string b = "second";
    EXPECT_FALSE(q.try_put(std::move(b)));
    EXPECT_EQ(b, "second");  // not moved from when refused
    EXPECT_EQ(q.maxsize(), 1u);
    EXPECT_TRUE(q.full());
    EXPECT_EQ(q.try_get(), "first");
    EXPECT_TRUE(q.empty());
  });
}

TEST(queue, get_with_a_timeout_returns_nullopt_when_nothing_came) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::queue<int> q;
    auto t0 = lp.now();
    EXPECT_EQ(q.try_get_for(2s), std::nullopt);
    EXPECT_EQ(lp.now() - t0, 2s);
    EXPECT_EQ(q.getters_waiting(), 0u);
    lp.call_later(1s, [&] { q.try_put(7); });
    EXPECT_EQ(q.try_get_for(2s), 7);
    EXPECT_EQ(lp.now() - t0, 3s);
  });
}

TEST(queue, with_timeout_around_get_raises_timeout_error_and_leaves_no_getter) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::queue<int> q;
    auto t0 = lp.now();
    EXPECT_THROW(weft::with_timeout(1500ms, [&] { return q.get(); }), weft::timeout_error);
    EXPECT_EQ(lp.now() - t0, 1500ms);
    EXPECT_EQ(q.getters_waiting(), 0u);
    q.put(3);
    EXPECT_EQ(weft::with_timeout(1s, [&] { return q.get(); }), 3);
  });
}

TEST(queue, put_with_a_timeout_leaves_the_item_untouched_when_it_fails) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::queue<std::string> q(1);
    q.put("occupant");
    auto t0 = lp.now();
    std::string item = "late";
    EXPECT_FALSE(q.try_put_for(std::move(item), 3s));
    EXPECT_EQ(item, "late");
    EXPECT_EQ(lp.now() - t0, 3s);
    EXPECT_EQ(q.putters_waiting(), 0u);
    EXPECT_EQ(q.size(), 1u);
  });
}

TEST(queue, a_cancelled_getter_takes_nothing_and_the_next_getter_still_works) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::queue<int> q(0, "jobs");
    auto first = weft::spawn([&] { return q.get(); });
    auto second = weft::spawn([&] { return q.get(); });
    weft::yield_now();
    first.cancel();
    EXPECT_THROW(first.join(), weft::cancelled);
    EXPECT_EQ(q.getters_waiting(), 1u);
    q.put(42);
    EXPECT_EQ(second.join(), 42);
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.getters_waiting(), 0u);
  });
}

TEST(queue, a_getter_cancelled_in_the_turn_an_item_arrives_does_not_lose_it) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::queue<int> q;
    auto leaving = weft::spawn([&] { return q.get(); });
    auto staying = weft::spawn([&] { return q.get(); });
    weft::yield_now();
    leaving.cancel();  // woken with `cancelled`, not run yet
    q.put(5);          // skips it: goes to `staying`
    EXPECT_THROW(leaving.join(), weft::cancelled);
    EXPECT_EQ(staying.join(), 5);
  });
}

TEST(queue, a_cancelled_putter_puts_nothing) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::queue<int> q(1);
    q.put(1);
    auto putter = weft::spawn([&] { q.put(2); });
    weft::yield_now();
    EXPECT_EQ(q.putters_waiting(), 1u);
    putter.cancel();
    EXPECT_THROW(putter.join(), weft::cancelled);
    EXPECT_EQ(q.putters_waiting(), 0u);
    EXPECT_EQ(q.get(), 1);
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.unfinished(), 1u);
  });
}

TEST(queue, join_waits_until_every_item_is_task_done) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::queue<int> q;
    auto t0 = lp.now();
    q.join();  // nothing unfinished: at once
    for (int i = 1; i <= 3; ++i) q.put(i);
    auto worker = weft::spawn([&] {
      for (;;) {
        int secs = q.get();
        weft::sleep_for(std::chrono::seconds(secs));
        q.task_done();
      }
    });
    q.join();
    EXPECT_EQ(lp.now() - t0, 6s);
    EXPECT_EQ(q.unfinished(), 0u);
    worker.cancel();
    EXPECT_THROW(worker.join(), weft::cancelled);
  });
}

TEST(queue, task_done_more_often_than_put_is_invalid_state) {
  weft::queue<int> q(0, "counted");
  EXPECT_THROW(q.task_done(), weft::invalid_state);
}

TEST(queue, carries_move_only_items) {
  loop lp;
  lp.run_until_complete([] {
    weft::queue<std::unique_ptr<int>> q(1);
    auto consumer = weft::spawn([&] {
      int sum = 0;
      for (int i = 0; i < 3; ++i) sum += *q.get();
      return sum;
    });
    for (int i = 1; i <= 3; ++i) q.put(std::make_unique<int>(i));
    EXPECT_EQ(consumer.join(), 6);
  });
}

}  // namespace
