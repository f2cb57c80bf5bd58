// Misuse that cannot be reported by an exception: a yielder used outside
// the body it belongs to, this_fiber::suspend() in a body, a generator used
// from a foreign thread.
#include <gtest/gtest.h>

#include <thread>

#include "weft/generator.hpp"

namespace {

using weft::generator;
using weft::yielder;

TEST(generator_death, a_yielder_used_from_the_caller_aborts_naming_the_generator) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        yielder<int>* leaked = nullptr;
        generator<int> g(
            [&](yielder<int>& y) {
              leaked = &y;
              y.yield(1);
            },
            {.name = "leaky"});
        g.next();
        leaked->yield(2);
      },
      "weft: yield on generator 'leaky' from outside its body");
}

TEST(generator_death, a_yielder_used_from_a_nested_generators_body_aborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        generator<int> outer(
            [](yielder<int>& y) {
              generator<int> inner([&y](yielder<int>&) { y.yield(1); });  // the outer's yielder
              inner.next();
            },
            {.name = "outer"});
        outer.next();
      },
      "weft: yield on generator 'outer' from outside its body");
}

TEST(generator_death, this_fiber_suspend_in_a_body_aborts_naming_the_generator) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        generator<int> g(
            [](yielder<int>& y) {
              weft::this_fiber::suspend();
              y.yield(1);
            },
            {.name = "sleepy"});
        g.next();
      },
      "this_fiber::suspend\\(\\) in a fiber of exclusive use: a generator's body .*'sleepy'");
}

TEST(generator_death, a_generator_advanced_on_another_thread_aborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        generator<int> g([](yielder<int>& y) { y.yield(1); }, {.name = "homebody"});
        std::thread([&] { g.next(); }).join();
      },
      "resumed on a thread other than the one that created it");
}

}  // namespace
