// Stack allocation: modes, sizes, guard placement, canaries, recycling.
#include <gtest/gtest.h>

#include <sys/utsname.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <tuple>
#include <vector>

#include "weft/detail/stack/stack_allocation.hpp"

namespace {

using weft::stack_mode;
using weft::to_string;
using weft::detail::allocate_stack;
using weft::detail::page_size;
using weft::detail::release_stack;

// Whether the running kernel is at least `major`.`minor`, from uname.
bool kernel_at_least(int major, int minor) {
  utsname u{};
  if (::uname(&u) != 0) return false;
  int ma = 0, mi = 0;
  if (std::sscanf(u.release, "%d.%d", &ma, &mi) != 2) return false;
  return ma > major || (ma == major && mi >= minor);
}

std::size_t mappings_in_process() {
  std::FILE* f = std::fopen("/proc/self/maps", "r");
  std::size_t lines = 0;
  for (int c; (c = std::fgetc(f)) != EOF;) lines += c == '\n';
  std::fclose(f);
  return lines;
}

// In a death test's child: exits 1 with the reason unless `ok`.
void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "child: failed: %s\n", what);
    std::exit(1);
  }
}

TEST(stack_pool, guard_regions_are_used_exactly_on_linux_6_13_and_later) {
  EXPECT_EQ(weft::stack_guard_regions(), kernel_at_least(6, 13));
  EXPECT_GE(weft::stack_guard_size(), 16 * page_size());
}

TEST(stack_pool, guarded_stack_has_requested_usable_size_and_guard_below) {
  auto s = allocate_stack(stack_mode::guarded, 3 * page_size() + 1);
  EXPECT_EQ(s.mode, stack_mode::guarded);
  EXPECT_EQ(s.size, 4 * page_size());  // rounded up to pages
  EXPECT_EQ(s.guard, weft::stack_guard_size());
  EXPECT_TRUE(s.guard_contains(s.low - 1));
  EXPECT_TRUE(s.guard_contains(s.low - s.guard));
  EXPECT_FALSE(s.guard_contains(s.low));
  EXPECT_FALSE(s.guard_contains(s.low - s.guard - 1));
  std::memset(s.low, 0xab, s.size);  // the whole usable range is writable
  EXPECT_TRUE(s.canary_intact());
  release_stack(s);
}

// Death tests (suite stack_death, which tests/run_all.sh leaves out under
// Valgrind): a write to either end of a guard faults.
TEST(stack_death, a_write_to_either_end_of_a_guard_faults) {
  auto s = allocate_stack(stack_mode::guarded, 4 * page_size());
  EXPECT_DEATH(*reinterpret_cast<volatile char*>(s.low - 1) = 1, "");
  EXPECT_DEATH(*reinterpret_cast<volatile char*>(s.low - s.guard) = 1, "");
  release_stack(s);
}

TEST(stack_pool, a_fault_is_an_overflow_in_the_guard_or_next_to_a_stack_pointer_below_the_stack) {
  auto s = allocate_stack(stack_mode::guarded, 4 * page_size());
  std::byte* inside = s.low + 64;
  std::byte* far_below = s.low - s.guard - 1024 * 1024;
  EXPECT_TRUE(s.overflow_fault(s.low - 8, inside));            // in the guard, whatever the sp
  EXPECT_TRUE(s.overflow_fault(far_below, far_below));         // a frame that jumped the guard
  EXPECT_TRUE(s.overflow_fault(far_below - 8, far_below));     // a push or call below it
  EXPECT_FALSE(s.overflow_fault(nullptr, far_below));          // a null dereference while overflowed
  EXPECT_FALSE(s.overflow_fault(far_below, inside));           // a wild pointer, stack intact
  EXPECT_FALSE(s.overflow_fault(s.low + 8, s.low - s.guard));  // not below the stack
  release_stack(s);
}

TEST(stack_pool, released_stack_is_reused_by_the_next_allocation_of_its_size) {
  auto a = allocate_stack(stack_mode::guarded, 16 * page_size());
  std::byte* low = a.low;
  release_stack(a);
  auto b = allocate_stack(stack_mode::guarded, 16 * page_size());
  EXPECT_EQ(b.low, low);
  release_stack(b);
}

TEST(stack_pool, with_guard_regions_every_mode_is_carved_and_guarded_at_full_size) {
  if (!weft::stack_guard_regions()) GTEST_SKIP() << "kernel before 6.13: covered by the emulation tests";
  for (auto mode : {stack_mode::automatic, stack_mode::guarded, stack_mode::dense}) {
    auto a = allocate_stack(mode, 0);
    auto b = allocate_stack(mode, 0);
    EXPECT_EQ(a.mode, stack_mode::guarded) << to_string(mode);
    EXPECT_TRUE(a.carved);
    EXPECT_EQ(a.size, weft::default_stack_size(mode));
    EXPECT_EQ(b.size, weft::default_stack_size(mode));
    // Neighbours in one slab, a guard between them (in either order: the
    // pool hands out recycled stacks last released first).
    const auto& [lower, upper] = a.low < b.low ? std::tie(a, b) : std::tie(b, a);
    EXPECT_EQ(upper.low, lower.top() + weft::stack_guard_size());
    EXPECT_TRUE(upper.guard_contains(lower.top()));
    std::memset(a.low, 0, a.size);
    release_stack(b);
    release_stack(a);
  }
}

