// The context layer alone: make, jump, values both ways, alignment, and
// callee-saved registers surviving a round trip.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "weft/detail/context/context.hpp"

namespace {

struct ping_pong {
  weft_context back = nullptr;
  std::vector<std::uintptr_t> seen;
  std::uintptr_t frame_alignment = 1;
};

void counting_entry(weft_transfer t) {
  auto* pp = static_cast<ping_pong*>(t.data);
  pp->frame_alignment = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0)) % 16;
  weft_context back = t.from;
  for (std::uintptr_t i = 1;; ++i) {
    weft_transfer r = weft_context_jump(back, reinterpret_cast<void*>(i * 10));
    back = r.from;
    static_cast<ping_pong*>(r.data)->seen.push_back(i);
  }
}

struct stack_memory {
  std::vector<std::byte> bytes = std::vector<std::byte>(64 * 1024);
  void* top() { return bytes.data() + bytes.size(); }
};

TEST(context, jump_carries_values_both_ways) {
  stack_memory stack;
  ping_pong pp;
  weft_context c = weft_context_make(stack.top(), stack.bytes.size(), &counting_entry);
  std::vector<std::uintptr_t> got;
  for (int i = 0; i < 5; ++i) {
    weft_transfer t = weft_context_jump(c, &pp);
    c = t.from;
    got.push_back(reinterpret_cast<std::uintptr_t>(t.data));
  }
  EXPECT_EQ(got, (std::vector<std::uintptr_t>{10, 20, 30, 40, 50}));
  EXPECT_EQ(pp.seen, (std::vector<std::uintptr_t>{1, 2, 3, 4}));
}

TEST(context, entry_frame_is_16_byte_aligned_for_any_top) {
  for (std::size_t misalign : {0u, 1u, 7u, 8u, 13u}) {
    stack_memory stack;
    ping_pong pp;
    auto* top = static_cast<std::byte*>(stack.top()) - misalign;
    weft_context c = weft_context_make(top, stack.bytes.size() - misalign, &counting_entry);
    weft_context_jump(c, &pp);
    // The frame address is rbp/x29 after the prologue: 16-byte aligned
    // exactly when the ABI's call-site alignment held on entry.
    EXPECT_EQ(pp.frame_alignment, 0u) << "misalign " << misalign;
  }
}

// Many values live across the jump force the compiler to keep some in
// callee-saved registers; the other side clobbers all of them.
#if defined(__aarch64__)
#define CLOBBER_CALLEE_SAVED()                                                                                       \
  asm volatile("" ::                                                                                                 \
                   : "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "d8", "d9", "d10", "d11", \
                     "d12", "d13", "d14", "d15", "memory")
#else
#define CLOBBER_CALLEE_SAVED() asm volatile("" ::: "rbx", "r12", "r13", "r14", "r15", "memory")
#endif

void clobbering_entry(weft_transfer t) {
  weft_context back = t.from;
  for (;;) {
    CLOBBER_CALLEE_SAVED();
    back = weft_context_jump(back, nullptr).from;
  }
}

TEST(context, callee_saved_values_survive_a_round_trip) {
  stack_memory stack;
  weft_context c = weft_context_make(stack.top(), stack.bytes.size(), &clobbering_entry);
  volatile std::uint64_t seed = 3;
  std::uint64_t a = seed * 1, b = seed * 2, d = seed * 3, e = seed * 4, f = seed * 5, g = seed * 6;
  double x = static_cast<double>(seed) * 1.5, y = static_cast<double>(seed) * 2.5;
  for (int i = 0; i < 3; ++i) {
    c = weft_context_jump(c, nullptr).from;
    a += 1, b += 2, d += 3, e += 4, f += 5, g += 6;
    x += 1.0, y += 1.0;
  }
  EXPECT_EQ(a, 6u);
  EXPECT_EQ(b, 12u);
  EXPECT_EQ(d, 18u);
  EXPECT_EQ(e, 24u);
  EXPECT_EQ(f, 30u);
  EXPECT_EQ(g, 36u);
  EXPECT_DOUBLE_EQ(x, 7.5);
  EXPECT_DOUBLE_EQ(y, 10.5);
}

}  // namespace
