// The fibers tasks run on: a finished task's fiber is reused by the next
// task, which must still look like a fiber of its own; a task that waits
// or finishes hands over straight to the next task where the loop would do
// nothing in between, which must not change what runs when.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "weft/fiber.hpp"
#include "weft/loop.hpp"
#include "weft/fd_wait.hpp"

namespace {

using namespace std::chrono_literals;
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
      EXPECT_EQ(seen.id, weft::detail::access::state(t)->id);
      ids.insert(seen.id);
    }
    EXPECT_EQ(ids.size(), 3u);
    EXPECT_EQ(tasks[0].result().name, "first");
    EXPECT_EQ(tasks[1].result().name, "");  // not the name of the task before
    EXPECT_EQ(tasks[1].name(), "task-" + std::to_string(weft::detail::access::state(tasks[1])->id));
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
    EXPECT_EQ(weft::detail::access::state(sized)->fib.stack_size(), size);
    EXPECT_EQ(weft::detail::access::state(dense)->fib.stack_size(), weft::default_stack_size(weft::stack_mode::dense));
    sized.join();
    dense.join();
    // Neither went to the idle pool: a default task gets the first fiber back.
    auto next = weft::spawn([] {});
    EXPECT_EQ(weft::detail::access::state(next)->fib.stack(), weft::stack_mode::guarded);
    EXPECT_NE(weft::detail::access::state(next)->fib.stack_size(), size);
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

// Three tasks yielding round-robin, a callback queued among them, a join
// and a finish: the trace is what the FIFO run queue and its batches say,
// whether the switches go through the loop or straight across.
TEST(task_fibers, hand_overs_keep_the_order_of_the_run_queue) {
  loop lp;
  std::vector<std::string> trace;
  lp.run_until_complete([&] {
    auto worker = [&](std::string name, int rounds) {
      return [&trace, name, rounds] {
        for (int i = 0; i < rounds; ++i) {
          trace.push_back(name + std::to_string(i));
          weft::yield_now();
        }
        trace.push_back(name + " done");
      };
    };
    auto a = weft::spawn(worker("a", 3));
    auto b = weft::spawn(worker("b", 1));
    weft::loop::current()->call_soon([&] { trace.push_back("callback"); });
    auto c = weft::spawn(worker("c", 2));
    a.join();
    trace.push_back("main joined a");
    b.join();
    c.join();
  });
  EXPECT_EQ(trace, (std::vector<std::string>{"a0", "b0", "callback", "c0", "a1", "b done", "c1", "a2", "c done",
                                             "a done", "main joined a"}));
}

// Two tasks yield to each other until a pipe becomes readable: the loop
// must still poll between batches (no hand-over across a batch while an fd
// is watched), or the reader would never wake.
TEST(task_fibers, tasks_yielding_to_each_other_still_let_the_loop_poll) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  loop lp;
  int yields = 0;
  lp.run_until_complete([&] {
    bool readable = false;
    auto reader = weft::spawn([&] { readable = weft::wait_readable(fds[0], 5s); });
    auto spinner = [&] {
      while (!reader.done()) {
        ++yields;
        weft::yield_now();
      }
    };
    auto one = weft::spawn(spinner);
    auto two = weft::spawn(spinner);
    weft::yield_now();  // the reader is now waiting on the fd
    EXPECT_EQ(::write(fds[1], "x", 1), 1);
    reader.join();
    one.join();
    two.join();
    EXPECT_TRUE(readable);
  });
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_GT(yields, 0);
  EXPECT_LT(yields, 100);  // woken at the first poll, not after a timeout
}

// A call from another thread must reach the loop while its tasks only ever
// yield to each other.
TEST(task_fibers, a_remote_call_reaches_a_loop_whose_tasks_only_yield) {
  loop lp;
  std::atomic<bool> called{false};
  lp.run_until_complete([&] {
    bool stop = false;
    auto spinner = [&] {
      while (!stop) weft::yield_now();
    };
    auto one = weft::spawn(spinner);
    auto two = weft::spawn(spinner);
    std::thread caller([&lp, &stop] { lp.call_soon_threadsafe([&stop] { stop = true; }); });
    one.join();
    two.join();
    caller.join();
    called = stop;
  });
  EXPECT_TRUE(called.load());
}

// With the slow-task detector on, each task is timed from the loop: a task
// that runs 50 ms is reported by name even though a hand-over could have
// carried the switch past the loop.
TEST(task_fibers, the_slow_task_detector_still_sees_each_task) {
  loop lp({.slow_task_threshold = 20ms});
  std::vector<std::string> slow;
  lp.set_exception_handler([&](const weft::exception_report& r) { slow.push_back(r.task_name); });
  lp.run_until_complete([] {
    auto quick = weft::spawn([] { weft::yield_now(); }, {.name = "quick"});
    auto busy = weft::spawn(
        [] {
          auto until = std::chrono::steady_clock::now() + 50ms;
          while (std::chrono::steady_clock::now() < until) {
          }
        },
        {.name = "busy"});
    quick.join();
    busy.join();
  });
  EXPECT_EQ(slow, (std::vector<std::string>{"busy"}));
}

}  // namespace
