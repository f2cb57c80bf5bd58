/*
 * weft context switch - AArch64, AAPCS64 (Procedure Call Standard for the
 * Arm 64-bit Architecture), ELF, GNU as.
 *
 *   weft_transfer weft_context_jump(weft_context to, void *data);
 *   weft_context  weft_context_make(void *stack_top, size_t size,
 *                                   void (*entry)(weft_transfer));
 *
 * A suspended context is the stack pointer of its stack, under which the
 * switch left this frame (offsets from the saved sp):
 *
 *   +------+------+------+------+------+------+------+------+
 *   | 0x00 | 0x08 | 0x10 | 0x18 | 0x20 | 0x28 | 0x30 | 0x38 |
 *   | d8   | d9   | d10  | d11  | d12  | d13  | d14  | d15  |
 *   +------+------+------+------+------+------+------+------+
 *   | 0x40 | 0x48 | 0x50 | 0x58 | 0x60 | 0x68 | 0x70 | 0x78 |
 *   | x19  | x20  | x21  | x22  | x23  | x24  | x25  | x26  |
 *   +------+------+------+------+------+------+------+------+
 *   | 0x80 | 0x88 | 0x90      | 0x98                        |
 *   | x27  | x28  | x29 (fp)  | x30 (lr) = resume address   |
 *   +------+------+-----------+-----------------------------+
 *
 * 0xa0 bytes, a multiple of 16, so sp stays 16-byte aligned throughout.
 * The offsets are WEFT_AARCH64_FRAME_* in src/context/switch_frame_layout.h,
 * included below and also read by src/context/switch_frame.hpp
 * (static_assert) and checked against the gdb extension's layout.
 *
 * What is saved: exactly what AAPCS64 makes callee-saved ("General-purpose
 * Registers": r19-r29 and SP; "SIMD and Floating-Point Registers": the
 * bottom 64 bits of v8-v15, i.e. d8-d15), plus lr, which is where the
 * suspended side resumes. Everything else is caller-saved, so the compiler
 * has already spilled what it needs across the call to weft_context_jump.
 *
 * What is NOT saved, and why that is safe:
 *  - FPCR (rounding mode, flush-to-zero, default NaN, trap enables).
 *    AAPCS64 calls it a global register whose mode bits change only through
 *    support functions that affect the global state of the application
 *    (fesetround and friends); that global is the thread's. Saving it per
 *    switch would cost an mrs/msr pair on every jump for a mode almost no
 *    code changes. As on x86-64 with MXCSR and the x87 control word, weft
 *    treats it as per-thread state; a fiber that changes its rounding mode
 *    opts in per fiber (fiber_options::preserve_fp_env) and the fiber layer
 *    saves/restores it around its own switches
 *    (include/weft/detail/fiber/fp_env.hpp). docs/architecture.md has the
 *    decision. Consequence: a fiber that does not opt in and calls
 *    fesetround changes the mode of whichever code runs next on the thread.
 *  - FPSR (cumulative exception flags): AAPCS64 does not preserve it across
 *    calls either; it may hold anything on entry to a function.
 *  - The upper 64 bits of v8-v15, v0-v7, v16-v31, and the SVE z/p
 *    registers: caller-saved for an ordinary call such as this one. The
 *    switch must be called in non-streaming mode with ZA off, as any
 *    ordinary function is (SME state is not carried).
 *  - x18, the platform register: a temporary on Linux.
 *  - No red zone exists on AArch64 Linux; nothing below sp is live.
 *  - Signal mask, TLS (TPIDR_EL0): they belong to the thread, not the fiber.
 *
 * The switch resumes by `br x30` rather than `ret`: ret would pop the
 * return-stack predictor, whose top entry is the call into the switch made
 * on *this* stack, while the real target is on the other one; every switch
 * would mispredict. br goes through the indirect-branch predictor instead,
 * which learns the pair of call sites a switch ping-pongs between.
 *
 * Each entry point starts with a BTI landing pad: `bti c` for the functions
 * (reached by bl/blr), `bti j` for the trampoline (reached by the br
 * below). Both are NOPs on cores without BTI. With BTI enforced, however,
 * the br that resumes a suspended side would land on the instruction after
 * its `bl weft_context_jump`, which is no landing pad, and fault. So this
 * object emits no GNU_PROPERTY_AARCH64_FEATURE_1_BTI note, and a program
 * linked with weft is not marked BTI-compatible (the linker drops the
 * marking when any input lacks it); the pads are there for the day the
 * resume path changes, and cost nothing meanwhile.
 */