TEST(stack_death, the_guard_between_two_carved_stacks_faults_at_both_ends) {
  if (!weft::stack_guard_regions()) GTEST_SKIP() << "kernel before 6.13: no carved guarded stacks";
  auto a = allocate_stack(stack_mode::automatic, 0);
  auto b = allocate_stack(stack_mode::automatic, 0);
  const auto& [lower, upper] = a.low < b.low ? std::tie(a, b) : std::tie(b, a);
  ASSERT_EQ(upper.low, lower.top() + upper.guard) << "not neighbours: guard regions " << weft::stack_guard_regions();
  EXPECT_DEATH(*reinterpret_cast<volatile char*>(upper.low - 1) = 1, "");
  EXPECT_DEATH(*reinterpret_cast<volatile char*>(lower.top()) = 1, "");
  release_stack(b);
  release_stack(a);
}

// The old scheme's mapping budget is 16,382 guarded stacks on a stock
// vm.max_map_count; with guard regions a slab of many stacks is one mapping.
TEST(stack_pool, past_the_old_guarded_budget_stacks_stay_guarded_and_full_size) {
  if (!weft::stack_guard_regions()) GTEST_SKIP() << "kernel before 6.13: covered by the emulation tests";
  const std::size_t n = weft::guarded_stack_budget() + 1;
  const std::size_t before = mappings_in_process();
  std::vector<weft::detail::stack_allocation> stacks;
  stacks.reserve(n);
  for (std::size_t i = 0; i < n; ++i) stacks.push_back(allocate_stack(stack_mode::automatic, 0));
  EXPECT_LT(mappings_in_process() - before, n / 100);
  EXPECT_EQ(stacks.back().mode, stack_mode::guarded);
  EXPECT_EQ(stacks.back().size, weft::default_stack_size(stack_mode::automatic));
  EXPECT_EQ(stacks.back().guard, weft::stack_guard_size());
  for (auto& s : stacks) release_stack(s);
}

TEST(stack_death, without_guard_regions_dense_stacks_are_full_size_neighbours_with_a_canary_between) {
  EXPECT_EXIT(
      {
        weft::detail::emulate_kernel_without_guard_regions(1000);
        auto a = allocate_stack(stack_mode::dense, 8 * page_size());
        auto b = allocate_stack(stack_mode::dense, 8 * page_size());
        require(a.mode == stack_mode::dense && a.guard == 0 && a.carved, "a dense carved stack");
        require(a.size == 8 * page_size(), "the size asked for");
        // b sits right above a; b's canary is in the slot above a's stack.
        require(b.low == a.top() + 16, "b right above a");
        require(reinterpret_cast<const volatile std::byte*>(b.canary) == b.low - 16, "b's canary below b");
        require(b.canary_intact(), "a fresh canary");
        std::memset(a.low, 0, a.size);  // a's whole stack leaves b's canary alone
        require(b.canary_intact(), "canary survives the stack below");
        *const_cast<std::uint64_t*>(const_cast<const std::uint64_t*>(b.canary)) = 0;  // an overflow of b
        require(!b.canary_intact(), "a broken canary seen");
        std::exit(0);
      },
      testing::ExitedWithCode(0), "^$");
}

TEST(stack_death, without_guard_regions_automatic_goes_dense_at_full_size_past_the_budget_and_says_so_once) {
  EXPECT_EXIT(
      {
        weft::detail::emulate_kernel_without_guard_regions(4);
        std::vector<weft::detail::stack_allocation> stacks;
        for (int i = 0; i < 4; ++i) stacks.push_back(allocate_stack(stack_mode::automatic, 0));
        for (auto& s : stacks) require(s.mode == stack_mode::guarded && !s.carved && s.guard != 0, "own mapping");
        std::fprintf(stderr, "child: 4 guarded\n");
        for (int i = 0; i < 2; ++i) stacks.push_back(allocate_stack(stack_mode::automatic, 0));
        for (int i = 4; i < 6; ++i) {
          require(stacks[i].mode == stack_mode::dense && stacks[i].carved, "dense past the budget");
          require(stacks[i].size == weft::default_stack_size(stack_mode::automatic), "full default size");
        }
        std::fprintf(stderr, "child: 2 dense\n");
        std::exit(0);
      },
      testing::ExitedWithCode(0),
      "^child: 4 guarded\nweft: fiber stacks are unguarded from now on \\(a quarter of vm.max_map_count guarded "
      "stacks are live; [^\n]*\nchild: 2 dense\n$");
}

TEST(stack_pool, default_sizes_are_page_multiples_and_dense_is_smaller) {
  EXPECT_EQ(weft::default_stack_size(stack_mode::automatic), weft::default_stack_size(stack_mode::guarded));
  EXPECT_EQ(weft::default_stack_size(stack_mode::guarded) % page_size(), 0u);
  EXPECT_EQ(weft::default_stack_size(stack_mode::dense) % page_size(), 0u);
  EXPECT_LT(weft::default_stack_size(stack_mode::dense), weft::default_stack_size(stack_mode::guarded));
  EXPECT_EQ(weft::to_string(stack_mode::dense), "dense");
}

TEST(stack_pool, an_impossible_mapping_throws_system_error_with_errno) {
  try {
    allocate_stack(stack_mode::guarded, std::size_t{1} << 62);
    FAIL() << "a 4 EiB stack was mapped";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ENOMEM);
    EXPECT_NE(std::string(e.what()).find("mmap"), std::string::npos);
  }
}

}  // namespace
