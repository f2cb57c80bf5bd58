// The loop's timers: a 4-ary min-heap of intrusive nodes ordered by
// (deadline, sequence number), each node knowing its index so that
// cancelling a timer is O(log n) instead of leaving a tombstone.
//
// Why a 4-ary heap rather than a timing wheel: deadlines here are exact
// nanosecond instants (virtual time jumps straight to the next one, and the
// loop sleeps until exactly the earliest), insertion and removal are
// O(log4 n) with a small constant, and the children of a node share a cache
// line. A wheel would round deadlines to its tick or need cascading levels.
// docs/event-loop.md has the measurement (BM_timers/N).
//
// Equal deadlines pop in insertion order (the sequence number breaks ties),
// which makes timer order deterministic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "weft/detail/task_state.hpp"

namespace weft::detail {

struct timer_node {
  loop_time deadline{};
  std::uint64_t seq = 0;
  std::size_t heap_index = not_in_heap;
  void (*fire)(timer_node*) = nullptr;  // called once, after removal from the heap

  static constexpr std::size_t not_in_heap = static_cast<std::size_t>(-1);
  bool armed() const noexcept { return heap_index != not_in_heap; }
};

class timer_heap {
 public:
  bool empty() const noexcept { return heap_.empty(); }
  std::size_t size() const noexcept { return heap_.size(); }
  timer_node* top() const noexcept { return heap_.front(); }

  // Precondition: node is not armed. Assigns its sequence number.
  void push(timer_node* node);
  // Precondition: node is armed in this heap.
  void erase(timer_node* node) noexcept;
  timer_node* pop() noexcept;

 private:
  static bool before(const timer_node* a, const timer_node* b) noexcept {
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
  }
  void place(std::size_t i, timer_node* node) noexcept {
    heap_[i] = node;
    node->heap_index = i;
  }
  void sift_up(std::size_t i, timer_node* node) noexcept;
  void sift_down(std::size_t i, timer_node* node) noexcept;

  std::vector<timer_node*> heap_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace weft::detail
