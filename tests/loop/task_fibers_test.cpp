// The fibers tasks run on: a finished task's fiber is reused by the next
// task, which must still look like a fiber of its own.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "weft/fiber.hpp"
#include "weft/loop.hpp"

namespace {

using weft::loop;

struct fiber_seen {
  std::uint64_t id = 0;
  std::string name;
  const void* control = nullptr;
};

TEST(task_fibers, each_task_has_its_own_id_and_name_on_a_reused_fiber) {
  loop lp;
  lp.run_until_complete([] {
    auto look = [] {
      return fiber_seen{weft::this_fiber::id(), std::string(weft::this_fiber::name()),
                        weft::detail::this_thread.current};
    };
    std::vector<weft::task<fiber_seen>> tasks;
    // One after another: each finishes before the next starts.
    tasks.push_back(weft::spawn(look, {.name = "first"}));
    tasks.back().join();
    tasks.push_back(weft::spawn(look));
    tasks.back().join();
    tasks.push_back(weft::spawn(look, {.name = "third"}));
    tasks.back().join();

    std::set<std::uint64_t> ids;
    for (auto& t : tasks) {
      fiber_seen seen = t.result();
      EXPECT_EQ(seen.control, tasks[0].result().control) << "the worker was not reused";
      EXPECT_EQ(seen.id, t.state()->id);
      ids.insert(seen.id);
    }
    EXPECT_EQ(ids.size(), 3u);
    EXPECT_EQ(tasks[0].result().name, "first");
    EXPECT_EQ(tasks[1].result().name, "");  // not the name of the task before
    EXPECT_EQ(tasks[1].name(), "task-" + std::to_string(tasks[1].state()->id));
    EXPECT_EQ(tasks[2].result().name, "third");
  });
}

TEST(task_fibers, a_task_asking_for_its_own_stack_gets_a_fiber_of_its_own) {
  loop lp;
  lp.run_until_complete([] {
    auto plain = weft::spawn([] {});
    plain.join();
    const std::size_t size = 128 * 1024;
    auto sized = weft::spawn([] {}, {.stack_size = size});
    auto dense = weft::spawn([] {}, {.stack = weft::stack_mode::dense});
    EXPECT_EQ(sized.state()->fib.stack_size(), size);
    EXPECT_EQ(dense.state()->fib.stack(), weft::stack_mode::dense);
    sized.join();
    dense.join();
    // Neither went to the idle pool: a default task gets the first fiber back.
    auto next = weft::spawn([] {});
    EXPECT_EQ(next.state()->fib.stack(), weft::stack_mode::guarded);
    EXPECT_NE(next.state()->fib.stack_size(), size);
    next.join();
  });
}

TEST(task_fibers, the_callable_is_destroyed_before_the_task_counts_as_done) {
  loop lp;
  lp.run_until_complete([] {
    auto token = std::make_shared<int>(7);
    auto t = weft::spawn([token] { return *token; });
    EXPECT_EQ(token.use_count(), 2);
    EXPECT_EQ(t.join(), 7);
    EXPECT_EQ(token.use_count(), 1);  // the handle still exists; the capture is gone

    auto never = weft::spawn([token] { return *token; });
    never.cancel();
    EXPECT_THROW(never.join(), weft::cancelled);
    EXPECT_EQ(token.use_count(), 1);
  });
}

// A capture whose destructor suspends: the task is done only after it.
struct yields_when_destroyed {
  std::vector<std::string>* log;
  bool owner = true;
  yields_when_destroyed(std::vector<std::string>* l) : log(l) {}
  yields_when_destroyed(yields_when_destroyed&& other) noexcept : log(other.log) { other.owner = false; }
  ~yields_when_destroyed() {
    if (!owner) return;
    weft::yield_now();
    log->push_back("capture destroyed");
  }
};

TEST(task_fibers, a_capture_may_suspend_in_its_destructor) {
  loop lp;
  std::vector<std::string> log;
  lp.run_until_complete([&] {
    auto t = weft::spawn([capture = yields_when_destroyed(&log)] { capture.log->push_back("body"); });
    t.join();
    log.push_back("joined");
    weft::spawn([&] { log.push_back("next task"); }).join();
  });
  EXPECT_EQ(log, (std::vector<std::string>{"body", "capture destroyed", "joined", "next task"}));
}

TEST(task_fibers, spawn_on_a_closed_loop_is_refused_and_frees_the_callable) {
  loop lp;
  lp.close();
  auto token = std::make_shared<int>(1);
  EXPECT_THROW(lp.spawn([token] {}), weft::invalid_state);
  EXPECT_EQ(token.use_count(), 1);
}

TEST(task_fibers, a_task_never_started_when_the_loop_closes_frees_its_callable) {
  auto token = std::make_shared<int>(1);
  weft::task<void> kept;
  {
    loop lp;
    lp.run_until_complete([] {});  // leaves a pooled fiber idle
    lp.run_until_complete([&] { kept = weft::spawn([token] {}); });
    EXPECT_EQ(token.use_count(), 2);
  }
  EXPECT_EQ(token.use_count(), 1);
  EXPECT_TRUE(kept.done());
  EXPECT_TRUE(kept.cancelled());
}

TEST(task_fibers, more_tasks_at_once_than_the_pool_holds_all_finish_with_their_values) {
  loop lp;
  lp.run_until_complete([] {
    for (int round = 0; round < 3; ++round) {
      std::vector<weft::task<int>> batch;
      for (int i = 0; i < 200; ++i)
        batch.push_back(weft::spawn([i] {
          weft::yield_now();
          return i;
        }));
      for (int i = 0; i < 200; ++i) EXPECT_EQ(batch[i].join(), i);
    }
  });
}

}  // namespace
