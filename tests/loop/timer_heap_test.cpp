// The 4-ary indexed heap against a sorted reference.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "loop/timer_heap.hpp"

namespace {

using weft::detail::loop_time;
using weft::detail::timer_heap;
using weft::detail::timer_node;

TEST(timer_heap, pops_in_deadline_then_insertion_order_after_random_erases) {
  std::mt19937 rng(12345);
  std::vector<timer_node> nodes(2000);
  timer_heap heap;
  for (auto& n : nodes) {
    n.deadline = loop_time(std::chrono::nanoseconds(rng() % 100));  // many equal deadlines
    heap.push(&n);
  }
  std::vector<timer_node*> kept;
  for (auto& n : nodes) {
    if (rng() % 3 == 0) heap.erase(&n);
    else kept.push_back(&n);
  }
  EXPECT_EQ(heap.size(), kept.size());
  std::stable_sort(kept.begin(), kept.end(), [](auto* a, auto* b) { return a->deadline < b->deadline; });
  std::vector<timer_node*> popped;
  while (!heap.empty()) popped.push_back(heap.pop());
  EXPECT_EQ(popped, kept);
  for (auto* n : popped) EXPECT_FALSE(n->armed());
}

}  // namespace
