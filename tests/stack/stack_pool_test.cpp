// Stack allocation: modes, sizes, guard placement, canaries, recycling.
#include <gtest/gtest.h>

#include <csetjmp>
#include <csignal>
#include <cstring>

#include "weft/detail/stack/stack_allocation.hpp"

namespace {

using weft::stack_mode;
using weft::detail::allocate_stack;
using weft::detail::page_size;
using weft::detail::release_stack;

TEST(stack_pool, guarded_stack_has_requested_usable_size_and_guard_below) {
  auto s = allocate_stack(stack_mode::guarded, 3 * page_size() + 1);
  EXPECT_EQ(s.mode, stack_mode::guarded);
  EXPECT_EQ(s.size, 4 * page_size());  // rounded up to pages
  EXPECT_TRUE(s.guard_contains(s.low - 1));
  EXPECT_TRUE(s.guard_contains(s.low - page_size()));
  EXPECT_FALSE(s.guard_contains(s.low));
  EXPECT_FALSE(s.guard_contains(s.low - page_size() - 1));
  std::memset(s.low, 0xab, s.size);  // the whole usable range is writable
  EXPECT_TRUE(s.canary_intact());
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

TEST(stack_pool, dense_stacks_are_neighbours_with_a_canary_between) {
  auto a = allocate_stack(stack_mode::dense, 8 * page_size());
  auto b = allocate_stack(stack_mode::dense, 8 * page_size());
  EXPECT_EQ(a.mode, stack_mode::dense);
  EXPECT_EQ(a.size, 8 * page_size() - 16);
  // b sits right above a; b's canary is in a's reserved top slot.
  EXPECT_EQ(b.low, a.low + 8 * page_size());
  EXPECT_EQ(reinterpret_cast<const volatile std::byte*>(b.canary), b.low - 16);
  EXPECT_TRUE(b.canary_intact());
  std::memset(a.low, 0, a.size);  // a's whole stack leaves b's canary alone
  EXPECT_TRUE(b.canary_intact());
  *const_cast<std::uint64_t*>(const_cast<const std::uint64_t*>(b.canary)) = 0;  // an overflow of b
  EXPECT_FALSE(b.canary_intact());
  release_stack(b);
  release_stack(a);
}

TEST(stack_pool, automatic_chooses_guarded_below_the_mapping_budget) {
  EXPECT_GT(weft::guarded_stack_budget(), 1000u);
  auto s = allocate_stack(stack_mode::automatic, 0);
  EXPECT_EQ(s.mode, stack_mode::guarded);
  EXPECT_EQ(s.size, weft::default_stack_size(stack_mode::guarded));
  release_stack(s);
}

TEST(stack_pool, default_sizes_are_page_multiples_and_dense_is_smaller) {
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
