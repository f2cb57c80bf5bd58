// The 4-ary heap with its slot table against sorted references.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <tuple>
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

// Slots are recycled as timers fire and are cancelled: a long random mix of
// pushes, pops and erases (re-arming the same nodes) must keep top() and
// pop() equal to a reference ordered set at every step.
TEST(timer_heap, recycled_slots_keep_the_order_through_mixed_operations) {
  std::mt19937 rng(777);
  std::vector<timer_node> nodes(300);
  timer_heap heap;
  using key = std::tuple<loop_time, std::uint64_t, timer_node*>;
  std::set<key> reference;
  for (int step = 0; step < 50'000; ++step) {
    timer_node& n = nodes[rng() % nodes.size()];
    unsigned op = rng() % 3;
    if (!n.armed()) {
      n.deadline = loop_time(std::chrono::nanoseconds(rng() % 50));
      heap.push(&n);
      reference.emplace(n.deadline, n.seq, &n);
    } else if (op == 0) {
      reference.erase(key{n.deadline, n.seq, &n});
      heap.erase(&n);
      EXPECT_FALSE(n.armed());
    } else if (op == 1 && !heap.empty()) {
      timer_node* expected = std::get<2>(*reference.begin());
      reference.erase(reference.begin());
      ASSERT_EQ(heap.pop(), expected) << "step " << step;
      EXPECT_FALSE(expected->armed());
    }
    ASSERT_EQ(heap.size(), reference.size());
    if (!heap.empty()) {
      ASSERT_EQ(heap.top(), std::get<2>(*reference.begin())) << "step " << step;
      ASSERT_EQ(heap.top_deadline(), std::get<0>(*reference.begin()));
    }
  }
}

}  // namespace
