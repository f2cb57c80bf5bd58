// Generators where they run: on a plain thread, inside fibers that suspend
// between next() calls, inside other generators, on several threads.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "weft/fiber.hpp"
#include "weft/generator.hpp"

namespace {

using weft::fiber;
using weft::generator;
using weft::generator_state;
using weft::yielder;
namespace this_fiber = weft::this_fiber;

generator<int> numbers_from(int first, int count) {
  return generator<int>([first, count](yielder<int>& y) {
    for (int i = 0; i < count; ++i) y.yield(first + i);
  });
}

TEST(generator_in_fibers, a_body_runs_in_its_own_fiber_and_the_caller_keeps_its_own) {
  EXPECT_FALSE(this_fiber::in_fiber());
  std::vector<std::string> names;
  generator<int> g(
      [&](yielder<int>& y) {
        names.push_back(std::string(this_fiber::name()));
        y.yield(1);
      },
      {.name = "gen"});
  g.next();
  EXPECT_EQ(names, (std::vector<std::string>{"gen"}));
  EXPECT_FALSE(this_fiber::in_fiber());
}

TEST(generator_in_fibers, fibers_that_suspend_between_steps_interleave_their_generators) {
  std::vector<std::string> trace;
  auto consumer = [&](const char* who, int first) {
    return fiber(
        [&trace, who, first] {
          generator<int> g = numbers_from(first, 3);
          for (int v : g) {
            trace.push_back(std::string(who) + std::to_string(v));
            EXPECT_EQ(this_fiber::name(), who);
            this_fiber::suspend();  // the generator stays suspended meanwhile
          }
        },
        {.name = who});
  };
  std::vector<fiber> fibers;
  fibers.push_back(consumer("a", 10));
  fibers.push_back(consumer("b", 20));
  bool any = true;
  while (any) {
    any = false;
    for (auto& f : fibers)
      if (!f.finished()) {
        f.resume();
        any = true;
      }
  }
  EXPECT_EQ(trace, (std::vector<std::string>{"a10", "b20", "a11", "b21", "a12", "b22"}));
}

TEST(generator_in_fibers, a_generator_made_in_one_fiber_may_be_advanced_from_another_on_the_same_thread) {
  generator<int> g = numbers_from(1, 3);
  std::vector<int> seen;
  fiber first([&] {
    seen.push_back(g.next());
    this_fiber::suspend();
    seen.push_back(g.next());
  });
  fiber second([&] { seen.push_back(g.next()); });
  first.resume();
  second.resume();
  first.resume();
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3}));
}

TEST(generator_in_fibers, generators_nest_inside_generators) {
  generator<std::string> outer([](yielder<std::string>& y) {
    generator<int> inner = numbers_from(1, 2);
    for (int v : inner) {
      generator<char> letters([v](yielder<char>& y2) {
        for (int i = 0; i < v; ++i) y2.yield(static_cast<char>('a' + i));
      });
      std::string word(letters.begin(), letters.end());
      y.yield(std::to_string(v) + word);
    }
  });
  std::vector<std::string> seen(outer.begin(), outer.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"1a", "2ab"}));
}

TEST(generator_in_fibers, a_generator_body_may_run_a_fiber_of_its_own) {
  generator<int> g([](yielder<int>& y) {
    int steps = 0;
    fiber helper([&] {
      ++steps;
      this_fiber::suspend();
      ++steps;
    });
    helper.resume();
    y.yield(steps);
    helper.resume();
    y.yield(steps);
  });
  EXPECT_EQ(g.next(), 1);
  EXPECT_EQ(g.next(), 2);
}

TEST(generator_in_fibers, each_thread_runs_its_own_generators) {
  std::vector<long> sums(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([t, &sums] {
      generator<int> g = numbers_from(t * 1000, 1000);
      long sum = 0;
      for (int v : g) sum += v;
      sums[static_cast<std::size_t>(t)] = sum;
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(sums[static_cast<std::size_t>(t)], t * 1000L * 1000 + 499500) << t;
}

TEST(generator_in_fibers, many_generators_live_at_once) {
  std::vector<generator<int>> gens;
  for (int i = 0; i < 1000; ++i) gens.push_back(numbers_from(i, 2));
  long sum = 0;
  for (auto& g : gens) sum += g.next();
  for (auto& g : gens) sum += g.next();
  EXPECT_EQ(sum, 2 * 499500L + 1000);
  for (auto& g : gens) EXPECT_EQ(g.state(), generator_state::suspended);
}

}  // namespace
