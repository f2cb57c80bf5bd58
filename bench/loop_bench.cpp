// The scheduler against Boost.Fiber, in one binary and one run:
//   BM_yield_pingpong[/boost_fiber]  two fibers taking turns through the run
//                                    queue; an iteration is one round (each
//                                    yields once); ns_per_yield is half that.
//   BM_spawn_join[/boost_fiber]      create an empty fiber and join it.
//   BM_timers/N                      N tasks each sleeping a random 0-1 s on
//                                    virtual time, all joined: the CPU cost of
//                                    arming, ordering, firing and waking N
//                                    timers (ns_per_timer).
#include <benchmark/benchmark.h>
#include <boost/fiber/all.hpp>

#include <chrono>
#include <random>
#include <vector>

#include "weft/loop.hpp"

namespace {

using namespace std::chrono_literals;

void set_per_yield(benchmark::State& state) {
  state.counters["ns_per_yield"] = benchmark::Counter(static_cast<double>(state.iterations()) * 2,
                                                      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_yield_pingpong(benchmark::State& state) {
  weft::loop lp;
  lp.run_until_complete([&] {
    bool stop = false;
    auto other = weft::spawn([&] {
      while (!stop) weft::yield_now();
    });
    for (auto _ : state) weft::yield_now();
    stop = true;
    other.join();
  });
  set_per_yield(state);
}

void BM_yield_pingpong_boost_fiber(benchmark::State& state) {
  bool stop = false;
  boost::fibers::fiber other([&] {
    while (!stop) boost::this_fiber::yield();
  });
  for (auto _ : state) boost::this_fiber::yield();
  stop = true;
  other.join();
  set_per_yield(state);
}

void BM_spawn_join(benchmark::State& state) {
  weft::loop lp;
  lp.run_until_complete([&] {
    for (auto _ : state) weft::spawn([] {}).join();
  });
}

void BM_spawn_join_boost_fiber(benchmark::State& state) {
  for (auto _ : state) boost::fibers::fiber([] {}).join();
}

void BM_timers(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::mt19937 rng(42);
  std::uniform_int_distribution<long> delay_us(0, 999'999);
  std::vector<std::chrono::microseconds> delays(n);
  for (auto& d : delays) d = std::chrono::microseconds(delay_us(rng));
  weft::loop lp({.virtual_time = true});
  for (auto _ : state) {
    lp.run_until_complete([&] {
      std::vector<weft::task<void>> sleepers;
      sleepers.reserve(n);
      for (auto d : delays)
        sleepers.push_back(weft::spawn([d] { weft::sleep_for(d); }, {.stack = weft::stack_mode::dense}));
      for (auto& t : sleepers) t.join();
    });
  }
  state.counters["ns_per_timer"] = benchmark::Counter(static_cast<double>(state.iterations() * n),
                                                      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

BENCHMARK(BM_yield_pingpong);
BENCHMARK(BM_yield_pingpong_boost_fiber)->Name("BM_yield_pingpong/boost_fiber");
BENCHMARK(BM_spawn_join);
BENCHMARK(BM_spawn_join_boost_fiber)->Name("BM_spawn_join/boost_fiber");
BENCHMARK(BM_timers)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace
