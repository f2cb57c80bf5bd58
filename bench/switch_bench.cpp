// BM_switch_roundtrip/<backend>: one round trip (there and back) between the
// benchmark loop and a context that only jumps back, for each switch
// mechanism, all in this binary so the ratios come from one run.
//   asm            weft's context layer (whatever WEFT_CONTEXT selected;
//                  named asm only when it is the hand-written switch)
//   boost_fcontext Boost.Context's raw jump_fcontext
//   ucontext       glibc swapcontext (saves the signal mask: a syscall)
//   bare_limit     bench/bare_switch_x86_64.S, callee-saved GPRs only
#include <benchmark/benchmark.h>
#include <boost/context/detail/fcontext.hpp>
#include <ucontext.h>

#include <cstdlib>
#include <vector>

#include "weft/detail/context/context.hpp"
#include "weft/context.hpp"

namespace {

struct bench_stack {
  std::vector<char> bytes = std::vector<char>(64 * 1024);
  void* top() { return bytes.data() + bytes.size(); }
};

// --- weft's context layer ---
void weft_echo(weft_transfer t) {
  for (;;) t = weft_context_jump(t.from, t.data);
}

void BM_switch_roundtrip_weft(benchmark::State& state) {
  bench_stack stack;
  weft_context c = weft_context_make(stack.top(), stack.bytes.size(), &weft_echo);
  for (auto _ : state) c = weft_context_jump(c, nullptr).from;
}

// --- Boost.Context fcontext ---
namespace bctx = boost::context::detail;
void fcontext_echo(bctx::transfer_t t) {
  for (;;) t = bctx::jump_fcontext(t.fctx, t.data);
}

void BM_switch_roundtrip_fcontext(benchmark::State& state) {
  bench_stack stack;
  bctx::fcontext_t c = bctx::make_fcontext(stack.top(), stack.bytes.size(), &fcontext_echo);
  for (auto _ : state) c = bctx::jump_fcontext(c, nullptr).fctx;
}

// --- ucontext ---
ucontext_t uc_main, uc_echo;
void ucontext_echo() {
  for (;;) swapcontext(&uc_echo, &uc_main);
}

void BM_switch_roundtrip_ucontext(benchmark::State& state) {
  bench_stack stack;
  getcontext(&uc_echo);
  uc_echo.uc_stack.ss_sp = stack.bytes.data();
  uc_echo.uc_stack.ss_size = stack.bytes.size();
  uc_echo.uc_link = nullptr;
  makecontext(&uc_echo, &ucontext_echo, 0);
  for (auto _ : state) swapcontext(&uc_main, &uc_echo);
}

#if defined(__x86_64__)
// --- the bare floor ---
extern "C" void* bench_bare_jump(void* to);
extern "C" void bench_bare_echo();

// A frame (layout in the .S file) whose resume address is bench_bare_echo,
// placed so that rsp is 16-byte aligned after its seven pops.
void* make_bare(bench_stack& stack) {
  auto top = reinterpret_cast<std::uintptr_t>(stack.top()) & ~std::uintptr_t{15};
  auto* frame = reinterpret_cast<void**>(top - 0x48);
  for (int i = 0; i < 6; ++i) frame[i] = nullptr;
  frame[6] = reinterpret_cast<void*>(&bench_bare_echo);
  return frame;
}

void BM_switch_roundtrip_bare(benchmark::State& state) {
  bench_stack stack;
  void* c = make_bare(stack);
  for (auto _ : state) c = bench_bare_jump(c);
}

// --- the bare floor + MXCSR/x87 control word on every switch ---
extern "C" void* bench_fp_jump(void* to);
extern "C" void bench_fp_echo();

void BM_switch_roundtrip_bare_fp(benchmark::State& state) {
  bench_stack stack;
  auto top = reinterpret_cast<std::uintptr_t>(stack.top()) & ~std::uintptr_t{15};
  auto* frame = reinterpret_cast<std::uint32_t*>(top - 0x50);
  std::uint32_t mxcsr;
  std::uint16_t x87;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  asm volatile("fnstcw %0" : "=m"(x87));
  frame[0] = mxcsr;
  frame[1] = x87;
  auto* gprs = reinterpret_cast<void**>(frame + 2);
  for (int i = 0; i < 6; ++i) gprs[i] = nullptr;
  gprs[6] = reinterpret_cast<void*>(&bench_fp_echo);
  void* c = frame;
  for (auto _ : state) c = bench_fp_jump(c);
}
#endif

void register_switch_benchmarks() {
  // Interleaved registration: with --benchmark_enable_random_interleaving
  // and repetitions, the peers alternate so a slow phase of the machine
  // hits all of them alike.
  if (weft::context_backend() == "asm")
    benchmark::RegisterBenchmark("BM_switch_roundtrip/asm", BM_switch_roundtrip_weft);
  else benchmark::RegisterBenchmark("BM_switch_roundtrip/weft_boost_backend", BM_switch_roundtrip_weft);
  benchmark::RegisterBenchmark("BM_switch_roundtrip/boost_fcontext", BM_switch_roundtrip_fcontext);
  benchmark::RegisterBenchmark("BM_switch_roundtrip/ucontext", BM_switch_roundtrip_ucontext);
#if defined(__x86_64__)
  benchmark::RegisterBenchmark("BM_switch_roundtrip/bare_limit", BM_switch_roundtrip_bare);
  benchmark::RegisterBenchmark("BM_switch_roundtrip/bare_limit_fp", BM_switch_roundtrip_bare_fp);
#endif
}

const int registered = (register_switch_benchmarks(), 0);

}  // namespace
