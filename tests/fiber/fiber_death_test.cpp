// Crashes weft turns into one clear line: stack overflow (guard and
// canary) and fibers used from the wrong thread.
//
// Death tests use GoogleTest's default "fast" style (fork, no exec): ctest
// runs each test in a process of its own, and the "threadsafe" style's
// re-exec of the binary fails under qemu-user without binfmt_misc (one
// exception under TSan, below).
#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <thread>

#include "weft/detail/fiber/fiber_switch.hpp"
#include "weft/fiber.hpp"

namespace {

using weft::fiber;
using weft::fiber_options;
namespace this_fiber = weft::this_fiber;

// Recurses with frames of `frame` bytes until the stack runs out. The
// lowest byte of each frame is written first, the way a large frame that
// skips a guard would write.
// The frame stays live across the call (the asm), so the compiler can turn
// the recursion into neither a loop nor a tail call.
template <std::size_t frame>
__attribute__((noinline)) int recurse_with(int depth, int limit) {
  volatile char locals[frame];
  locals[0] = static_cast<char>(depth);
  locals[frame - 1] = locals[0];
  if (depth == limit) return locals[0];
  int deeper = recurse_with<frame>(depth + 1, limit);
  asm volatile("" : : "r"(&locals[0]) : "memory");
  return deeper + locals[frame - 1];
}

int overflow_with(std::size_t frame) {
  switch (frame) {
    case 64: return recurse_with<64>(0, 1 << 30);
    case 4096: return recurse_with<4096>(0, 1 << 30);
    default: return recurse_with<65536>(0, 1 << 30);
  }
}

enum class victim {
  own_mapping,    // a guarded stack with a mapping of its own (kernels before 6.13)
  carved,         // a stack of a slab with another stack right below it
  first_of_slab,  // the lowest stack of a slab: nothing of the slab below it
};

struct overflow_case {
  victim where;
  std::size_t frame;
};

const char* const victim_names[] = {"own_mapping", "carved", "first_of_slab"};

// For GoogleTest's messages; its default prints the bytes, padding included
// (which Valgrind reports as uninitialised).
void PrintTo(const overflow_case& c, std::ostream* out) {
  *out << victim_names[static_cast<int>(c.where)] << ", frames of " << c.frame;
}

class stack_overflow : public testing::TestWithParam<overflow_case> {};

TEST_P(stack_overflow, is_reported_naming_the_fiber_its_id_and_stack_size) {
  const auto [where, frame] = GetParam();
  // A size of this case's own: a fresh pool bucket, so the first stack of
  // that size is the first of a new slab.
  const std::size_t frame_index = frame == 64 ? 0 : frame == 4096 ? 1 : 2;
  const std::size_t size = (128 + 4 * (3 * static_cast<std::size_t>(where) + frame_index)) * 1024;
  EXPECT_DEATH(
      {
        if (where == victim::own_mapping) weft::detail::emulate_kernel_without_guard_regions(1000);
        std::optional<fiber> below;
        if (where == victim::carved) below.emplace([] {}, fiber_options{.name = "below", .stack_size = size});
        fiber f([frame] { overflow_with(frame); },
                {.name = "deep", .stack_size = size, .stack = weft::stack_mode::guarded});
        f.resume();
      },
      "weft: stack overflow in fiber #[0-9]+ 'deep' \\(guarded stack of " + std::to_string(size) +
          " bytes, guard of [0-9]+ bytes; fault at 0x[0-9a-f]+\\)");
}

std::string case_name(const testing::TestParamInfo<overflow_case>& info) {
  return std::string(victim_names[static_cast<int>(info.param.where)]) + "_frames_of_" +
         std::to_string(info.param.frame);
}

INSTANTIATE_TEST_SUITE_P(fiber_death, stack_overflow,
                         testing::Values(overflow_case{victim::own_mapping, 64},
                                         overflow_case{victim::own_mapping, 4096},
                                         overflow_case{victim::own_mapping, 65536}, overflow_case{victim::carved, 64},
                                         overflow_case{victim::carved, 4096}, overflow_case{victim::carved, 65536},
                                         overflow_case{victim::first_of_slab, 64},
                                         overflow_case{victim::first_of_slab, 4096},
                                         overflow_case{victim::first_of_slab, 65536}),
                         case_name);

// Without guard regions, the first stack of a dense slab runs off the slab:
// its stack pointer is below the stack when it faults.
TEST(fiber_death, without_guard_regions_the_first_dense_stack_of_a_slab_is_reported_on_overflow) {
  EXPECT_DEATH(
      {
        weft::detail::emulate_kernel_without_guard_regions(1000);
        fiber f([] { overflow_with(4096); },
                {.name = "dense-first", .stack_size = 100 * 1024, .stack = weft::stack_mode::dense});
        f.resume();
      },
      "weft: stack overflow in fiber #[0-9]+ 'dense-first' \\(dense stack of 102400 bytes, guard of 0 bytes");
}

TEST(fiber_death, broken_dense_canary_is_reported_at_the_next_switch) {
  EXPECT_DEATH(
      {
        weft::detail::emulate_kernel_without_guard_regions(1000);
        fiber f(
            [] {
              // What an overflow of a dense stack does first: overwrite the
              // word just below the stack's lowest byte.
              const auto& stack = weft::detail::this_thread.current->stack;
              *const_cast<volatile std::uint64_t*>(stack.canary) = 0;
              this_fiber::suspend();
            },
            {.name = "dense-one", .stack = weft::stack_mode::dense});
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
