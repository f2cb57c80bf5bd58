// The context layer: the one primitive everything in weft stands on.
//
// A context is a suspended execution: a stack pointer under which the
// backend saved the callee-saved registers. jump() leaves the running
// context, enters `to`, and hands `data` across; what the entered side
// receives is the context it was entered from (so it can jump back) and the
// data. Each context handle is used exactly once: jumping to it consumes it,
// and the side that is left gets a fresh handle through the next transfer.
//
// Backends (chosen at configure time, WEFT_CONTEXT):
//   asm   - asm/switch_<arch>_<abi>_elf.S, weft_context_jump/make
//   boost - Boost.Context's fcontext, src/context/context_boost.cpp
// Both have the same signature, so this header does not change with them.
#pragma once

#include <cstddef>

extern "C" {

using weft_context = void*;

struct weft_transfer {
  weft_context from;  // the context that jumped here, suspended now
  void* data;         // what it passed
};

using weft_context_entry = void (*)(weft_transfer);

// Leaves the running context and resumes `to`. Returns when something jumps
// back to this context.
weft_transfer weft_context_jump(weft_context to, void* data);

// Makes a context on the stack whose highest address is `stack_top` (it
// grows down for `size` bytes). The first jump to it calls entry(transfer);
// entry must never return: it ends by jumping away for the last time.
weft_context weft_context_make(void* stack_top, std::size_t size, weft_context_entry entry);
}
