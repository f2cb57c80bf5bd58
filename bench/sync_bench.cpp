// Synchronisation between tasks: BM_queue_pingpong passes an int back and
// forth between two tasks through two unbounded weft::queue<int>s. Each
// iteration is two hops (put on one queue, the other task's get wakes, it
// puts on the other queue, the first task's get wakes); the reported time is
// per hop (the `hop` counter, and items_per_second counts hops).
#include <benchmark/benchmark.h>

#include "weft/loop.hpp"
#include "weft/sync/queue.hpp"

namespace {

void BM_queue_pingpong(benchmark::State& state) {
  weft::loop lp;
  lp.run_until_complete([&] {
    weft::queue<int> ping(0, "ping");
    weft::queue<int> pong(0, "pong");
    auto echo = weft::spawn([&] {
      for (;;) {
        int v = ping.get();
        if (v < 0) return;
        pong.put(v + 1);
      }
    });
    int v = 0;
    for (auto _ : state) {
      ping.put(v);
      v = pong.get();
    }
    benchmark::DoNotOptimize(v);
    ping.put(-1);
    echo.join();
  });
  state.SetItemsProcessed(2 * state.iterations());
  state.counters["hop"] = benchmark::Counter(2.0 * static_cast<double>(state.iterations()),
                                             benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_queue_pingpong);

}  // namespace
