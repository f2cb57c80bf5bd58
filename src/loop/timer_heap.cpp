#include "loop/timer_heap.hpp"

namespace weft::detail {

namespace {
constexpr std::size_t arity = 4;
}

void timer_heap::push(timer_node* node) {
  node->seq = next_seq_++;
  entry e{node->deadline, node->seq, node};
  heap_.push_back(e);
  sift_up(heap_.size() - 1, e);
}

void timer_heap::erase(timer_node* node) noexcept {
  std::size_t i = node->heap_index;
  entry last = heap_.back();
  heap_.pop_back();
  node->heap_index = timer_node::not_in_heap;
  if (last.node == node) return;
  // The hole at i takes the last entry, which may belong above or below.
  if (i > 0 && before(last, heap_[(i - 1) / arity])) sift_up(i, last);
  else sift_down(i, last);
}

// Floyd's pop: the root's hole sinks to a leaf along the smaller children
// (3 comparisons per level of 4 children, none against the moving entry),
// then the last entry fills it from below, where it almost always belongs.
timer_node* timer_heap::pop() noexcept {
  timer_node* node = heap_.front().node;
  node->heap_index = timer_node::not_in_heap;
  entry last = heap_.back();
  heap_.pop_back();
  const std::size_t n = heap_.size();
  if (n == 0) return node;
  std::size_t i = 0;
  for (;;) {
    std::size_t first = i * arity + 1;
    if (first >= n) break;
    std::size_t best = first;
    std::size_t end = first + arity < n ? first + arity : n;
    for (std::size_t c = first + 1; c < end; ++c)
      if (before(heap_[c], heap_[best])) best = c;
    place(i, heap_[best]);
    i = best;
  }
  sift_up(i, last);
  return node;
}

void timer_heap::sift_up(std::size_t i, entry e) noexcept {
  while (i > 0) {
    std::size_t parent = (i - 1) / arity;
    if (!before(e, heap_[parent])) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, e);
}

void timer_heap::sift_down(std::size_t i, entry e) noexcept {
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t first = i * arity + 1;
    if (first >= n) break;
    std::size_t best = first;
    std::size_t end = first + arity < n ? first + arity : n;
    for (std::size_t c = first + 1; c < end; ++c)
      if (before(heap_[c], heap_[best])) best = c;
    if (!before(heap_[best], e)) break;
    place(i, heap_[best]);
    i = best;
  }
  place(i, e);
}

}  // namespace weft::detail
