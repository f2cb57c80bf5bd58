// Tasks: results, joins, cancellation, shields, unretrieved exceptions.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "weft/loop.hpp"

namespace {

using namespace std::chrono_literals;
using weft::loop;

struct captured_reports {
  std::vector<weft::exception_report> reports;
  void attach(loop& lp) {
    lp.set_exception_handler([this](const weft::exception_report& r) { reports.push_back(r); });
  }
};

TEST(task, join_returns_the_value_and_result_can_be_read_again) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([] {
    auto t = weft::spawn([] {
      weft::sleep_for(1s);
      return std::string("done");
    });
    EXPECT_FALSE(t.done());
    EXPECT_EQ(t.join(), "done");
    EXPECT_TRUE(t.done());
    EXPECT_EQ(t.result(), "done");
  });
}

TEST(task, result_before_done_is_invalid_state) {
  loop lp;
  lp.run_until_complete([] {
    auto t = weft::spawn([] { return 1; });
    EXPECT_THROW(t.result(), weft::invalid_state);
    EXPECT_THROW(t.exception(), weft::invalid_state);
    t.join();
  });
}

TEST(task, join_rethrows_the_tasks_exception_with_its_type) {
  loop lp;
  lp.run_until_complete([] {
    auto t = weft::spawn([]() -> int { throw std::length_error("too long"); });
    EXPECT_THROW(t.join(), std::length_error);
    EXPECT_NE(t.exception(), nullptr);
  });
}

TEST(task, names_default_to_task_id_and_can_be_given) {
  loop lp;
  lp.run_until_complete([] {
    auto a = weft::spawn([] {}, {.name = "fetcher"});
    auto b = weft::spawn([] {});
    EXPECT_EQ(a.name(), "fetcher");
    EXPECT_EQ(b.name().substr(0, 5), "task-");
    a.join();
    b.join();
    EXPECT_EQ(a.name(), "fetcher");  // still known after the fiber is gone
  });
}

TEST(task, cancel_raises_cancelled_at_the_suspension_point_and_cleanup_runs) {
  loop lp({.virtual_time = true});
  std::vector<std::string> log;
  lp.run_until_complete([&] {
    auto t = weft::spawn([&] {
      try {
        weft::sleep_for(1h);
        log.push_back("slept");
      } catch (const weft::cancelled&) {
        log.push_back("cleanup");
        throw;
      }
    });
    weft::sleep_for(1s);
    EXPECT_TRUE(t.cancel());
    EXPECT_THROW(t.join(), weft::cancelled);
    EXPECT_TRUE(t.cancelled());
  });
  EXPECT_EQ(log, (std::vector<std::string>{"cleanup"}));
}

TEST(task, cancelling_a_finished_task_is_a_no_op) {
  loop lp;
  lp.run_until_complete([] {
    auto t = weft::spawn([] { return 5; });
    t.join();
    EXPECT_FALSE(t.cancel());
    EXPECT_FALSE(t.cancelled());
    EXPECT_EQ(t.result(), 5);
  });
}

TEST(task, a_task_cancelled_before_it_starts_never_runs) {
  loop lp;
  bool ran = false;
  lp.run_until_complete([&] {
    auto t = weft::spawn([&] { ran = true; });
    t.cancel();
    EXPECT_THROW(t.join(), weft::cancelled);
  });
  EXPECT_FALSE(ran);
}

TEST(task, a_task_may_catch_cancellation_and_finish_normally) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([] {
    auto t = weft::spawn([] {
      try {
        weft::sleep_for(1h);
      } catch (const weft::cancelled&) {
        return -1;
      }
      return 0;
    });
    weft::yield_now();
    t.cancel();
    EXPECT_EQ(t.join(), -1);
    EXPECT_FALSE(t.cancelled());
  });
}

TEST(task, shield_defers_cancellation_to_the_first_wait_after_it) {
  loop lp({.virtual_time = true});
  std::vector<std::string> log;
  lp.run_until_complete([&] {
    auto t = weft::spawn([&] {
      {
        weft::cancellation_shield shield;
        weft::sleep_for(10s);  // not interrupted
        log.push_back("shielded sleep finished");
      }
      try {
        weft::sleep_for(10s);
      } catch (const weft::cancelled&) {
        log.push_back("cancelled after shield");
        throw;
      }
    });
    weft::sleep_for(1s);
    t.cancel();
    EXPECT_THROW(t.join(), weft::cancelled);
  });
  EXPECT_EQ(log, (std::vector<std::string>{"shielded sleep finished", "cancelled after shield"}));
}

TEST(task, unretrieved_exception_is_reported_when_the_last_handle_goes) {
  loop lp;
  unsigned spawn_line = 0;
  captured_reports cap;
  cap.attach(lp);
  lp.run_until_complete([&] {
    auto t = weft::spawn([] { throw std::runtime_error("lost"); }, {.name = "careless"});
    spawn_line = __LINE__ - 1;
    weft::yield_now();
    weft::yield_now();
    EXPECT_TRUE(t.done());
  });
  ASSERT_EQ(cap.reports.size(), 1u);
  EXPECT_EQ(cap.reports[0].message, "Task exception was never retrieved");
  EXPECT_EQ(cap.reports[0].task_name, "careless");
  EXPECT_STREQ(cap.reports[0].spawned_at.file_name(), __FILE__);
  EXPECT_EQ(cap.reports[0].spawned_at.line(), spawn_line);
  EXPECT_THROW(std::rethrow_exception(cap.reports[0].error), std::runtime_error);
}

