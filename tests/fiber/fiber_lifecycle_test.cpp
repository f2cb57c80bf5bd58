// Fiber states, resume/suspend order, nesting, identity, exceptions out of
// the body, stack modes.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "weft/detail/sanitizer.hpp"
#include "weft/error.hpp"
#include "weft/fiber.hpp"

namespace {

using weft::fiber;
using weft::fiber_state;
namespace this_fiber = weft::this_fiber;

TEST(fiber, creating_runs_nothing_and_resume_runs_to_each_suspend) {
  std::vector<int> trace;
  fiber f([&] {
    trace.push_back(1);
    this_fiber::suspend();
    trace.push_back(2);
    this_fiber::suspend();
    trace.push_back(3);
  });
  EXPECT_EQ(f.state(), fiber_state::created);
  EXPECT_TRUE(trace.empty());
  f.resume();
  EXPECT_EQ(f.state(), fiber_state::suspended);
  EXPECT_EQ(trace, (std::vector<int>{1}));
  f.resume();
  EXPECT_EQ(trace, (std::vector<int>{1, 2}));
  f.resume();
  EXPECT_EQ(f.state(), fiber_state::finished);
  EXPECT_EQ(trace, (std::vector<int>{1, 2, 3}));
}

TEST(fiber, state_is_running_inside_the_body) {
  fiber* self = nullptr;
  fiber_state seen = fiber_state::created;
  fiber f([&] { seen = self->state(); });
  self = &f;
  f.resume();
  EXPECT_EQ(seen, fiber_state::running);
}

TEST(fiber, resuming_a_finished_fiber_throws_invalid_state) {
  fiber f([] {});
  f.resume();
  EXPECT_THROW(f.resume(), weft::invalid_state);
}

TEST(fiber, exception_from_the_body_reaches_the_resumer_with_its_type) {
  fiber f([] {
    this_fiber::suspend();
    throw std::out_of_range("index 7");
  });
  f.resume();
  try {
    f.resume();
    FAIL() << "no exception";
  } catch (const std::out_of_range& e) {
    EXPECT_STREQ(e.what(), "index 7");
  }
  EXPECT_EQ(f.state(), fiber_state::finished);
}

TEST(fiber, names_ids_and_current_fiber) {
  EXPECT_FALSE(this_fiber::in_fiber());
  EXPECT_EQ(this_fiber::id(), 0u);
  std::string inner_name;
  std::uint64_t inner_id = 0;
  fiber f(
      [&] {
        inner_name = std::string(this_fiber::name());
        inner_id = this_fiber::id();
      },
      {.name = "worker-1"});
  fiber g([] {});
  EXPECT_NE(f.id(), g.id());
  EXPECT_EQ(f.name(), "worker-1");
  f.resume();
  EXPECT_EQ(inner_name, "worker-1");
  EXPECT_EQ(inner_id, f.id());
  EXPECT_FALSE(this_fiber::in_fiber());
}

TEST(fiber, remembers_where_it_was_created) {
  fiber f([] {});
  const int line = __LINE__ - 1;
  EXPECT_STREQ(f.created_at().file_name(), __FILE__);
  EXPECT_EQ(f.created_at().line(), static_cast<std::uint_least32_t>(line));
  EXPECT_EQ(fiber{}.created_at().line(), 0u);
}

TEST(fiber, nested_fibers_suspend_to_their_own_resumer) {
  std::vector<std::string> trace;
  fiber outer(
      [&] {
        fiber inner(
            [&] {
              trace.push_back("inner:" + std::string(this_fiber::name()));
              this_fiber::suspend();
              trace.push_back("inner again");
            },
            {.name = "in"});
        inner.resume();
        trace.push_back("outer:" + std::string(this_fiber::name()));
        this_fiber::suspend();
        inner.resume();
        trace.push_back("outer end");
      },
      {.name = "out"});
  outer.resume();
  trace.push_back("main");
  outer.resume();
  EXPECT_EQ(trace, (std::vector<std::string>{"inner:in", "outer:out", "main", "inner again", "outer end"}));
}

TEST(fiber, moved_fiber_keeps_running_where_it_was) {
  int steps = 0;
  fiber a([&] {
    ++steps;
    this_fiber::suspend();
    ++steps;
  });
  a.resume();
  fiber b = std::move(a);
  EXPECT_FALSE(a.valid());
  b.resume();
  EXPECT_EQ(steps, 2);
  EXPECT_TRUE(b.finished());
}

TEST(fiber, suspend_outside_a_fiber_throws_invalid_state) { EXPECT_THROW(this_fiber::suspend(), weft::invalid_state); }

TEST(fiber, explicit_dense_stack_has_the_dense_default_size_and_a_guard_where_the_kernel_has_them) {
  fiber f([] { this_fiber::suspend(); }, {.stack = weft::stack_mode::dense});
  EXPECT_EQ(f.stack(), weft::stack_guard_regions() ? weft::stack_mode::guarded : weft::stack_mode::dense);
  EXPECT_EQ(f.stack_size(), weft::default_stack_size(weft::stack_mode::dense));
  f.resume();
  EXPECT_EQ(f.state(), fiber_state::suspended);
}

TEST(fiber, automatic_mode_uses_guarded_stacks_of_the_default_size) {
  fiber f([] {});
  EXPECT_EQ(f.stack(), weft::stack_mode::guarded);
  EXPECT_EQ(f.stack_size(), weft::default_stack_size(weft::stack_mode::automatic));
}

#if !defined(WEFT_TSAN)  // TSan counts each fiber as a thread and supports 8,128
// More live fibers than the guarded stacks a stock vm.max_map_count allowed
// before guard regions (16,382): the last one still gets the full default
// stack, guarded, and can use all of it but its top frames.
TEST(fiber, past_the_old_guarded_budget_a_fiber_still_gets_a_full_guarded_stack) {
  const std::size_t n = weft::guarded_stack_budget() + 1;
  std::vector<fiber> fibers;
  fibers.reserve(n);
  for (std::size_t i = 0; i < n; ++i) fibers.emplace_back([] { this_fiber::suspend(); });
  std::size_t used = 0;
  fiber& last = fibers.emplace_back([&used] {
    std::size_t want = weft::default_stack_size(weft::stack_mode::automatic) - 16 * 1024;
    volatile char* big = static_cast<volatile char*>(__builtin_alloca(want));
    for (std::size_t i = 0; i < want; i += 1024) big[i] = 1;
    used = want;
  });
  EXPECT_EQ(last.stack_size(), weft::default_stack_size(weft::stack_mode::automatic));
  EXPECT_EQ(last.stack(), weft::stack_guard_regions() ? weft::stack_mode::guarded : weft::stack_mode::dense);
  last.resume();
  EXPECT_EQ(used, weft::default_stack_size(weft::stack_mode::automatic) - 16 * 1024);
}
#endif

TEST(fiber, high_water_grows_with_stack_use) {
  fiber f(
      [] {
        volatile char big[64 * 1024];
        for (std::size_t i = 0; i < sizeof big; i += 512) big[i] = 1;
        this_fiber::suspend();
      },
      {.stack_size = 256 * 1024, .stack = weft::stack_mode::guarded});
  f.resume();
  EXPECT_GE(f.stack_high_water(), 64u * 1024);
  EXPECT_LE(f.stack_high_water(), f.stack_size());
}

// 4,000 fibers alive at once: many more than a thread would want, and
// under the 8,128 that ThreadSanitizer (which counts each fiber as a
// thread) supports in GCC 12.
TEST(fiber, four_thousand_dense_fibers_suspend_and_finish) {
  constexpr int n = 4000;
  std::vector<fiber> fibers;
  fibers.reserve(n);
  long sum = 0;
  for (int i = 0; i < n; ++i)
    fibers.emplace_back(
        [&sum, i] {
          this_fiber::suspend();
          sum += i;
        },
        weft::fiber_options{.stack = weft::stack_mode::dense});
  for (auto& f : fibers) f.resume();
  for (auto& f : fibers) f.resume();
  EXPECT_EQ(sum, long{n} * (n - 1) / 2);
}

TEST(fiber, fibers_on_two_threads_run_independently) {
  auto count_on_thread = [] {
    int total = 0;
    fiber f([&] {
      for (int i = 0; i < 1000; ++i) {
        ++total;
        this_fiber::suspend();
      }
    });
    while (!f.finished()) f.resume();
    return total;
  };
  int a = 0, b = 0;
  std::thread t1([&] { a = count_on_thread(); });
  std::thread t2([&] { b = count_on_thread(); });
  t1.join();
  t2.join();
  EXPECT_EQ(a, 1000);
  EXPECT_EQ(b, 1000);
}

}  // namespace

namespace {

// Destroyed at process exit, after the main thread's stack pool: its stack
// must not go back to a pool that no longer exists (ASan checks this run).
weft::fiber fiber_with_static_storage([] { weft::this_fiber::suspend(); });

TEST(fiber, a_fiber_with_static_storage_duration_can_be_used) {
  if (fiber_with_static_storage.state() == fiber_state::created) fiber_with_static_storage.resume();
  EXPECT_EQ(fiber_with_static_storage.state(), fiber_state::suspended);
}

}  // namespace
