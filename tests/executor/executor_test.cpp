// The executor: results and exceptions across threads, the bound on
// concurrency, cancellation before and during a job, deadlock detection,
// and closing a loop with jobs in flight.
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <latch>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "weft/executor.hpp"
#include "weft/timeout.hpp"

namespace {

using namespace std::chrono_literals;
using weft::loop;

struct captured_reports {
  std::vector<weft::exception_report> reports;
  void attach(loop& lp) {
    lp.set_exception_handler([this](const weft::exception_report& r) { reports.push_back(r); });
  }
};

struct custom_error : std::runtime_error {
  explicit custom_error(int c) : std::runtime_error("custom"), code(c) {}
  int code;
};

TEST(executor, returns_the_value_computed_on_a_pool_thread) {
  loop lp;
  weft::executor ex(2);
  auto loop_thread = std::this_thread::get_id();
  std::thread::id job_thread;
  int got = lp.run_until_complete([&] {
    return ex.run([&] {
      job_thread = std::this_thread::get_id();
      return 6 * 7;
    });
  });
  EXPECT_EQ(got, 42);
  EXPECT_NE(job_thread, loop_thread);
  EXPECT_EQ(ex.max_threads(), 2u);
}

TEST(executor, void_reference_and_move_only_results) {
  loop lp;
  weft::executor ex(1);
  lp.run_until_complete([&] {
    int calls = 0;
    ex.run([&] { ++calls; });
    EXPECT_EQ(calls, 1);

    int target = 5;
    int& ref = ex.run([&]() -> int& { return target; });
    EXPECT_EQ(&ref, &target);

    std::unique_ptr<std::string> owned = ex.run([] { return std::make_unique<std::string>("moved"); });
    ASSERT_NE(owned, nullptr);
    EXPECT_EQ(*owned, "moved");
  });
}

TEST(executor, rethrows_the_jobs_exception_with_its_type) {
  loop lp;
  weft::executor ex(1);
  lp.run_until_complete([&] {
    EXPECT_THROW(ex.run([]() -> int { throw std::length_error("too long"); }), std::length_error);
    try {
      ex.run([] { throw custom_error(17); });
      ADD_FAILURE() << "no exception";
    } catch (const custom_error& e) {
      EXPECT_EQ(e.code, 17);
    }
    // The pool survives a throwing job.
    EXPECT_EQ(ex.run([] { return 3; }), 3);
  });
}

TEST(executor, outside_a_task_is_invalid_state) {
  weft::executor ex(1);
  EXPECT_THROW(ex.run([] { return 1; }), weft::invalid_state);
  EXPECT_THROW(weft::default_executor(), weft::invalid_state);
}

TEST(executor, concurrency_is_bounded_by_max_threads) {
  constexpr int threads = 3;
  constexpr int jobs = 12;
  loop lp;
  weft::executor ex(threads);
  std::mutex m;
  int active = 0;
  int max_active = 0;
  std::set<std::thread::id> ids;
  // Each wave of `threads` jobs meets at the barrier: fewer threads would
  // hang, more would let a job of the next wave in while one is waiting.
  std::barrier wave(threads);
  auto job = [&] {
    {
      std::lock_guard<std::mutex> lock(m);
      max_active = std::max(max_active, ++active);
      ids.insert(std::this_thread::get_id());
    }
    wave.arrive_and_wait();
    std::lock_guard<std::mutex> lock(m);
    --active;
  };
  lp.run_until_complete([&] {
    std::vector<weft::task<void>> tasks;
    for (int i = 0; i < jobs; ++i) tasks.push_back(weft::spawn([&] { ex.run(job); }));
    for (auto& t : tasks) t.join();
  });
  EXPECT_EQ(max_active, threads);
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(threads));
}

TEST(executor, threads_start_lazily_and_are_reused) {
  loop lp;
  weft::executor ex(8);
  std::set<std::thread::id> ids;
  lp.run_until_complete([&] {
    for (int i = 0; i < 5; ++i) ex.run([&] { ids.insert(std::this_thread::get_id()); });
  });
  EXPECT_EQ(ids.size(), 1u);
}

TEST(executor, many_tasks_each_get_their_own_result) {
  loop lp;
  weft::executor ex(4);
  long sum = lp.run_until_complete([&] {
    std::vector<weft::task<long>> tasks;
    for (long i = 0; i < 200; ++i) tasks.push_back(weft::spawn([&ex, i] { return ex.run([i] { return i * i; }); }));
    long total = 0;
    for (auto& t : tasks) total += t.join();
    return total;
  });
  EXPECT_EQ(sum, 199L * 200 * 399 / 6);
}