TEST(task, the_default_handler_prints_an_unretrieved_exception_with_its_spawn_location) {
  loop lp;
  unsigned spawn_line = 0;
  testing::internal::CaptureStderr();
  lp.run_until_complete([&] {
    auto t = weft::spawn([] { throw std::runtime_error("lost"); }, {.name = "careless"});
    spawn_line = __LINE__ - 1;
    weft::yield_now();
  });
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("weft: Task exception was never retrieved: task 'careless' (spawned at " __FILE__ ":" +
                     std::to_string(spawn_line) + "): lost"),
            std::string::npos)
      << err;
}

TEST(task, detached_task_failing_is_reported_when_it_finishes) {
  loop lp({.virtual_time = true});
  captured_reports cap;
  cap.attach(lp);
  lp.run_until_complete([&] {
    weft::spawn(
        [] {
          weft::sleep_for(1s);
          throw std::runtime_error("background");
        },
        {.name = "bg"})
        .detach();
    EXPECT_TRUE(cap.reports.empty());
    weft::sleep_for(2s);
    ASSERT_EQ(cap.reports.size(), 1u);
    EXPECT_EQ(cap.reports[0].task_name, "bg");
  });
}

TEST(task, retrieved_or_cancelled_exceptions_are_not_reported) {
  loop lp;
  captured_reports cap;
  cap.attach(lp);
  lp.run_until_complete([] {
    auto a = weft::spawn([] { throw std::runtime_error("seen"); });
    EXPECT_THROW(a.join(), std::runtime_error);
    auto b = weft::spawn([] { weft::sleep_for(1h); });
    weft::yield_now();
    b.cancel();
    weft::yield_now();
  });
  EXPECT_TRUE(cap.reports.empty());
}

TEST(task, unretrieved_exception_of_a_handle_outliving_the_loop_is_reported_at_close) {
  captured_reports cap;
  weft::task<void> survivor;
  {
    loop lp;
    cap.attach(lp);
    survivor = lp.spawn([] { throw std::runtime_error("kept"); });
    lp.run_until_complete([] { weft::yield_now(); });
    EXPECT_TRUE(cap.reports.empty());  // the handle may still retrieve it
    lp.close();
    EXPECT_EQ(cap.reports.size(), 1u);
  }
  EXPECT_THROW(survivor.result(), std::runtime_error);  // still readable
}

TEST(task, a_task_cannot_join_itself) {
  loop lp;
  lp.run_until_complete([] {
    weft::task<void>* self = nullptr;
    auto t = weft::spawn([&] { self->join(); });
    self = &t;
    EXPECT_THROW(t.join(), weft::invalid_state);
  });
}

// Task states of every size come from the per-thread block cache or, past
// its largest class, from operator new; an over-aligned result keeps its
// alignment. Hundreds alive at once overflow the cache's per-class limit.
struct alignas(64) aligned_result {
  int value;
};
struct large_result {
  int values[1000];
};

TEST(task, results_of_every_size_and_alignment_survive_many_live_tasks) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([] {
    std::vector<weft::task<int>> small;
    std::vector<weft::task<aligned_result>> aligned;
    std::vector<weft::task<large_result>> large;
    for (int i = 0; i < 300; ++i) {
      small.push_back(weft::spawn([i] {
        weft::sleep_for(1ms);
        return i;
      }));
      aligned.push_back(weft::spawn([i] { return aligned_result{i}; }));
      large.push_back(weft::spawn([i] {
        large_result r{};
        r.values[999] = i;
        return r;
      }));
    }
    for (int i = 0; i < 300; ++i) {
      EXPECT_EQ(small[i].join(), i);
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(weft::detail::access::state(aligned[i])) % 64, 0u);
      EXPECT_EQ(aligned[i].join().value, i);
      EXPECT_EQ(large[i].join().values[999], i);
    }
    small.clear();  // their blocks go back to the cache, or past its limit to operator delete
    auto again = weft::spawn([] { return 7; });
    EXPECT_EQ(again.join(), 7);
  });
}

}  // namespace

namespace {

// Computes for at least `d` of real time without suspending.
void busy_for(std::chrono::steady_clock::duration d) {
  auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
  }
}

TEST(slow_task, a_task_running_50ms_without_suspending_is_reported_by_name_and_duration) {
  loop lp({.virtual_time = false, .slow_task_threshold = 10ms});
  captured_reports cap;
  cap.attach(lp);
  lp.run_until_complete([] {
    weft::spawn([] { busy_for(50ms); }, {.name = "hog"}).join();
    weft::spawn([] { weft::yield_now(); }, {.name = "quick"}).join();
  });
  std::vector<weft::exception_report> slow;
  for (auto& r : cap.reports)
    if (r.task_name == "hog") slow.push_back(r);
  ASSERT_EQ(slow.size(), 1u);
  EXPECT_GE(slow[0].duration, 50ms);
  EXPECT_EQ(slow[0].error, nullptr);
  EXPECT_NE(slow[0].message.find("Executing task 'hog' (spawned at "), std::string::npos) << slow[0].message;
  EXPECT_NE(slow[0].message.find("task_test.cpp:"), std::string::npos) << slow[0].message;
  for (auto& r : cap.reports) EXPECT_NE(r.task_name, "quick");
}

TEST(slow_task, the_detector_is_off_by_default) {
  loop lp;
  captured_reports cap;
  cap.attach(lp);
  lp.run_until_complete([] { busy_for(15ms); });
  EXPECT_TRUE(cap.reports.empty());
}

}  // namespace