#include "context/switch_frame_layout.h"

/* Offsets of the register pairs, from the table above. */
#define D8  WEFT_AARCH64_FRAME_D8
#define X19 WEFT_AARCH64_FRAME_X19
#define FP  WEFT_AARCH64_FRAME_FP

    .text

/* weft_transfer weft_context_jump(x0 = to, x1 = data)
 * returns x0 = the context just left (its saved sp), x1 = data
 * (a 16-byte composite is returned in x0/x1, AAPCS64 "Result Return"). */
    .globl  weft_context_jump
    .hidden weft_context_jump
    .type   weft_context_jump, %function
    .p2align 4
weft_context_jump:
    bti     c
    stp     d8,  d9,  [sp, #-WEFT_AARCH64_FRAME_SIZE]! /* D8, and makes room for the frame */
    stp     d10, d11, [sp, #D8 + 0x10]
    stp     d12, d13, [sp, #D8 + 0x20]
    stp     d14, d15, [sp, #D8 + 0x30]
    stp     x19, x20, [sp, #X19]
    stp     x21, x22, [sp, #X19 + 0x10]
    stp     x23, x24, [sp, #X19 + 0x20]
    stp     x25, x26, [sp, #X19 + 0x30]
    stp     x27, x28, [sp, #X19 + 0x40]
    stp     x29, x30, [sp, #FP]         /* fp, then lr = resume address */

    mov     x2, sp                      /* the context we leave */
    mov     sp, x0                      /* the context we enter */

    ldp     d10, d11, [sp, #D8 + 0x10]
    ldp     d12, d13, [sp, #D8 + 0x20]
    ldp     d14, d15, [sp, #D8 + 0x30]
    ldp     x19, x20, [sp, #X19]
    ldp     x21, x22, [sp, #X19 + 0x10]
    ldp     x23, x24, [sp, #X19 + 0x20]
    ldp     x25, x26, [sp, #X19 + 0x30]
    ldp     x27, x28, [sp, #X19 + 0x40]
    ldp     x29, x30, [sp, #FP]         /* x30 = resume address */
    ldp     d8,  d9,  [sp], #WEFT_AARCH64_FRAME_SIZE /* and drops the frame */

    mov     x0, x2                      /* from travels in x0, data stays in x1 */
    br      x30
    .size   weft_context_jump, .-weft_context_jump

/* weft_context weft_context_make(x0 = stack_top, x1 = size, x2 = entry)
 * Builds a frame that weft_context_jump resumes into the trampoline, with
 * the entry function in the x19 slot and fp = 0 (ends frame-pointer walks).
 * The frame sits 0xa0 below the 16-byte aligned top, so after the jump has
 * dropped it sp is that aligned top, as the blr in the trampoline requires.
 * The other slots are left as they are: nothing reads them. */
    .globl  weft_context_make
    .hidden weft_context_make
    .type   weft_context_make, %function
    .p2align 4
weft_context_make:
    bti     c
    and     x0, x0, #~15                /* 16-byte aligned top */
    sub     x0, x0, #WEFT_AARCH64_FRAME_SIZE    /* room for the frame, keeps alignment */
    str     x2, [x0, #WEFT_AARCH64_FRAME_X19]   /* x19 <- entry */
    adr     x3, weft_context_trampoline
    stp     xzr, x3, [x0, #WEFT_AARCH64_FRAME_FP] /* fp <- 0, lr <- trampoline */
    ret
    .size   weft_context_make, .-weft_context_make

/* First resumption of a made context lands here, by `br x30`, with x0 = the
 * context that jumped in and x1 = its data: already entry's weft_transfer
 * argument, passed in x0/x1 like the struct it is. fp is 0 from the frame,
 * and the CFI marks lr undefined, so unwinders and gdb stop here: this is
 * the outermost frame. entry never returns (the fiber layer jumps away at
 * its end); if it did, brk stops the program (SIGTRAP, as __builtin_trap)
 * instead of running off the stack. */
    .type   weft_context_trampoline, %function
    .p2align 4
weft_context_trampoline:
    .cfi_startproc
    .cfi_undefined x30                  /* outermost frame for unwinders and gdb */
    bti     j
    blr     x19
    brk     #0x3e8
    .cfi_endproc
    .size   weft_context_trampoline, .-weft_context_trampoline

    .section .note.GNU-stack,"",%progbits
