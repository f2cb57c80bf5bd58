// Each fiber keeps its own C++ exception state across switches.
#include <gtest/gtest.h>

#include <exception>
#include <stdexcept>
#include <string>

#include "weft/fiber.hpp"

namespace {

using weft::fiber;
namespace this_fiber = weft::this_fiber;

std::string what_of(const std::exception_ptr& p) {
  try {
    std::rethrow_exception(p);
  } catch (const std::exception& e) {
    return e.what();
  }
}

TEST(fiber_exception_state, switching_inside_a_catch_block_keeps_each_sides_current_exception) {
  std::string fiber_saw_before, fiber_saw_after, fiber_rethrew;
  fiber f([&] {
    try {
      throw std::runtime_error("fiber's");
    } catch (...) {
      fiber_saw_before = what_of(std::current_exception());
      this_fiber::suspend();
      fiber_saw_after = what_of(std::current_exception());
      try {
        throw;
      } catch (const std::runtime_error& e) {
        fiber_rethrew = e.what();
      }
    }
  });
  f.resume();
  EXPECT_EQ(std::current_exception(), nullptr);  // the fiber's is not ours
  std::string main_saw;
  try {
    throw std::logic_error("main's");
  } catch (...) {
    main_saw = what_of(std::current_exception());
    f.resume();  // the fiber ends its catch block while we are in ours
    EXPECT_EQ(what_of(std::current_exception()), "main's");
  }
  EXPECT_EQ(std::current_exception(), nullptr);
  EXPECT_EQ(main_saw, "main's");
  EXPECT_EQ(fiber_saw_before, "fiber's");
  EXPECT_EQ(fiber_saw_after, "fiber's");
  EXPECT_EQ(fiber_rethrew, "fiber's");
  EXPECT_TRUE(f.finished());
}

TEST(fiber_exception_state, uncaught_exceptions_is_per_fiber_during_unwinding) {
  int in_destructor_before = -1, in_destructor_after = -1, main_between = -1;
  struct probe {
    int* before;
    int* after;
    ~probe() {
      *before = std::uncaught_exceptions();
      this_fiber::suspend();
      *after = std::uncaught_exceptions();
    }
  };
  fiber f([&] {
    try {
      probe p{&in_destructor_before, &in_destructor_after};
      throw std::runtime_error("unwinding");
    } catch (const std::runtime_error&) {
    }
  });
  f.resume();  // suspends inside ~probe, with the exception in flight
  main_between = std::uncaught_exceptions();
  f.resume();
  EXPECT_EQ(in_destructor_before, 1);
  EXPECT_EQ(main_between, 0);
  EXPECT_EQ(in_destructor_after, 1);
  EXPECT_TRUE(f.finished());
}

TEST(fiber_exception_state, two_fibers_interleaving_catch_blocks_each_see_their_own) {
  std::string a_after, b_after;
  auto body = [](const char* tag, std::string* out) {
    return [tag, out] {
      try {
        throw std::runtime_error(tag);
      } catch (...) {
        this_fiber::suspend();
        *out = what_of(std::current_exception());
      }
    };
  };
  fiber a(body("a", &a_after));
  fiber b(body("b", &b_after));
  a.resume();
  b.resume();
  a.resume();
  b.resume();
  EXPECT_EQ(a_after, "a");
  EXPECT_EQ(b_after, "b");
}

}  // namespace
