#include "loop/timer_heap.hpp"

namespace weft::detail {

namespace {
constexpr std::size_t arity = 4;
}

void timer_heap::push(timer_node* node) {
  node->seq = next_seq_++;
  heap_.push_back(node);
  sift_up(heap_.size() - 1, node);
}

void timer_heap::erase(timer_node* node) noexcept {
  std::size_t i = node->heap_index;
  timer_node* last = heap_.back();
  heap_.pop_back();
  node->heap_index = timer_node::not_in_heap;
  if (last == node) return;
  // The hole at i takes the last node, which may belong above or below.
  if (i > 0 && before(last, heap_[(i - 1) / arity])) sift_up(i, last);
  else sift_down(i, last);
}

timer_node* timer_heap::pop() noexcept {
  timer_node* node = heap_.front();
  erase(node);
  return node;
}

void timer_heap::sift_up(std::size_t i, timer_node* node) noexcept {
  while (i > 0) {
    std::size_t parent = (i - 1) / arity;
    if (!before(node, heap_[parent])) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, node);
}

void timer_heap::sift_down(std::size_t i, timer_node* node) noexcept {
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t first = i * arity + 1;
    if (first >= n) break;
    std::size_t best = first;
    std::size_t end = first + arity < n ? first + arity : n;
    for (std::size_t c = first + 1; c < end; ++c)
      if (before(heap_[c], heap_[best])) best = c;
    if (!before(heap_[best], node)) break;
    place(i, heap_[best]);
    i = best;
  }
  place(i, node);
}

}  // namespace weft::detail
