// The frame the asm backend leaves on a suspended stack, as laid out in the
// table at the top of asm/switch_<arch>_*.S. Nothing reads it through this
// struct on the hot path; it exists so the layout is written down once in
// C++, checked here against the assembly's offsets, and read by the debugging
// aids (gdb extension, fiber dumps) that need a suspended fiber's registers.
#pragma once

#include <cstddef>
#include <cstdint>

namespace weft::detail {

#if defined(__x86_64__)
struct switch_frame {
  std::uint64_t r12, r13, r14, r15, rbx, rbp;
  std::uint64_t resume_address;  // rip when resumed
};
static_assert(offsetof(switch_frame, r12) == 0x00);
static_assert(offsetof(switch_frame, r15) == 0x18);
static_assert(offsetof(switch_frame, rbx) == 0x20);
static_assert(offsetof(switch_frame, rbp) == 0x28);
static_assert(offsetof(switch_frame, resume_address) == 0x30);
static_assert(sizeof(switch_frame) == 0x38);

// The inline switch's frame (weft/detail/context/context_inline.hpp), used by the
// fibers of generators.
struct inline_switch_frame {
  std::uint64_t rbp;
  std::uint64_t resume_address;
};
static_assert(offsetof(inline_switch_frame, rbp) == 0x00);
static_assert(offsetof(inline_switch_frame, resume_address) == 0x08);
static_assert(sizeof(inline_switch_frame) == 0x10);
#elif defined(__aarch64__)
struct switch_frame {
  std::uint64_t d8_d15[8];
  std::uint64_t x19_x28[10];
  std::uint64_t fp;  // x29
  std::uint64_t lr;  // x30, the resume address
};
static_assert(offsetof(switch_frame, d8_d15) == 0x00);
static_assert(offsetof(switch_frame, x19_x28) == 0x40);
static_assert(offsetof(switch_frame, fp) == 0x90);
static_assert(offsetof(switch_frame, lr) == 0x98);
static_assert(sizeof(switch_frame) == 0xa0);
#endif

}  // namespace weft::detail
