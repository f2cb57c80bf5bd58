// Floating-point control state: per thread by default, per fiber on request.
#include <gtest/gtest.h>

#include <cfenv>

#include "weft/context.hpp"
#include "weft/fiber.hpp"

namespace {

using weft::fiber;
namespace this_fiber = weft::this_fiber;

// Restores the test thread's rounding mode whatever a test does.
struct rounding_guard {
  int saved = std::fegetround();
  ~rounding_guard() { std::fesetround(saved); }
};

double divide(double a, double b) {
  volatile double x = a, y = b;  // computed at run time, in the current mode
  return x / y;
}

TEST(fiber_fp_env, preserving_fiber_keeps_its_rounding_mode_across_suspend) {
  rounding_guard guard;
  int mode_after_resume = -1;
  double rounded_up = 0, rounded_main = 0;
  fiber f(
      [&] {
        std::fesetround(FE_UPWARD);
        this_fiber::suspend();
        mode_after_resume = std::fegetround();
        rounded_up = divide(1.0, 3.0);
      },
      {.preserve_fp_env = true});
  std::fesetround(FE_TONEAREST);
  f.resume();
  EXPECT_EQ(std::fegetround(), FE_TONEAREST);  // the fiber's change stayed in the fiber
  std::fesetround(FE_DOWNWARD);                // the resumer changes its own
  rounded_main = divide(1.0, 3.0);
  f.resume();
  EXPECT_EQ(mode_after_resume, FE_UPWARD);
  EXPECT_EQ(std::fegetround(), FE_DOWNWARD);
  EXPECT_GT(rounded_up, rounded_main);  // 1/3 rounded up vs down differ by one ulp
}

// With weft's own switch the FP control state belongs to the thread; with
// Boost.Context every context carries its own (fcontext saves it each jump).
TEST(fiber_fp_env, default_fiber_follows_the_backends_documented_fp_policy) {
  rounding_guard guard;
  int seen_inside = -1;
  fiber f([&] {
    seen_inside = std::fegetround();
    std::fesetround(FE_TOWARDZERO);
    this_fiber::suspend();
  });
  std::fesetround(FE_UPWARD);
  f.resume();
  if (weft::context_switch_preserves_fp_env()) {
    EXPECT_EQ(weft::context_backend(), "boost");
    EXPECT_EQ(seen_inside, FE_TONEAREST);     // a fresh context starts in the default
    EXPECT_EQ(std::fegetround(), FE_UPWARD);  // and keeps its change to itself
  } else {
    EXPECT_EQ(weft::context_backend(), "asm");
    EXPECT_EQ(seen_inside, FE_UPWARD);            // inherited from the thread
    EXPECT_EQ(std::fegetround(), FE_TOWARDZERO);  // and its change is the thread's
  }
}

}  // namespace
