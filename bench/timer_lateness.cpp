// Timer lateness under load, on real time: N tasks (default 10,000) each
// sleep a random 1-10 ms in a loop for D seconds (default 10). Every wake-up
// records how late it came (now - deadline). Prints count, p50, p99, p99.9
// and max in microseconds.
#include <weft/loop.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

int main(int argc, char** argv) {
  long tasks = 10'000;
  double seconds = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--tasks") == 0) tasks = std::strtol(argv[i + 1], nullptr, 10);
    else if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::strtod(argv[i + 1], nullptr);
  }
  using namespace std::chrono;
  weft::loop lp;
  std::vector<std::int64_t> late_ns;
  late_ns.reserve(static_cast<std::size_t>(tasks * seconds * 250));
  auto end = steady_clock::now() + duration_cast<steady_clock::duration>(duration<double>(seconds));
  lp.run_until_complete([&] {
    std::vector<weft::task<void>> all;
    for (long i = 0; i < tasks; ++i)
      all.push_back(weft::spawn([&, seed = static_cast<unsigned>(i)] {
        std::minstd_rand rng(seed + 1);
        std::uniform_int_distribution<long> delay_us(1000, 10'000);
        // Each deadline counts from the previous wake-up, whose clock read
        // serves both the lateness and the next deadline.
        for (auto woke = steady_clock::now(); woke < end;) {
          auto deadline = woke + microseconds(delay_us(rng));
          weft::sleep_until(deadline);
          woke = steady_clock::now();
          late_ns.push_back((woke - deadline).count());
        }
      }));
    for (auto& t : all) t.join();
  });
  std::sort(late_ns.begin(), late_ns.end());
  auto pct = [&](double p) {
    return static_cast<double>(late_ns[static_cast<std::size_t>(p * static_cast<double>(late_ns.size() - 1))]) / 1000.0;
  };
  std::printf("tasks: %ld, seconds: %.0f, wake-ups: %zu\n", tasks, seconds, late_ns.size());
  std::printf("lateness (us): p50 %.1f, p99 %.1f, p99.9 %.1f, max %.1f\n", pct(0.5), pct(0.99), pct(0.999),
              static_cast<double>(late_ns.back()) / 1000.0);
  return 0;
}