TEST(executor, cancelled_before_start_the_job_is_withdrawn_and_never_runs) {
  loop lp;
  weft::executor ex(1);
  std::latch first_started(1);
  std::latch release_first(1);
  std::atomic<bool> second_ran{false};
  lp.run_until_complete([&] {
    auto first = weft::spawn([&] {
      ex.run([&] {
        first_started.count_down();
        release_first.wait();
      });
    });
    auto second = weft::spawn([&] { ex.run([&] { second_ran = true; }); });
    weft::yield_now();     // both have queued their jobs
    first_started.wait();  // the only thread is busy with the first
    EXPECT_TRUE(second.cancel());
    // Raised at once, although the pool is still busy.
    EXPECT_THROW(second.join(), weft::cancelled);
    EXPECT_TRUE(second.cancelled());
    release_first.count_down();
    first.join();
    ex.run([] {});  // one thread, FIFO: had the second job stayed, it ran by now
  });
  EXPECT_FALSE(second_ran);
}

TEST(executor, a_task_cancelled_before_calling_run_never_queues_the_job) {
  loop lp;
  weft::executor ex(1);
  bool ran = false;
  lp.run_until_complete([&] {
    auto t = weft::spawn([&] {
      {
        weft::cancellation_shield shield;
        weft::yield_now();  // cancelled here, delivered after the shield
      }
      ex.run([&] { ran = true; });
    });
    weft::yield_now();
    t.cancel();
    EXPECT_THROW(t.join(), weft::cancelled);
  });
  EXPECT_FALSE(ran);
}

TEST(executor, cancelled_while_running_the_task_waits_then_raises_cancelled) {
  loop lp;
  weft::executor ex(1);
  std::latch started(1);
  std::latch release(1);
  bool job_finished = false;
  int result_seen = -1;
  lp.run_until_complete([&] {
    auto t = weft::spawn([&] {
      int local = 0;  // the job writes here: the task must not leave first
      result_seen = ex.run([&] {
        started.count_down();
        release.wait();
        local = 99;
        job_finished = true;
        return local;
      });
    });
    weft::yield_now();
    started.wait();
    EXPECT_TRUE(t.cancel());
    for (int i = 0; i < 5; ++i) weft::yield_now();
    EXPECT_FALSE(t.done());  // still waiting for the running job
    EXPECT_NE(lp.dump().find("waiting on executor"), std::string::npos) << lp.dump();
    release.count_down();
    EXPECT_THROW(t.join(), weft::cancelled);
    EXPECT_TRUE(t.cancelled());
  });
  EXPECT_TRUE(job_finished);
  EXPECT_EQ(result_seen, -1);  // the result was discarded
}

TEST(executor, a_running_jobs_exception_is_discarded_when_cancelled) {
  loop lp;
  weft::executor ex(1);
  std::latch started(1);
  std::latch release(1);
  lp.run_until_complete([&] {
    auto t = weft::spawn([&] {
      ex.run([&] {
        started.count_down();
        release.wait();
        throw custom_error(1);
      });
    });
    weft::yield_now();
    started.wait();
    t.cancel();
    weft::yield_now();
    release.count_down();
    EXPECT_THROW(t.join(), weft::cancelled);
  });
}

TEST(executor, a_timeout_around_a_job_waits_for_it_then_raises_timeout_error) {
  loop lp({.virtual_time = true});
  weft::executor ex(1);
  std::latch started(1);
  std::latch release(1);
  bool finished = false;
  auto start = lp.now();
  lp.run_until_complete([&] {
    auto waiter = weft::spawn([&] {
      return weft::with_timeout(10ms, [&] {
        return ex.run([&] {
          started.count_down();
          release.wait();
          finished = true;
          return 1;
        });
      });
    });
    // Releases the job only after the timeout (10 ms) has cancelled the
    // waiting task: virtual time reaches 20 ms only when nothing can run.
    auto releaser = weft::spawn([&] {
      weft::sleep_for(20ms);
      release.count_down();
    });
    weft::yield_now();
    started.wait();  // running before virtual time can move
    EXPECT_THROW(waiter.join(), weft::timeout_error);
    EXPECT_TRUE(finished);
    EXPECT_EQ(lp.now() - start, 20ms);
    releaser.join();
  });
}

TEST(executor, no_false_deadlock_while_a_job_runs) {
  loop lp;  // detect_deadlock is on
  weft::executor ex(1);
  // The only task waits on the job, so the loop has nothing to run, no
  // timer and no fd: only the job in flight can wake it.
  int got = lp.run_until_complete([&] {
    return ex.run([] {
      std::this_thread::sleep_for(5ms);
      return 8;
    });
  });
  EXPECT_EQ(got, 8);
}

TEST(executor, the_default_executor_belongs_to_the_loop) {
  loop a;
  loop b;
  weft::executor* first = a.run_until_complete([] { return &weft::default_executor(); });
  weft::executor* again = a.run_until_complete([] { return &weft::default_executor(); });
  weft::executor* other = b.run_until_complete([] { return &weft::default_executor(); });
  EXPECT_EQ(first, again);
  EXPECT_NE(first, other);
  EXPECT_GE(first->max_threads(), 4u);
  EXPECT_EQ(a.run_until_complete([] { return weft::run_in_executor([] { return std::string("pooled"); }); }), "pooled");
}

