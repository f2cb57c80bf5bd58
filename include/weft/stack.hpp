// Fiber stacks: how they are made and which kind a fiber gets.
//
// Every fiber runs on a stack of its own, mmap'd and committed lazily by the
// kernel (only touched pages cost memory), recycled through a per-thread pool.
// Two kinds exist because of one kernel limit: each guard page costs a
// mapping, and Linux allows 65530 mappings per process by default.
//
//   guarded  one mapping of its own with a PROT_NONE page below it. Running
//            off the end faults at once; weft prints which fiber overflowed
//            and aborts. Two kernel mappings per stack.
//   dense    carved back to back out of large slabs (one mapping for many
//            stacks). No guard page: a canary word just below the stack is
//            checked each time the fiber switches out, and a broken canary
//            aborts naming the fiber. Detects an overflow late (after it may
//            have scribbled on the neighbouring stack's top) but lets a
//            process hold millions of fibers.
//   automatic  guarded while the process holds fewer guarded stacks than a
//            quarter of vm.max_map_count, dense beyond that.
//
// docs/architecture.md gives the default sizes and why.
#pragma once

#include <cstddef>
#include <string_view>

namespace weft {

enum class stack_mode : unsigned char { automatic, guarded, dense };

std::string_view to_string(stack_mode mode) noexcept;

// The usable size a fiber gets when fiber_options::stack_size is 0. Larger
// when built with AddressSanitizer, whose redzones grow every frame.
std::size_t default_stack_size(stack_mode mode) noexcept;

// How many guarded stacks may be live in the process before `automatic`
// switches to dense: a quarter of vm.max_map_count, read once.
std::size_t guarded_stack_budget() noexcept;

}  // namespace weft
