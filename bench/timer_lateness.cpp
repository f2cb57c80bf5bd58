// Timer lateness under load, on real time: N tasks (default 10,000) each
// sleep a random 1-10 ms in a loop for D seconds (default 10). Every wake-up
// records how late it came (now - deadline). Prints count, p50, p99, p99.9
// and max in microseconds.
//
// --threads T splits the tasks over T loops, one per thread (weft's
// thread-per-core mode); the default is one loop on the main thread.
// --warmup W leaves out the wake-ups due in the first W seconds (default
// 0): starting 10,000 tasks maps 10,000 stacks, and the backlog that builds
// meanwhile is start-up cost, not timer lateness in the steady state.
#include <weft/loop.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono;

// One loop running `tasks` sleepers, seeded from `first_seed`, until `end`.
// Returns the lateness of every wake-up, in nanoseconds.
// Wake-ups due before `measured_from` are not recorded.
std::vector<std::int64_t> run_loop(long tasks, unsigned first_seed, steady_clock::time_point measured_from,
                                   steady_clock::time_point end, double seconds) {
  std::vector<std::int64_t> late_ns;
  late_ns.reserve(static_cast<std::size_t>(static_cast<double>(tasks) * seconds * 250));
  weft::loop lp;
  lp.run_until_complete([&] {
    std::vector<weft::task<void>> all;
    for (long i = 0; i < tasks; ++i)
      all.push_back(weft::spawn([&, seed = first_seed + static_cast<unsigned>(i)] {
        std::minstd_rand rng(seed + 1);
        std::uniform_int_distribution<long> delay_us(1000, 10'000);
        // Each deadline counts from the previous wake-up, whose clock read
        // serves both the lateness and the next deadline.
        for (auto woke = steady_clock::now(); woke < end;) {
          auto deadline = woke + microseconds(delay_us(rng));
          weft::sleep_until(deadline);
          woke = steady_clock::now();
          if (deadline >= measured_from) late_ns.push_back((woke - deadline).count());
        }
      }));
    for (auto& t : all) t.join();
  });
  return late_ns;
}

}  // namespace

int main(int argc, char** argv) {
  long tasks = 10'000;
  long threads = 1;
  double seconds = 10;
  double warmup = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--tasks") == 0) tasks = std::strtol(argv[i + 1], nullptr, 10);
    else if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::strtod(argv[i + 1], nullptr);
    else if (std::strcmp(argv[i], "--threads") == 0) threads = std::strtol(argv[i + 1], nullptr, 10);
    else if (std::strcmp(argv[i], "--warmup") == 0) warmup = std::strtod(argv[i + 1], nullptr);
  }
  if (tasks < 1 || threads < 1 || threads > tasks || !(seconds > 0) || !(warmup >= 0 && warmup < seconds)) {
    std::fprintf(stderr,
                 "usage: timer_lateness [--tasks N] [--seconds D] [--threads T] [--warmup W], 1 <= T <= N, 0 <= W < D\n");
    return 2;
  }
  auto start = steady_clock::now();
  auto after = [&](double s) { return start + duration_cast<steady_clock::duration>(duration<double>(s)); };
  auto measured_from = after(warmup);
  auto end = after(seconds);
  std::vector<std::vector<std::int64_t>> per_loop(static_cast<std::size_t>(threads));
  std::vector<std::thread> others;
  for (long t = 1; t < threads; ++t)
    others.emplace_back([&, t] {
      per_loop[static_cast<std::size_t>(t)] =
          run_loop(tasks * (t + 1) / threads - tasks * t / threads, static_cast<unsigned>(tasks * t / threads),
                   measured_from, end, seconds);
    });
  per_loop[0] = run_loop(tasks / threads, 0, measured_from, end, seconds);
  for (auto& th : others) th.join();

  std::vector<std::int64_t> late_ns;
  for (auto& v : per_loop) late_ns.insert(late_ns.end(), v.begin(), v.end());
  if (late_ns.empty()) {
    std::fprintf(stderr, "timer_lateness: no wake-up happened\n");
    return 1;
  }
  std::sort(late_ns.begin(), late_ns.end());
  auto pct = [&](double p) {
    return static_cast<double>(late_ns[static_cast<std::size_t>(p * static_cast<double>(late_ns.size() - 1))]) / 1000.0;
  };
  std::printf("tasks: %ld, threads: %ld, seconds: %.0f, warm-up left out: %.0f s, wake-ups: %zu\n", tasks, threads,
              seconds, warmup, late_ns.size());
  std::printf("lateness (us): p50 %.1f, p99 %.1f, p99.9 %.1f, max %.1f\n", pct(0.5), pct(0.99), pct(0.999),
              static_cast<double>(late_ns.back()) / 1000.0);
  return 0;
}
