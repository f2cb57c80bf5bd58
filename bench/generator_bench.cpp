// Generator costs, beside their peers in this binary:
//   BM_generator_next                  one int per next(), body yields in a loop
//   BM_generator_send                  one int in (send) and one out per call
//   BM_generator_yield_depth/N         the yield comes from N nested ordinary
//                                      calls; a stackful generator pays the
//                                      same at any depth
//   BM_generator_next/boost_coroutine2 Boost.Coroutine2 pull_type<int>, the
//                                      same loop
// Compare with BM_switch_roundtrip/asm (the raw switch there and back) and
// BM_fiber_roundtrip (fiber resume + suspend) from the same run.
// bench/python_generator_send.py measures CPython's generator send.
#include <benchmark/benchmark.h>

// GCC 12 flags Boost 1.74's own coroutine2 internals (an uninitialised
// member of a control block Boost builds on the coroutine's stack) with
// -Wmaybe-uninitialized; the warning is about Boost's code, not this file.
// Clang has no such warning (-Wunknown-warning-option under -Werror).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <boost/coroutine2/coroutine.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include "weft/generator.hpp"

namespace {

void BM_generator_next(benchmark::State& state) {
  weft::generator<int> counter([](weft::yielder<int>& y) {
    for (int i = 0;; ++i) y.yield(i);
  });
  for (auto _ : state) benchmark::DoNotOptimize(counter.next());
}

void BM_generator_send(benchmark::State& state) {
  weft::generator<int, int> running_total([](weft::yielder<int, int>& y) {
    int total = 0;
    for (;;) total += y.yield(total).value_or(0);
  });
  running_total.next();
  int i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(running_total.send(++i));
}

// Descends `depth` frames of ordinary calls, then yields (practically)
// forever from the bottom. noinline and the work after the call keep every
// frame real.
[[gnu::noinline]] int descend_and_yield(weft::yielder<int>& y, int depth) {
  if (depth <= 1) {
    for (long i = 0; i < (1L << 62); ++i) y.yield(static_cast<int>(i));
    return 0;
  }
  int below = descend_and_yield(y, depth - 1);
  benchmark::DoNotOptimize(below);
  return below + depth;
}

void BM_generator_yield_depth(benchmark::State& state) {
  int depth = static_cast<int>(state.range(0));
  weft::generator<int> deep([depth](weft::yielder<int>& y) { descend_and_yield(y, depth); });
  for (auto _ : state) benchmark::DoNotOptimize(deep.next());
}

void BM_generator_next_boost_coroutine2(benchmark::State& state) {
  using coro = boost::coroutines2::coroutine<int>;
  coro::pull_type counter([](coro::push_type& sink) {
    for (int i = 0;; ++i) sink(i);
  });
  for (auto _ : state) {
    counter();
    benchmark::DoNotOptimize(counter.get());
  }
}

void register_generator_benchmarks() {
  benchmark::RegisterBenchmark("BM_generator_next", BM_generator_next);
  benchmark::RegisterBenchmark("BM_generator_next/boost_coroutine2", BM_generator_next_boost_coroutine2);
  benchmark::RegisterBenchmark("BM_generator_send", BM_generator_send);
  benchmark::RegisterBenchmark("BM_generator_yield_depth", BM_generator_yield_depth)->Arg(1)->Arg(16)->Arg(256);
}

const int registered = (register_generator_benchmarks(), 0);

}  // namespace
