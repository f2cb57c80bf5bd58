// The timing claims of the asyncio examples (examples/asyncio/), asserted on
// virtual time: the example programs check their exact output, these check
// the elapsed seconds behind it.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "weft/gather.hpp"
#include "weft/loop.hpp"
#include "weft/sync/queue.hpp"

namespace {

using namespace std::chrono_literals;
using weft::loop;

struct say_after {
  std::vector<std::string>& said;
  void operator()(std::chrono::seconds delay, std::string message) const {
    weft::sleep_for(delay);
    said.push_back(std::move(message));
  }
};

TEST(asyncio_examples, say_after_one_after_the_other_takes_two_seconds) {
  loop lp({.virtual_time = true});
  std::vector<std::string> said;
  say_after say{said};
  auto t0 = lp.now();
  lp.run_until_complete([&] {
    say(1s, "Hello");
    say(1s, "World");
  });
  EXPECT_EQ(lp.now() - t0, 2s);
  EXPECT_EQ(said, (std::vector<std::string>{"Hello", "World"}));
}

TEST(asyncio_examples, say_after_as_two_tasks_takes_one_second) {
  loop lp({.virtual_time = true});
  std::vector<std::string> said;
  say_after say{said};
  auto t0 = lp.now();
  lp.run_until_complete([&] {
    auto task1 = weft::spawn([&] { say(1s, "Task1"); });
    auto task2 = weft::spawn([&] { say(1s, "Task2"); });
    task1.join();
    task2.join();
  });
  EXPECT_EQ(lp.now() - t0, 1s);
  EXPECT_EQ(said, (std::vector<std::string>{"Task1", "Task2"}));
}

TEST(asyncio_examples, gather_of_two_one_second_coroutines_takes_one_second) {
  loop lp({.virtual_time = true});
  std::vector<std::string> said;
  say_after say{said};
  auto t0 = lp.now();
  lp.run_until_complete([&] { weft::gather([&] { say(1s, "hello"); }, [&] { say(1s, "world"); }); });
  EXPECT_EQ(lp.now() - t0, 1s);
  EXPECT_EQ(said, (std::vector<std::string>{"hello", "world"}));
}

TEST(asyncio_examples, outer_chains_phase1_and_phase2_and_returns_both_results) {
  loop lp;
  auto phase1 = [] { return std::string("result1"); };
  auto phase2 = [](const std::string& arg) { return "result2 derived from " + arg; };
  auto value = lp.run_until_complete([&] {
    std::string result1 = phase1();
    std::string result2 = phase2(result1);
    return std::pair(result1, result2);
  });
  EXPECT_EQ(value, (std::pair<std::string, std::string>("result1", "result2 derived from result1")));
}

TEST(asyncio_examples, a_bounded_producer_consumer_is_paced_by_the_slower_side) {
  loop lp({.virtual_time = true});
  auto t0 = lp.now();
  std::vector<std::pair<int, long>> processed;  // item, at second
  lp.run_until_complete([&] {
    weft::queue<int> queue(2);
    auto producer = weft::spawn([&] {
      for (int item = 1; item <= 5; ++item) queue.put(item);  // get_item() is instant
    });
    auto consumer = weft::spawn([&] {
      for (;;) {
        int item = queue.get();
        weft::sleep_for(1s);  // process_item()
        processed.emplace_back(item, std::chrono::duration_cast<std::chrono::seconds>(lp.now() - t0).count());
        queue.task_done();
      }
    });
    producer.join();
    queue.join();
    consumer.cancel();
  });
  EXPECT_EQ(lp.now() - t0, 5s);
  EXPECT_EQ(processed, (std::vector<std::pair<int, long>>{{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}}));
}

TEST(asyncio_examples, periodic_jobs_on_one_thread_each_keep_their_own_period) {
  loop lp({.virtual_time = true});
  int by_30s = 0, by_20s = 0, checks_60s = 0;
  lp.call_later(1h, [&] { lp.stop(); });
  auto every = [](std::chrono::seconds period, int& count) {
    return [period, &count] {
      for (;;) {
        weft::sleep_for(period);
        ++count;
      }
    };
  };
  weft::task<void> jobs[] = {lp.spawn(every(30s, by_30s)), lp.spawn(every(20s, by_20s)),
                             lp.spawn(every(60s, checks_60s))};
  auto t0 = lp.now();
  lp.run_forever();
  EXPECT_EQ(lp.now() - t0, 1h);
  EXPECT_EQ(by_30s, 120);
  EXPECT_EQ(by_20s, 180);
  EXPECT_EQ(checks_60s, 60);
  for (auto& j : jobs) j.cancel();
  lp.close();
  for (auto& j : jobs) EXPECT_TRUE(j.cancelled());
}

}  // namespace
