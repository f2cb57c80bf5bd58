/*
 * The one source of the frames the asm switch leaves on a suspended stack:
 * byte offsets from the saved stack pointer. Plain macros, so that the .S
 * files (asm/switch_*.S), the C++ (src/context/switch_frame.hpp, which
 * static_asserts its struct against them) and the gdb extension's layouts
 * (src/gdb/weft_gdb.py, compared with this file by
 * tests/context/frame_layout_check.py) all read the same numbers.
 */
#ifndef WEFT_SWITCH_FRAME_LAYOUT_H
#define WEFT_SWITCH_FRAME_LAYOUT_H

/* x86-64, System V: weft_context_jump pushes rbp, rbx, r15, r14, r13, r12
 * (in that order, so r12 ends lowest) under the return address. */
#define WEFT_X86_64_FRAME_R12 0x00
#define WEFT_X86_64_FRAME_R13 0x08
#define WEFT_X86_64_FRAME_R14 0x10
#define WEFT_X86_64_FRAME_R15 0x18
#define WEFT_X86_64_FRAME_RBX 0x20
#define WEFT_X86_64_FRAME_RBP 0x28
#define WEFT_X86_64_FRAME_RESUME 0x30 /* the resume address (rip) */
#define WEFT_X86_64_FRAME_SIZE 0x38   /* the resumed side's rsp is the saved one + this */
/* weft_context_make's frame sits this far below the 16-byte aligned top:
 * the frame, plus the 16 bytes that leave rsp aligned after its pops. */
#define WEFT_X86_64_MAKE_DEPTH 0x48

/* x86-64, the inline switch (weft/detail/context/context_inline.hpp). */
#define WEFT_X86_64_INLINE_RBP 0x00
#define WEFT_X86_64_INLINE_RESUME 0x08
#define WEFT_X86_64_INLINE_ENTRY 0x10 /* fresh contexts only */
#define WEFT_X86_64_INLINE_SIZE 0x10

/* AArch64, AAPCS64: d8-d15, then x19-x28, then fp and lr in pairs. */
#define WEFT_AARCH64_FRAME_D8 0x00
#define WEFT_AARCH64_FRAME_X19 0x40
#define WEFT_AARCH64_FRAME_FP 0x90
#define WEFT_AARCH64_FRAME_LR 0x98 /* the resume address */
#define WEFT_AARCH64_FRAME_SIZE 0xa0

#endif
