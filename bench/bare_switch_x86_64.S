/*
 * bench_bare_jump(to) - the reference floor for a context switch on x86-64
 * System V: save only the callee-saved general registers (rbx, rbp,
 * r12-r15) and rsp, resume by `pop; jmp`. No data transfer, no FP control
 * state, no landing pad. Benchmark-only: not part of libweft.
 *
 * Frame below the saved rsp: 0x00 r12 0x08 r13 0x10 r14 0x18 r15
 *                            0x20 rbx 0x28 rbp 0x30 resume address
 * returns rax = the context just left.
 */
    .text
    .globl  bench_bare_jump
    .hidden bench_bare_jump
    .type   bench_bare_jump, @function
    .align  16
bench_bare_jump:
    pushq   %rbp
    pushq   %rbx
    pushq   %r15
    pushq   %r14
    pushq   %r13
    pushq   %r12
    movq    %rsp, %rax
    movq    %rdi, %rsp
    popq    %r12
    popq    %r13
    popq    %r14
    popq    %r15
    popq    %rbx
    popq    %rbp
    popq    %r8
    jmp     *%r8
    .size   bench_bare_jump, .-bench_bare_jump

/* bench_fp_jump(to) - the bare switch plus what the psABI also calls
 * callee-saved: the MXCSR control bits and the x87 control word, saved and
 * restored on every switch (Boost.Context's choice). The alternative weft
 * rejected, kept here to measure it. Frame: 0x00 mxcsr, 0x04 x87 cw, then
 * the bare frame from 0x08.
 */
    .globl  bench_fp_jump
    .hidden bench_fp_jump
    .type   bench_fp_jump, @function
    .align  16
bench_fp_jump:
    pushq   %rbp
    pushq   %rbx
    pushq   %r15
    pushq   %r14
    pushq   %r13
    pushq   %r12
    leaq    -0x8(%rsp), %rsp
    stmxcsr (%rsp)
    fnstcw  0x4(%rsp)
    movq    %rsp, %rax
    movq    %rdi, %rsp
    ldmxcsr (%rsp)
    fldcw   0x4(%rsp)
    leaq    0x8(%rsp), %rsp
    popq    %r12
    popq    %r13
    popq    %r14
    popq    %r15
    popq    %rbx
    popq    %rbp
    popq    %r8
    jmp     *%r8
    .size   bench_fp_jump, .-bench_fp_jump

/* bench_fp_echo: bench_bare_echo's twin for bench_fp_jump. */
    .globl  bench_fp_echo
    .hidden bench_fp_echo
    .type   bench_fp_echo, @function
    .align  16
bench_fp_echo:
1:  movq    %rax, %rdi
    call    bench_fp_jump
    jmp     1b
    .size   bench_fp_echo, .-bench_fp_echo

/* bench_bare_echo: the peer's body. First entered through a made frame
 * with rax = the benchmark's context; jumps straight back, forever. Entered
 * with rsp 16-byte aligned, so the call below is ABI-aligned. */
    .globl  bench_bare_echo
    .hidden bench_bare_echo
    .type   bench_bare_echo, @function
    .align  16
bench_bare_echo:
1:  movq    %rax, %rdi
    call    bench_bare_jump
    jmp     1b
    .size   bench_bare_echo, .-bench_bare_echo

    .section .note.GNU-stack,"",%progbits
