// The frame the asm backend leaves on a suspended stack, as laid out in the
// table at the top of asm/switch_<arch>_*.S. Nothing reads it through this
// struct on the hot path; it exists so the layout is written down once in
// C++, checked here against the assembly's offsets, and read by the debugging
// aids (gdb extension, fiber dumps) that need a suspended fiber's registers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "context/switch_frame_layout.h"

namespace weft::detail {

#if defined(__x86_64__)
struct switch_frame {
  std::uint64_t r12, r13, r14, r15, rbx, rbp;
  std::uint64_t resume_address;  // rip when resumed
};
static_assert(offsetof(switch_frame, r12) == WEFT_X86_64_FRAME_R12);
static_assert(offsetof(switch_frame, r15) == WEFT_X86_64_FRAME_R15);
static_assert(offsetof(switch_frame, rbx) == WEFT_X86_64_FRAME_RBX);
static_assert(offsetof(switch_frame, rbp) == WEFT_X86_64_FRAME_RBP);
static_assert(offsetof(switch_frame, resume_address) == WEFT_X86_64_FRAME_RESUME);
static_assert(sizeof(switch_frame) == WEFT_X86_64_FRAME_SIZE);
static_assert(WEFT_X86_64_MAKE_DEPTH == WEFT_X86_64_FRAME_SIZE + 0x10, "a made context's rsp must end 16-byte aligned");

// The inline switch's frame (weft/detail/context/context_inline.hpp), used by the
// fibers of generators.
struct inline_switch_frame {
  std::uint64_t rbp;
  std::uint64_t resume_address;
};
static_assert(offsetof(inline_switch_frame, rbp) == WEFT_X86_64_INLINE_RBP);
static_assert(offsetof(inline_switch_frame, resume_address) == WEFT_X86_64_INLINE_RESUME);
static_assert(sizeof(inline_switch_frame) == WEFT_X86_64_INLINE_SIZE);
#elif defined(__aarch64__)
struct switch_frame {
  std::uint64_t d8_d15[8];
  std::uint64_t x19_x28[10];
  std::uint64_t fp;  // x29
  std::uint64_t lr;  // x30, the resume address
};
static_assert(offsetof(switch_frame, d8_d15) == WEFT_AARCH64_FRAME_D8);
static_assert(offsetof(switch_frame, x19_x28) == WEFT_AARCH64_FRAME_X19);
static_assert(offsetof(switch_frame, fp) == WEFT_AARCH64_FRAME_FP);
static_assert(offsetof(switch_frame, lr) == WEFT_AARCH64_FRAME_LR);
static_assert(sizeof(switch_frame) == WEFT_AARCH64_FRAME_SIZE);
#endif

}  // namespace weft::detail
