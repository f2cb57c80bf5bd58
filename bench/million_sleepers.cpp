// One million tasks sleeping at once on one loop (real time): each sleeps a
// random 0-1 s, then finishes. Prints the peak RSS per sleeping task, the
// stack modes used and the elapsed time. Exits non-zero if any task failed
// to finish or RSS per task exceeds --max-rss-per-task KiB.
#include <weft/loop.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace {

long rss_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  long count = 1'000'000;
  double max_rss_per_task = 0;  // KiB; 0: no limit
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--count") == 0) count = std::strtol(argv[i + 1], nullptr, 10);
    else if (std::strcmp(argv[i], "--max-rss-per-task") == 0) max_rss_per_task = std::strtod(argv[i + 1], nullptr);
  }
  using namespace std::chrono;
  weft::loop lp;
  long finished = 0, guarded = 0, dense = 0;
  long before = rss_kib(), peak = 0;
  auto t0 = steady_clock::now();
  lp.run_until_complete([&] {
    std::mt19937 rng(1);
    std::uniform_int_distribution<long> delay_us(0, 999'999);
    std::vector<weft::task<void>> tasks;
    tasks.reserve(static_cast<std::size_t>(count));
    for (long i = 0; i < count; ++i) {
      auto d = microseconds(delay_us(rng));
      tasks.push_back(weft::spawn([d, &finished] {
        weft::sleep_for(d);
        ++finished;
      }));
    }
    weft::yield_now();  // every task has started and is asleep now
    peak = rss_kib();
    for (auto& t : tasks) (weft::detail::access::state(t)->fib.stack() == weft::stack_mode::dense ? dense : guarded)++;
    for (auto& t : tasks) t.join();
  });
  double secs = duration<double>(steady_clock::now() - t0).count();
  double per_task = static_cast<double>(peak - before) / static_cast<double>(count);
  std::printf("tasks: %ld, finished: %ld\n", count, finished);
  std::printf("stacks: %ld guarded, %ld dense\n", guarded, dense);
  std::printf("RSS: %ld KiB before, %ld KiB with all asleep: %.2f KiB per sleeping task\n", before, peak, per_task);
  std::printf("elapsed: %.2f s (sleeps of up to 1 s)\n", secs);
  if (finished != count) return 1;
  if (max_rss_per_task > 0 && per_task > max_rss_per_task) {
    std::printf("FAIL: %.2f KiB per task exceeds %.2f\n", per_task, max_rss_per_task);
    return 1;
  }
  return 0;
}
