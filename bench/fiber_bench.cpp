// Fiber-level costs: a resume/suspend round trip through the fiber layer
// (exception-state swap, sanitizer hooks compiled out, state checks), and
// creating + destroying a fiber on a pooled stack.
#include <benchmark/benchmark.h>

#include "weft/fiber.hpp"

namespace {

void BM_fiber_roundtrip(benchmark::State& state) {
  weft::fiber f([] {
    for (;;) weft::this_fiber::suspend();
  });
  for (auto _ : state) f.resume();
}
BENCHMARK(BM_fiber_roundtrip);

// The per-fiber opt-in to keep its own floating-point control state.
void BM_fiber_roundtrip_preserve_fp(benchmark::State& state) {
  weft::fiber f(
      [] {
        for (;;) weft::this_fiber::suspend();
      },
      {.preserve_fp_env = true});
  for (auto _ : state) f.resume();
}
BENCHMARK(BM_fiber_roundtrip_preserve_fp)->Name("BM_fiber_roundtrip/preserve_fp_env");

void BM_fiber_create_destroy(benchmark::State& state) {
  for (auto _ : state) {
    weft::fiber f([] {});
    benchmark::DoNotOptimize(f);
  }
}
BENCHMARK(BM_fiber_create_destroy);

void BM_fiber_create_run_destroy(benchmark::State& state) {
  int runs = 0;
  for (auto _ : state) {
    weft::fiber f([&runs] { ++runs; });
    f.resume();
  }
  benchmark::DoNotOptimize(runs);
}
BENCHMARK(BM_fiber_create_run_destroy);

}  // namespace
