// The stack layer's internal interface: one allocation, and the per-thread
// pool it comes from.
//
// Ownership: a stack_allocation is owned by exactly one fiber from
// allocate_stack() until release_stack(); the pool owns it before and after.
// Both calls must happen on the same thread (the pool is thread-local and
// takes no lock); the fiber layer guarantees it by binding fibers to the
// thread that made them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "weft/stack.hpp"

namespace weft::detail {

// The value a stack's canary holds while the stack below it is intact.
inline constexpr std::uint64_t stack_canary_value = 0x57ef7cafe5a7c0deULL;

struct stack_allocation {
  std::byte* low = nullptr;  // lowest usable byte; the stack grows down to it
  std::size_t size = 0;      // usable bytes, top() == low + size
  // guarded: `guard` bytes below `low` fault on any access. dense: no
  // guard, only the canary. Never automatic.
  stack_mode mode = stack_mode::guarded;
  bool carved = false;    // a region of a slab rather than a mapping of its own
  std::size_t guard = 0;  // bytes of guard right below `low`; 0 when dense
  // The word an overflow hits first. Dense stacks point just below `low`;
  // guarded ones (the guard catches the overflow) at a constant that
  // always holds stack_canary_value, so checking is branch-free for both.
  const volatile std::uint64_t* canary = nullptr;
  unsigned valgrind_id = 0;  // VALGRIND_STACK_REGISTER handle, 0 if none

  std::byte* top() const noexcept { return low + size; }
  bool canary_intact() const noexcept { return *canary == stack_canary_value; }
  // True when `address` lies in this stack's guard.
  bool guard_contains(const void* address) const noexcept;
  // Whether a fault at `address`, taken with the stack pointer at `sp`, is
  // an overflow of this stack: the address is in the guard, or the stack
  // pointer is already below the stack and the address next to it (a frame
  // larger than the guard that faulted further down, or a dense slab's
  // first stack running off the slab).
  bool overflow_fault(const void* address, const void* sp) const noexcept;
};

// A stack of at least `size` usable bytes (0: the mode's default), from this
// thread's pool or freshly mapped. Throws std::system_error with the errno of
// a failed mmap/mprotect/madvise.
stack_allocation allocate_stack(stack_mode mode, std::size_t size);

// Gives the stack back to this thread's pool, which may unmap it.
void release_stack(const stack_allocation& stack) noexcept;

std::size_t page_size() noexcept;

// Bytes of the stack touched so far, counted in resident pages down from the
// top (the kernel commits a page when it is first touched). An upper bound:
// a recycled stack keeps the pages earlier fibers touched. O(size / page).
std::size_t stack_high_water(const stack_allocation& stack) noexcept;

// Tests only: behave as on a kernel without guard regions (the pre-6.13
// scheme), with at most `guarded_budget` guarded stacks of their own
// mapping. Affects stacks allocated afterwards, on every thread.
void emulate_kernel_without_guard_regions(std::size_t guarded_budget) noexcept;

}  // namespace weft::detail
