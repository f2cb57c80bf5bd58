// Range-for, iterators with standard algorithms, and yields from nested
// ordinary calls (the stackful part).
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <memory>
#include <numeric>
#include <ranges>
#include <string>
#include <vector>

#include "weft/generator.hpp"

namespace {

using weft::generator;
using weft::generator_state;
using weft::yielder;

static_assert(std::input_iterator<generator<int>::iterator>);
static_assert(std::ranges::input_range<generator<int>>);
static_assert(std::sentinel_for<generator<int>::iterator, generator<int>::iterator>);
static_assert(
    std::is_same_v<std::iterator_traits<generator<int>::iterator>::iterator_category, std::input_iterator_tag>);

generator<int> squares(int limit) {
  return generator<int>([limit](yielder<int>& y) {
    for (int i = 0; i < limit; ++i) y.yield(i * i);
  });
}

TEST(generator_iteration, range_for_visits_every_value_then_stops) {
  std::vector<int> seen;
  generator<int> g = squares(5);
  for (int v : g) seen.push_back(v);
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 4, 9, 16}));
  EXPECT_EQ(g.state(), generator_state::closed);
}

TEST(generator_iteration, breaking_out_of_range_for_leaves_the_rest_for_later) {
  generator<int> g = squares(5);
  for (int v : g)
    if (v == 4) break;
  EXPECT_EQ(g.next(), 9);
  std::vector<int> rest(g.begin(), g.end());
  EXPECT_EQ(rest, (std::vector<int>{16}));
}

TEST(generator_iteration, standard_algorithms_consume_a_generator) {
  {
    generator<int> g = squares(5);
    EXPECT_EQ(std::accumulate(g.begin(), g.end(), 0), 30);
  }
  {
    generator<int> g = squares(100);
    auto it = std::find_if(g.begin(), g.end(), [](int v) { return v > 50; });
    ASSERT_NE(it, g.end());
    EXPECT_EQ(*it, 64);
  }
  {
    generator<int> g = squares(4);
    std::vector<int> out;
    std::copy(g.begin(), g.end(), std::back_inserter(out));
    EXPECT_EQ(out, (std::vector<int>{0, 1, 4, 9}));
  }
  {
    generator<int> g = squares(6);
    auto evens =
        g | std::views::filter([](int v) { return v % 2 == 0; }) | std::views::transform([](int v) { return v / 2; });
    std::vector<int> out;
    for (int v : evens) out.push_back(v);
    EXPECT_EQ(out, (std::vector<int>{0, 2, 8}));
  }
  {
    generator<int> g = squares(10);
    EXPECT_EQ(std::ranges::count_if(g, [](int v) { return v % 3 == 0; }), 4);
  }
}

TEST(generator_iteration, iterators_hand_out_move_only_values) {
  generator<std::unique_ptr<int>> g([](yielder<std::unique_ptr<int>>& y) {
    for (int i = 0; i < 3; ++i) y.yield(std::make_unique<int>(i));
  });
  std::vector<std::unique_ptr<int>> out;
  for (auto p : g) out.push_back(std::move(p));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(*out[2], 2);
}

TEST(generator_iteration, an_exception_from_the_body_comes_out_of_the_loop) {
  generator<int> g([](yielder<int>& y) {
    y.yield(1);
    throw std::domain_error("midway");
  });
  std::vector<int> seen;
  EXPECT_THROW(
      {
        for (int v : g) seen.push_back(v);
      },
      std::domain_error);
  EXPECT_EQ(seen, (std::vector<int>{1}));
}

TEST(generator_iteration, iterating_an_exhausted_generator_yields_nothing) {
  generator<int> g = squares(2);
  std::vector<int> first(g.begin(), g.end());
  std::vector<int> second(g.begin(), g.end());
  EXPECT_EQ(first.size(), 2u);
  EXPECT_TRUE(second.empty());
}

// --- yields from nested ordinary calls -------------------------------------------

struct tree {
  int value;
  std::unique_ptr<tree> left, right;
};

std::unique_ptr<tree> node(int v, std::unique_ptr<tree> l = nullptr, std::unique_ptr<tree> r = nullptr) {
  return std::make_unique<tree>(tree{v, std::move(l), std::move(r)});
}

// An ordinary recursive function: it yields through the reference it was
// handed, from whatever depth it has reached.
void walk_in_order(const tree* t, yielder<int>& y) {
  if (t == nullptr) return;
  walk_in_order(t->left.get(), y);
  y.yield(t->value);
  walk_in_order(t->right.get(), y);
}

TEST(generator_nested_calls, a_recursive_tree_walk_yields_every_node_in_order) {
  auto root = node(4, node(2, node(1), node(3)), node(6, node(5), node(7)));
  generator<int> g([&](yielder<int>& y) { walk_in_order(root.get(), y); });
  std::vector<int> seen(g.begin(), g.end());
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3, 4, 5, 6, 7}));
}

TEST(generator_nested_calls, a_yield_from_a_thousand_frames_down_comes_out_and_resumes_there) {
  // A degenerate tree: a right spine 1000 nodes deep.
  std::unique_ptr<tree> root;
  for (int v = 1000; v >= 1; --v) root = node(v, nullptr, std::move(root));
  generator<int> g([&](yielder<int>& y) { walk_in_order(root.get(), y); });
  long sum = 0;
  int count = 0;
  int last = 0;
  for (int v : g) {
    sum += v;
    ++count;
    last = v;
  }
  EXPECT_EQ(count, 1000);
  EXPECT_EQ(sum, 500500);
  EXPECT_EQ(last, 1000);
}

TEST(generator_nested_calls, closing_unwinds_every_nested_frame) {
  std::vector<int> unwound;
  struct frame_guard {
    std::vector<int>* log;
    int depth;
    ~frame_guard() { log->push_back(depth); }
  };
  struct descend {
    static void at(int depth, yielder<int>& y, std::vector<int>* log) {
      frame_guard guard{log, depth};
      if (depth == 3) {
        y.yield(depth);
        return;
      }
      at(depth + 1, y, log);
    }
  };
  generator<int> g([&](yielder<int>& y) { descend::at(0, y, &unwound); });
  EXPECT_EQ(g.next(), 3);
  g.close();
  EXPECT_EQ(unwound, (std::vector<int>{3, 2, 1, 0}));
}

TEST(generator_nested_calls, sent_values_reach_the_nested_yield) {
  struct deep {
    static int sum_sent(int depth, yielder<int, int>& y) {
      if (depth > 0) return sum_sent(depth - 1, y);
      int sum = 0;
      while (auto v = y.yield(sum)) sum += *v;
      return sum;
    }
  };
  generator<int, int, int> g([](yielder<int, int>& y) { return deep::sum_sent(50, y); });
  EXPECT_EQ(g.next(), 0);
  EXPECT_EQ(g.send(5), 5);
  EXPECT_EQ(g.send(6), 11);
  EXPECT_EQ(g.try_next(), std::nullopt);
  EXPECT_EQ(*g.return_value(), 11);
}

}  // namespace
