// API misuse gets a clear error, never std::terminate or a segfault
// (issue 16, item 6).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "weft/error.hpp"
#include "weft/fiber.hpp"
#include "weft/generator.hpp"
#include "weft/loop.hpp"
#include "weft/task.hpp"

namespace {

using namespace std::chrono_literals;
using weft::loop;

TEST(loop_misuse, a_loop_destroyed_while_another_runs_reports_and_unwinds_its_tasks) {
  auto inner = std::make_unique<loop>(weft::loop_options{.virtual_time = true});
  std::vector<std::string> reports;
  inner->set_exception_handler([&](const weft::exception_report& r) { reports.push_back(r.message); });
  bool unwound = false;
  inner->spawn([&] {
    struct on_unwind {
      bool& flag;
      ~on_unwind() { flag = true; }
    } guard{unwound};
    weft::sleep_for(1h);
  });
  inner->run_until_complete([] { weft::yield_now(); });  // the sleeper is now asleep

  loop outer({.virtual_time = true});
  outer.run_until_complete([&] { inner.reset(); });  // std::terminate before
  EXPECT_TRUE(unwound);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].find("destroyed while another loop runs"), std::string::npos) << reports[0];
}

TEST(loop_misuse, making_a_loop_inside_a_running_task_is_refused) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([] {
    try {
      loop inner;
      ADD_FAILURE() << "a loop was made inside a running task";
    } catch (const weft::invalid_state& e) {
      EXPECT_NE(std::string(e.what()).find("inside a running loop"), std::string::npos) << e.what();
    }
  });
}

TEST(task_misuse, a_second_join_of_a_move_only_result_raises) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([] {
    auto t = weft::spawn([] { return std::make_unique<int>(5); });
    std::unique_ptr<int> first = t.join();
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(*first, 5);
    EXPECT_THROW(t.join(), weft::invalid_state);
    EXPECT_THROW(t.result(), weft::invalid_state);
  });
}

TEST(task_misuse, every_call_on_an_empty_handle_raises_invalid_state) {
  weft::task<int> empty;
  EXPECT_FALSE(empty.valid());
  EXPECT_THROW(empty.done(), weft::invalid_state);
  EXPECT_THROW(empty.cancelled(), weft::invalid_state);
  EXPECT_THROW(empty.name(), weft::invalid_state);
  EXPECT_THROW(empty.cancel(), weft::invalid_state);
  EXPECT_THROW(empty.result(), weft::invalid_state);
  EXPECT_THROW(empty.exception(), weft::invalid_state);
  EXPECT_THROW(empty.detach(), weft::invalid_state);
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] { EXPECT_THROW(empty.join(), weft::invalid_state); });
}

// Computes for at least `d` of real time without suspending: the detector
// measures real time by definition.
void busy_for(std::chrono::steady_clock::duration d) {
  auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
  }
}

struct slow_callback {
  void operator()() const { busy_for(30ms); }
};

TEST(slow_task, a_slow_callback_is_reported_by_its_type) {
  loop lp({.slow_task_threshold = 10ms});
  std::vector<weft::exception_report> reports;
  lp.set_exception_handler([&](const weft::exception_report& r) { reports.push_back(r); });
  lp.run_until_complete([&] {
    lp.call_soon(slow_callback{});
    weft::yield_now();
  });
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_GE(reports[0].duration, 30ms);
  EXPECT_EQ(reports[0].message.find("Executing callback (anonymous namespace)::slow_callback took "), 0u)
      << reports[0].message;
}

TEST(loop, a_failing_callback_is_reported_by_its_type) {
  loop lp({.virtual_time = true});
  std::vector<std::string> reports;
  lp.set_exception_handler([&](const weft::exception_report& r) { reports.push_back(r.message); });
  struct failing_callback {
    void operator()() const { throw std::runtime_error("boom"); }
  };
  lp.run_until_complete([&] {
    lp.call_soon(failing_callback{});
    weft::yield_now();
  });
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].find("Exception in callback "), std::string::npos) << reports[0];
  EXPECT_NE(reports[0].find("failing_callback"), std::string::npos) << reports[0];
}

// Issue 20: a call made where it is not allowed raises invalid_state, the
// same type whichever layer refuses it.
TEST(loop_misuse, loop_waits_and_yields_inside_a_nested_fiber_raise_invalid_state) {
  loop lp({.virtual_time = true});
  std::vector<std::string> refused;
  lp.run_until_complete([&] {
    weft::fiber nested([&] {
      try {
        weft::sleep_for(1s);
      } catch (const weft::invalid_state& e) {
        refused.emplace_back(e.what());
      }
      try {
        weft::yield_now();
      } catch (const weft::invalid_state& e) {
        refused.emplace_back(e.what());
      }
    });
    nested.resume();
    EXPECT_TRUE(nested.finished());
  });
  ASSERT_EQ(refused.size(), 2u);
  EXPECT_EQ(refused[0], "weft: a loop wait inside a generator or nested fiber of a task");
  EXPECT_EQ(refused[1], "weft: yield_now inside a generator or nested fiber of a task");
}

TEST(loop_misuse, generator_protocol_state_errors_are_invalid_state_and_value_error) {
  // Python: send(v) to a just-started generator is a TypeError, an
  // already-executing generator a ValueError; weft files both under its
  // state errors so that one catch handles every wrong-state call.
  weft::generator<int, int> g([](weft::yielder<int, int>& y) { y.yield(1); });
  EXPECT_THROW(g.send(5), weft::invalid_state);
  weft::generator<int>* self = nullptr;
  weft::generator<int> reentrant([&](weft::yielder<int>& y) { y.yield(self->next()); });
  self = &reentrant;
  EXPECT_THROW(reentrant.next(), weft::value_error);
}

}  // namespace
