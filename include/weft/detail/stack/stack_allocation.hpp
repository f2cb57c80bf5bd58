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
  stack_mode mode = stack_mode::guarded;  // guarded or dense, never automatic
  // The word an overflow hits first. Dense stacks point just below `low`;
  // guarded ones (the guard page catches the overflow) at a constant that
  // always holds stack_canary_value, so checking is branch-free for both.
  const volatile std::uint64_t* canary = nullptr;
  unsigned valgrind_id = 0;  // VALGRIND_STACK_REGISTER handle, 0 if none

  std::byte* top() const noexcept { return low + size; }
  bool canary_intact() const noexcept { return *canary == stack_canary_value; }
  // True when `address` lies in this stack's guard page (guarded mode only).
  bool guard_contains(const void* address) const noexcept;
};

// A stack of at least `size` usable bytes (0: the mode's default), from this
// thread's pool or freshly mapped. Throws std::system_error with the errno of
// a failed mmap/mprotect.
stack_allocation allocate_stack(stack_mode mode, std::size_t size);

// Gives the stack back to this thread's pool, which may unmap it.
void release_stack(const stack_allocation& stack) noexcept;

std::size_t page_size() noexcept;

}  // namespace weft::detail
