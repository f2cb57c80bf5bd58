// Timer lateness under load, on real time: N tasks (default 10,000) each
// sleep a random 1-10 ms in a loop for D seconds (default 10). Every wake-up
// records how late it came (now - deadline). Prints count, p50, p99, p99.9
// and max in microseconds.
//
// Set-up is kept out of the measured run: each loop first spawns all its
// tasks (mapping their stacks), then lets them run to their first sleep,
// and only then does the clock of the D seconds start, `settle` later. The
// time the set-up took is printed on its own line.
//
// --threads T splits the tasks over T loops, one per thread (weft's
// thread-per-core mode); the default is one loop on the main thread.
// --warmup W also leaves out the wake-ups due in the first W seconds of the
// run (default 0).
#include <weft/loop.hpp>
#include <weft/sync/event.hpp>

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

// Time between the end of the spawns and the start of the run: the tasks
// run to their first sleep meanwhile (touching each stack for the first
// time), so that no first deadline is already past when it is armed.
constexpr auto settle = milliseconds(200);

struct loop_result {
  std::vector<std::int64_t> late_ns;  // every recorded wake-up's lateness
  steady_clock::duration set_up{};    // spawning every task
};

// One loop running `tasks` sleepers, seeded from `first_seed`, for
// `seconds` of real time after set-up. Wake-ups due in the first `warmup`
// seconds are not recorded.
loop_result run_loop(long tasks, unsigned first_seed, double seconds, double warmup) {
  loop_result out;
  out.late_ns.reserve(static_cast<std::size_t>(static_cast<double>(tasks) * seconds * 250));
  auto span = [](double s) { return duration_cast<steady_clock::duration>(duration<double>(s)); };
  steady_clock::time_point start, measured_from, end;  // set once every task is spawned, before any runs
  weft::loop lp;
  lp.run_until_complete([&] {
    // A task past the end waits here until every task is: one that
    // finished would give its stack back (unmapped beyond the pool's
    // cache), and 10,000 munmaps in the last milliseconds would delay the
    // last measured wake-ups of the others by up to 0.2 s.
    long sleeping = tasks;
    weft::event all_past_end;
    auto spawning = steady_clock::now();
    std::vector<weft::task<void>> all;
    all.reserve(static_cast<std::size_t>(tasks));
    for (long i = 0; i < tasks; ++i)
      all.push_back(weft::spawn([&, seed = first_seed + static_cast<unsigned>(i)] {
        std::minstd_rand rng(seed + 1);
        std::uniform_int_distribution<long> delay_us(1000, 10'000);
        // Each deadline counts from the previous wake-up, whose clock read
        // serves both the lateness and the next deadline.
        for (auto woke = start; woke < end;) {
          auto deadline = woke + microseconds(delay_us(rng));
          weft::sleep_until(deadline);
          woke = steady_clock::now();
          if (deadline >= measured_from) out.late_ns.push_back((woke - deadline).count());
        }
        if (--sleeping == 0) all_past_end.set();
        else all_past_end.wait();
      }));
    auto spawned = steady_clock::now();
    out.set_up = spawned - spawning;
    start = spawned + settle;
    measured_from = start + span(warmup);
    end = start + span(seconds);
    for (auto& t : all) t.join();
  });
  return out;
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
    std::fprintf(
        stderr,
        "usage: timer_lateness [--tasks N] [--seconds D] [--threads T] [--warmup W], 1 <= T <= N, 0 <= W < D\n");
    return 2;
  }
  std::vector<loop_result> per_loop(static_cast<std::size_t>(threads));
  std::vector<std::thread> others;
  for (long t = 1; t < threads; ++t)
    others.emplace_back([&, t] {
      per_loop[static_cast<std::size_t>(t)] = run_loop(tasks * (t + 1) / threads - tasks * t / threads,
                                                       static_cast<unsigned>(tasks * t / threads), seconds, warmup);
    });
  per_loop[0] = run_loop(tasks / threads, 0, seconds, warmup);
  for (auto& th : others) th.join();

  std::vector<std::int64_t> late_ns;
  steady_clock::duration set_up{};
  for (auto& r : per_loop) {
    late_ns.insert(late_ns.end(), r.late_ns.begin(), r.late_ns.end());
    set_up = std::max(set_up, r.set_up);
  }
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
  std::printf("set-up (spawning every task, not measured): %.1f ms\n", duration<double, std::milli>(set_up).count());
  std::printf("lateness (us): p50 %.1f, p99 %.1f, p99.9 %.1f, max %.1f\n", pct(0.5), pct(0.99), pct(0.999),
              static_cast<double>(late_ns.back()) / 1000.0);
  return 0;
}
