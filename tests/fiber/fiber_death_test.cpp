// Crashes weft turns into one clear line: stack overflow (guard page and
// canary) and fibers used from the wrong thread.
//
// Death tests use GoogleTest's default "fast" style (fork, no exec): ctest
// runs each test in a process of its own, and the "threadsafe" style's
// re-exec of the binary fails under qemu-user without binfmt_misc (one
// exception under TSan, below).
#include <gtest/gtest.h>

#include <thread>

#include "weft/detail/fiber/fiber_switch.hpp"
#include "weft/fiber.hpp"

namespace {

using weft::fiber;
namespace this_fiber = weft::this_fiber;

// Recurses until the stack runs out; `limit` is never reached in practice
// but keeps the recursion finite in the compiler's eyes.
int recurse(int depth, int limit) {
  volatile char frame[512];
  frame[0] = static_cast<char>(depth);
  if (depth == limit) return frame[0];
  return recurse(depth + 1, limit) + frame[0];
}

TEST(fiber_death, guard_page_overflow_names_the_fiber_and_its_stack_size) {
  EXPECT_DEATH(
      {
        fiber f([] { recurse(0, 1 << 30); }, {.name = "deep", .stack_size = 64 * 1024, .stack = weft::stack_mode::guarded});
        f.resume();
      },
      "weft: stack overflow in fiber #[0-9]+ 'deep' \\(guarded stack of 65536 bytes");
}

TEST(fiber_death, broken_dense_canary_is_reported_at_the_next_switch) {
  EXPECT_DEATH(
      {
        fiber f([] {
          // What an overflow of a dense stack does first: overwrite the
          // word just below the stack's lowest byte.
          const auto& stack = weft::detail::this_thread.current->stack;
          *const_cast<volatile std::uint64_t*>(stack.canary) = 0;
          this_fiber::suspend();
        }, {.name = "dense-one", .stack = weft::stack_mode::dense});
        f.resume();
      },
      "weft: stack overflow detected: the canary below a dense stack was overwritten \\(fiber #[0-9]+ 'dense-one'\\)");
}

TEST(fiber_death, resuming_on_another_thread_aborts_with_a_message) {
#if defined(WEFT_TSAN)
  // The child starts a thread. TSan refuses that after a fork of a process
  // it considers multi-threaded (its own background thread counts), so
  // this one re-executes the binary instead; TSan builds never run on qemu.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
#endif
  EXPECT_DEATH(
      {
        fiber f([] {}, {.name = "homebody"});
        std::thread t([&] { f.resume(); });
        t.join();
      },
      "weft: a fiber was resumed on a thread other than the one that created it \\(fiber #[0-9]+ 'homebody'\\)");
}

}  // namespace
