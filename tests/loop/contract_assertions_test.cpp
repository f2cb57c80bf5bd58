// The debug assertions on the intrusive containers' preconditions, and the
// message format of detail::fatalf. The containers are header-only
// templates, so this file turns their debug checks on whatever the build
// type is (NDEBUG is undefined before the include) and the tests hold in
// every build of CI.
#undef NDEBUG
#include <gtest/gtest.h>

#include "weft/detail/fatal.hpp"
#include "weft/detail/intrusive_list.hpp"

namespace {

struct queued {
  queued* next_in_fifo = nullptr;
};

struct listed : weft::detail::list_hook {};

TEST(contract_assertions, popping_an_empty_fifo_aborts_with_a_message) {
  weft::detail::fifo<queued> q;
  EXPECT_DEATH(q.pop_front(), "weft: fifo::pop_front on an empty queue");
}

TEST(contract_assertions, erasing_a_node_that_is_in_no_list_aborts) {
  weft::detail::list<listed> l;
  listed loose;
  EXPECT_DEATH(l.erase(&loose), "weft: list::erase of a node that is in no list");
}

TEST(contract_assertions, pushing_a_node_twice_aborts) {
  weft::detail::list<listed> a;
  weft::detail::list<listed> b;
  listed n;
  a.push_back(&n);
  EXPECT_DEATH(b.push_back(&n), "weft: list::push_back of a node that is already in a list");
  a.erase(&n);
  EXPECT_TRUE(a.empty());
}

TEST(contract_assertions, fatalf_prefixes_and_formats_its_message) {
  EXPECT_DEATH(weft::detail::fatalf("task '%s' broke rule %d", "reader", 3), "weft: task 'reader' broke rule 3");
}

}  // namespace
