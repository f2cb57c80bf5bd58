/*
 * weft context switch - x86-64, System V AMD64 psABI, ELF, GNU as.
 *
 *   weft_transfer weft_context_jump(weft_context to, void *data);
 *   weft_context  weft_context_make(void *stack_top, size_t size,
 *                                   void (*entry)(weft_transfer));
 *
 * A suspended context is the stack pointer of its stack, under which the
 * switch left this frame (offsets from the saved rsp):
 *
 *   +------+------+------+------+------+------+----------------+
 *   | 0x00 | 0x08 | 0x10 | 0x18 | 0x20 | 0x28 | 0x30           |
 *   | r12  | r13  | r14  | r15  | rbx  | rbp  | resume address |
 *   +------+------+------+------+------+------+----------------+
 *
 * The offsets are WEFT_X86_64_FRAME_* in src/context/switch_frame_layout.h,
 * included below and also read by src/context/switch_frame.hpp
 * (static_assert) and checked against the gdb extension's layout.
 *
 * What is saved: exactly the callee-saved general registers of the psABI
 * (section 3.2.1, figure 3.4: rbx, rbp, r12-r15, rsp). Everything else is
 * caller-saved, so the compiler has already spilled what it needs across
 * the call to weft_context_jump.
 *
 * What is NOT saved, and why that is safe:
 *  - MXCSR control bits and the x87 control word. The psABI makes them
 *    callee-saved, but they are thread-wide modes that almost no code
 *    changes, and saving them costs time on every switch. weft
 *    treats them as per-thread state; a fiber that changes its rounding
 *    mode opts in per fiber (fiber_options::preserve_fp_env) and the fiber
 *    layer saves/restores them around its own switches. docs/architecture.md
 *    has the measurement and the decision.
 *  - The red zone: the switch is an ordinary call, so the caller's red zone
 *    is dead at this point (the psABI lets a callee clobber it).
 *  - Signal mask, TLS (fs base): they belong to the thread, not the fiber.
 *
 * The switch resumes by `pop; jmp` rather than `ret`: the return-stack
 * predictor would otherwise be trained on the wrong stack for every switch.
 * Each entry point starts with endbr64 (a NOP on CPUs without CET/IBT).
 *
 * Generators use a second switch, written inline so that the compiler saves
 * only what is live across it (include/weft/detail/context/context_inline.hpp has
 * it, its frame table and the reasons). Its frame is
 *
 *   +------+----------------+-------------------------------+
 *   | 0x00 | 0x08           | 0x10 (fresh contexts only)    |
 *   | rbp  | resume address | entry function                |
 *   +------+----------------+-------------------------------+
 *
 * and weft_context_inline_trampoline, below, is where a fresh one resumes.
 */

#include "context/switch_frame_layout.h"

    .text

/* weft_transfer weft_context_jump(rdi = to, rsi = data)
 * returns rax = the context just left (its saved rsp), rdx = data */
    .globl  weft_context_jump
    .hidden weft_context_jump
    .type   weft_context_jump, @function
    .align  64                  /* its 48 bytes in one cache line, wherever the link puts it */
weft_context_jump:
    endbr64
    pushq   %rbp                /* 0x28 */
    pushq   %rbx                /* 0x20 */
    pushq   %r15                /* 0x18 */
    pushq   %r14                /* 0x10 */
    pushq   %r13                /* 0x08 */
    pushq   %r12                /* 0x00 */

    movq    %rsp, %rax          /* the context we leave */
    movq    %rdi, %rsp          /* the context we enter */

    popq    %r12
    popq    %r13
    popq    %r14
    popq    %r15
    popq    %rbx
    popq    %rbp
    popq    %r8                 /* resume address */

    movq    %rsi, %rdx          /* data travels in rdx */
    jmp     *%r8
    .size   weft_context_jump, .-weft_context_jump

/* weft_context weft_context_make(rdi = stack_top, rsi = size, rdx = entry)
 * Builds a frame that weft_context_jump resumes into the trampoline, with
 * the entry function in the rbx slot and rbp = 0 (ends frame-pointer walks).
 * The frame sits 0x48 below the 16-byte aligned top so that after its seven
 * pops rsp is 16-byte aligned, as `call` in the trampoline requires. */
    .globl  weft_context_make
    .hidden weft_context_make
    .type   weft_context_make, @function
    .align  16
weft_context_make:
    endbr64
    movq    %rdi, %rax
    andq    $-16, %rax          /* 16-byte aligned top */
    subq    $WEFT_X86_64_MAKE_DEPTH, %rax        /* room for the frame, keeps alignment */
    movq    %rdx, WEFT_X86_64_FRAME_RBX(%rax)    /* rbx <- entry */
    movq    $0, WEFT_X86_64_FRAME_RBP(%rax)      /* rbp <- 0 */
    leaq    weft_context_trampoline(%rip), %rcx
    movq    %rcx, WEFT_X86_64_FRAME_RESUME(%rax) /* resume address <- trampoline */
    ret
    .size   weft_context_make, .-weft_context_make

/* First resumption of a made context lands here with rax = the context that
 * jumped in, rdx = its data; they become entry's weft_transfer argument.
 * entry never returns (the fiber layer jumps away at its end); if it did,
 * ud2 stops the program instead of running off the stack. */
    .type   weft_context_trampoline, @function
    .align  16
weft_context_trampoline:
    .cfi_startproc
    .cfi_undefined rip          /* outermost frame for unwinders and gdb */
    endbr64
    movq    %rax, %rdi
    movq    %rdx, %rsi
    call    *%rbx
    ud2
    .cfi_endproc
    .size   weft_context_trampoline, .-weft_context_trampoline

/* First resumption of a fresh inline context (make_inline_context) lands
 * here with rbp = the argument for entry and rsp at the entry slot (0x10 of
 * the frame, 16-byte aligned). Calls entry(rbp) with rbp cleared for
 * frame-pointer walks; entry never returns. */
    .globl  weft_context_inline_trampoline
    .hidden weft_context_inline_trampoline
    .type   weft_context_inline_trampoline, @function
    .align  16
weft_context_inline_trampoline:
    .cfi_startproc
    .cfi_undefined rip          /* outermost frame for unwinders and gdb */
    endbr64
    movq    %rbp, %rdi
    xorl    %ebp, %ebp
    call    *(%rsp)
    ud2
    .cfi_endproc
    .size   weft_context_inline_trampoline, .-weft_context_inline_trampoline

    .section .note.GNU-stack,"",%progbits
