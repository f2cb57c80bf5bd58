#include "loop/timer_heap.hpp"

#include <stdexcept>

namespace weft::detail {

namespace {
constexpr std::size_t arity = 4;
}

void timer_heap::take_slot(timer_node* node) {
  if (first_free_ == no_free_slot) {
    if (slots_.size() == timer_node::no_slot) throw std::length_error("weft: too many timers armed at once");
    slots_.push_back({node, 0});
    node->slot = static_cast<std::uint32_t>(slots_.size() - 1);
  } else {
    node->slot = static_cast<std::uint32_t>(first_free_);
    first_free_ = slots_[node->slot].index;
    slots_[node->slot].node = node;
  }
}

timer_node* timer_heap::release_slot(std::uint32_t slot) noexcept {
  timer_node* node = slots_[slot].node;
  node->slot = timer_node::no_slot;
  slots_[slot] = {nullptr, first_free_};
  first_free_ = slot;
  return node;
}

void timer_heap::push(timer_node* node) {
  WEFT_DASSERT(!node->armed(), "timer_heap::push of a timer that is already armed");
  heap_.emplace_back();  // the new entry's place; filled by sift_up
  try {
    take_slot(node);
  } catch (...) {
    heap_.pop_back();
    throw;
  }
  node->seq = next_seq_++;
  sift_up(heap_.size() - 1, entry{node->deadline, node->seq, node->slot});
}

void timer_heap::erase(timer_node* node) noexcept {
  WEFT_DASSERT(node->armed() && slots_[node->slot].node == node,
               "timer_heap::erase of a timer that is not in this heap");
  std::size_t i = slots_[node->slot].index;
  release_slot(node->slot);
  entry last = heap_.back();
  heap_.pop_back();
  if (i == heap_.size()) return;  // it was the last entry
  // The hole at i takes the last entry, which may belong above or below.
  if (i > 0 && before(last, heap_[(i - 1) / arity])) sift_up(i, last);
  else sift_down(i, last);
}

// Floyd's pop: the root's hole sinks to a leaf along the smaller children
// (3 comparisons per level of 4 children, none against the moving entry),
// then the last entry fills it from below, where it almost always belongs.
timer_node* timer_heap::pop() noexcept {
  WEFT_DASSERT(!heap_.empty(), "timer_heap::pop on an empty heap");
  timer_node* node = release_slot(heap_.front().slot);
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
