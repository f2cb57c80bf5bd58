// The inline switch: a context switch the compiler sees as inline assembly,
// for fibers of exclusive use that ask for it, such as generators' (x86-64,
// WEFT_CONTEXT=asm only).
//
// weft_context_jump is a call, so it must save every callee-saved register
// (six on x86-64) whether or not the caller has anything in them. Written
// inline, with every register but rsp and rbp declared clobbered, the switch
// saves only the resume address and rbp; the compiler spills just the
// values that are live across it, usually none in a generator's loop.
// docs/architecture.md (Context) has the measurement.
//
// A suspended inline context is its stack pointer, with under it:
//
//   +------+----------------+
//   | 0x00 | 0x08           |
//   | rbp  | resume address |
//   +------+----------------+
//
// and its stack pointer + 0x10 is the stack pointer it resumes with
// (mirrored and checked in src/context/switch_frame.hpp). A fresh context
// (make_inline_context) holds the fiber in the rbp slot, resumes into
// weft_context_inline_trampoline (asm/switch_x86_64_sysv_elf.S) and keeps
// the entry function at 0x10 for it.
//
// The two protocols do not mix: a context saved by the inline switch can
// only be resumed by it, and likewise for weft_context_jump. A fiber uses
// one of them for its whole life (fiber_control::inline_switch).
//
// ABI: System V AMD64 psABI 3.2.1-3.2.2. What is not saved and why it is
// safe: every general register but rsp and rbp, and every vector and x87
// register, are clobbers, so the compiler keeps nothing in them across the
// switch. MXCSR and the x87 control word are per-thread state, as for
// weft_context_jump (see that file). The 128-byte red zone below rsp may
// hold live data of the enclosing function (the compiler does not know the
// switch pushes), so the switch steps over it first.
#pragma once

#include "weft/config.hpp"
#include "weft/detail/context/context.hpp"

#if WEFT_CONTEXT_ASM && defined(__x86_64__)
#define WEFT_INLINE_SWITCH 1
#else
#define WEFT_INLINE_SWITCH 0
#endif

#if WEFT_INLINE_SWITCH

extern "C" void weft_context_inline_trampoline();  // asm/switch_x86_64_sysv_elf.S

namespace weft::detail {

// Saves the running context into *save and resumes `to`; returns when
// something switches back to *save. Both must use this switch.
[[gnu::always_inline]] inline void inline_switch(weft_context to, weft_context* save) noexcept {
  asm volatile(
      "leaq -128(%%rsp), %%rsp\n\t"  // step over the red zone
      "leaq 1f(%%rip), %%rcx\n\t"
      "pushq %%rcx\n\t"          // 0x08: resume address
      "pushq %%rbp\n\t"          // 0x00: rbp
      "movq %%rsp, (%%rsi)\n\t"  // *save = the context we leave
      "movq %%rdi, %%rsp\n\t"    // the context we enter
      "popq %%rbp\n\t"
      "popq %%rcx\n\t"
      "jmpq *%%rcx\n"  // pop; jmp, as weft_context_jump: no ret to mispredict
      "1:\n\t"
      "endbr64\n\t"
      "leaq 128(%%rsp), %%rsp"
      : "+D"(to), "+S"(save)
      :
      : "rax", "rbx", "rcx", "rdx", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",  //
        "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",                    //
        "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",              //
#if defined(__AVX512F__)
        "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23",  //
        "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31",  //
        "k1", "k2", "k3", "k4", "k5", "k6", "k7",                                //
#endif
        "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)",  //
        "memory", "cc");
}

// A fresh inline context on the stack whose highest address is `stack_top`
// (16-byte aligned): the first switch to it calls entry(arg) with rsp
// aligned as for a call. entry must never return.
inline weft_context make_inline_context(void* stack_top, void (*entry)(void*), void* arg) noexcept {
  auto** frame = static_cast<void**>(stack_top) - 4;
  frame[0] = arg;  // rbp slot: the trampoline hands it to entry
  frame[1] = reinterpret_cast<void*>(&weft_context_inline_trampoline);
  frame[2] = reinterpret_cast<void*>(entry);
  frame[3] = nullptr;  // padding: after the two pops rsp = frame + 2, 16-byte aligned
  return frame;
}

}  // namespace weft::detail

#endif