TEST(executor, pool_threads_block_every_signal_and_leave_the_loop_threads_mask_alone) {
  loop lp;
  weft::executor ex(1);
  sigset_t before;
  ::pthread_sigmask(SIG_BLOCK, nullptr, &before);
  std::vector<int> unblocked_in_worker = lp.run_until_complete([&] {
    return ex.run([] {
      sigset_t mask;
      ::pthread_sigmask(SIG_BLOCK, nullptr, &mask);
      std::vector<int> unblocked;
      for (int s : {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD, SIGPIPE})
        if (sigismember(&mask, s) != 1) unblocked.push_back(s);
      return unblocked;
    });
  });
  EXPECT_TRUE(unblocked_in_worker.empty());
  sigset_t after;
  ::pthread_sigmask(SIG_BLOCK, nullptr, &after);
  for (int s : {SIGINT, SIGTERM, SIGUSR1}) EXPECT_EQ(sigismember(&after, s), sigismember(&before, s)) << s;
}

TEST(executor, run_in_a_generator_or_nested_fiber_is_refused_before_queueing) {
  loop lp;
  weft::executor ex(1);
  bool ran = false;
  lp.run_until_complete([&] {
    weft::fiber nested([&] { EXPECT_THROW(ex.run([&] { ran = true; }), weft::invalid_state); });
    nested.resume();
    EXPECT_TRUE(nested.finished());
  });
  EXPECT_FALSE(ran);
}

// close() cancels the waiting task; it waits for its running job (which a
// second task releases from its own cancellation cleanup, so the job is
// certainly in flight while close() runs), then finishes cancelled.
TEST(executor, close_waits_for_a_job_in_flight) {
  std::latch release(1);
  std::atomic<bool> finished{false};
  captured_reports seen;
  weft::task<void> waiter;
  {
    loop lp;
    seen.attach(lp);
    weft::executor ex(1);
    std::latch started(1);
    lp.run_until_complete([&] {
      waiter = weft::spawn([&] {
        int local = 0;
        ex.run([&] {
          started.count_down();
          release.wait();
          local = 1;
          finished = true;
        });
      });
      weft::spawn([&] {
        try {
          weft::sleep_for(1h);
        } catch (const weft::cancelled&) {
          release.count_down();
          throw;
        }
      }).detach();
      weft::yield_now();  // the tasks have queued their jobs
      started.wait();
    });
    EXPECT_FALSE(waiter.done());
    lp.close();
    EXPECT_TRUE(finished);
    EXPECT_TRUE(waiter.done());
    EXPECT_TRUE(waiter.cancelled());
  }
  EXPECT_TRUE(seen.reports.empty());
}

// With no grace period the waiting task is unwound by force; it still may
// not leave before the job that writes into its stack has returned.
TEST(executor, close_without_grace_unwinds_only_after_the_running_job_returns) {
  std::latch release(1);
  std::atomic<bool> finished{false};
  weft::executor ex(1);
  {
    loop lp({.close_grace = 0ms});
    std::latch started(1);
    lp.run_until_complete([&] {
      weft::spawn([&] {
        std::vector<int> local(16, 0);
        ex.run([&] {
          started.count_down();
          release.wait();
          local.assign(16, 7);  // on the task's stack and heap: must still exist
          finished = true;
        });
      }).detach();
      weft::spawn([&] {
        try {
          weft::sleep_for(1h);
        } catch (const weft::cancelled&) {
          release.count_down();
          throw;
        }
      }).detach();
      weft::yield_now();  // the tasks have queued their jobs
      started.wait();
    });
    lp.close();
    EXPECT_TRUE(finished);
  }
  // The executor outlived the loop and still works for another.
  loop again;
  EXPECT_EQ(again.run_until_complete([&] { return ex.run([] { return 5; }); }), 5);
}

TEST(executor, closing_a_loop_destroys_its_default_executor_after_the_tasks) {
  std::atomic<int> finished{0};
  {
    // Before the loop: ~loop cancels the sleeper, whose handler counts
    // `release` down, so the latches must outlive it.
    std::latch started(1);
    std::latch release(1);
    loop lp;
    lp.run_until_complete([&] {
      weft::spawn([&] {
        weft::run_in_executor([&] {
          started.count_down();
          release.wait();
          ++finished;
        });
      }).detach();
      weft::spawn([&] {
        try {
          weft::sleep_for(1h);
        } catch (const weft::cancelled&) {
          release.count_down();
          throw;
        }
      }).detach();
      weft::yield_now();  // the tasks have queued their jobs
      started.wait();
    });
  }  // ~loop: close() cancels, waits for the job, joins the pool
  EXPECT_EQ(finished, 1);
}

}  // namespace
