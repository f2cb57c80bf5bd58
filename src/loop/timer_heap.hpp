// The loop's timers: a 4-ary min-heap ordered by (deadline, sequence
// number), in which cancelling a timer is O(log n) instead of leaving a
// tombstone.
//
// Why a 4-ary heap rather than a timing wheel: deadlines here are exact
// nanosecond instants (virtual time jumps straight to the next one, and the
// loop sleeps until exactly the earliest), insertion and removal are
// O(log4 n) with a small constant, and the four children of a node are
// adjacent (4 x 24 bytes: two cache lines at most). A wheel would round
// deadlines to its tick or need cascading levels. BM_timers/N in
// bench/loop_bench.cpp measures it; docs/performance.md has the figures.
//
// Equal deadlines pop in insertion order (the sequence number breaks ties),
// which makes timer order deterministic.
//
// Nodes live wherever their owner put them: a sleeping task's node is on its
// own stack, one page per task. So the heap never touches a node while it
// reorders: each heap entry holds the deadline and sequence number beside a
// slot number, and the slot table (dense, owned by the heap) holds the
// node's pointer and its current heap index. Comparing through node
// pointers cost a cache and TLB miss per comparison; writing each moved
// node's index into the node cost one per level of every pop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "weft/detail/fatal.hpp"
#include "weft/detail/loop/task_state.hpp"

namespace weft::detail {

struct timer_node {
  loop_time deadline{};
  std::uint64_t seq = 0;
  std::uint32_t slot = no_slot;         // the heap's slot table entry while armed
  void (*fire)(timer_node*) = nullptr;  // called once, after removal from the heap

  static constexpr std::uint32_t no_slot = static_cast<std::uint32_t>(-1);
  bool armed() const noexcept { return slot != no_slot; }
};

class timer_heap {
 public:
  bool empty() const noexcept { return heap_.empty(); }
  std::size_t size() const noexcept { return heap_.size(); }
  // Precondition of top(), top_deadline() and pop(): not empty.
  timer_node* top() const noexcept {
    WEFT_DASSERT(!heap_.empty(), "timer_heap::top on an empty heap");
    return slots_[heap_.front().slot].node;
  }
  loop_time top_deadline() const noexcept {
    WEFT_DASSERT(!heap_.empty(), "timer_heap::top_deadline on an empty heap");
    return heap_.front().deadline;
  }

  // Precondition: node is not armed. Assigns its sequence number.
  void push(timer_node* node);
  // Precondition: node is armed in this heap.
  void erase(timer_node* node) noexcept;
  timer_node* pop() noexcept;

 private:
  struct entry {
    loop_time deadline;
    std::uint64_t seq;
    std::uint32_t slot;
  };
  // In use: the armed node and where its entry is in heap_. Free: `index`
  // is the next free slot (a list threaded through the table, so that
  // freeing a slot never allocates).
  struct slot_record {
    timer_node* node;
    std::size_t index;
  };
  static bool before(const entry& a, const entry& b) noexcept {
    return a.deadline < b.deadline || (a.deadline == b.deadline && a.seq < b.seq);
  }
  void place(std::size_t i, const entry& e) noexcept {
    heap_[i] = e;
    slots_[e.slot].index = i;
  }
  // Arms `node` with a free slot (node->slot), growing the table if none.
  void take_slot(timer_node* node);
  // Unarms the node in `slot` and returns the slot to the free list.
  timer_node* release_slot(std::uint32_t slot) noexcept;
  void sift_up(std::size_t i, entry e) noexcept;
  void sift_down(std::size_t i, entry e) noexcept;

  std::vector<entry> heap_;
  std::vector<slot_record> slots_;
  std::size_t first_free_ = no_free_slot;
  std::uint64_t next_seq_ = 0;
  static constexpr std::size_t no_free_slot = static_cast<std::size_t>(-1);
};

}  // namespace weft::detail
