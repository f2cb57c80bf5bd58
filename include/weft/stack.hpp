// Fiber stacks: how they are made and which kind a fiber gets.
//
// Every fiber runs on a stack of its own, mmap'd and committed lazily by the
// kernel (only touched pages cost memory), recycled through a per-thread pool.
// A fiber always gets the size it asked for (or its mode's default), in every
// mode and under any load. What differs is the guard below the stack:
//
//   Linux 6.13 and later (MADV_GUARD_INSTALL, probed once at run time):
//            every stack, in every mode, is carved from a slab (one mapping
//            for many stacks) with a guard region of stack_guard_size()
//            bytes below it. Running off the end faults at once; weft
//            prints which fiber overflowed and aborts.
//   older kernels: a guard page costs a mapping of its own, and Linux
//            allows 65530 mappings per process by default.
//     guarded  one mapping per stack with a PROT_NONE page below it.
//     dense    carved back to back out of slabs, no guard: a canary word
//              just below the stack is checked each time the fiber switches
//              out. Detects an overflow late, and only one that writes the
//              canary.
//     automatic  guarded while the process holds fewer guarded stacks than
//              a quarter of vm.max_map_count, dense (at the same size)
//              beyond; weft says so once on stderr when that happens.
//
// `dense` also asks for the smaller default size, for programs of many small
// fibers.
//
// docs/architecture.md gives the default sizes and why.
#pragma once

#include <cstddef>
#include <string_view>

namespace weft {

enum class stack_mode : unsigned char { automatic, guarded, dense };

std::string_view to_string(stack_mode mode) noexcept;

// The usable size a fiber gets when fiber_options::stack_size is 0: the same
// for automatic and guarded, smaller for dense. Larger when built with
// AddressSanitizer, whose redzones grow every frame.
std::size_t default_stack_size(stack_mode mode) noexcept;

// Whether this kernel has guard regions (MADV_GUARD_INSTALL, Linux 6.13+),
// so that every stack is guarded whatever the number of fibers. Probed once.
bool stack_guard_regions() noexcept;

// Bytes of guard below each stack carved with a guard region. A frame up to
// this size that overflows faults in the guard even without
// -fstack-clash-protection.
std::size_t stack_guard_size() noexcept;

// Kernels without guard regions only: how many guarded stacks may be live in
// the process before `automatic` makes dense ones: a quarter of
// vm.max_map_count, read once.
std::size_t guarded_stack_budget() noexcept;

// Every function here may be called from any thread.

}  // namespace weft
