// rotated_figures: measures the done-when figures of docs/rotated.md
// ("Performance") with the daemon's real code (scheduler, service, engine on
// weft's executor) on real files in a temporary directory. Not a test.
//
//   rotated_figures idle  [FILES] [SECONDS] [CHECK_EVERY]   default 10000 30 10s
//     FILES watched files, each with a size trigger (fstat every CHECK_EVERY)
//     and a daily one: two tasks per file on one thread. Prints the CPU
//     used between checks and over the whole run, and the RSS.
//   rotated_figures burst [FILES] [THREADS]                default 1000, rotated's pool
//     FILES files whose interval trigger comes due at the same instant;
//     prints when the last of their rotations completed, and when the
//     last became durable (directory synced, state saved).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <weft/loop.hpp>

#include "config.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "scheduler.hpp"
#include "service.hpp"

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// VmRSS or VmHWM from /proc/self/status, in MiB.
double proc_status_mib(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::atof(line.c_str() + std::strlen(key) + 1) / 1024.0;
  }
  return -1;
}

struct scratch {
  std::string dir;
  scratch() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/rotated-figures-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp");
    dir = buf.data();
  }
  ~scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

rotated::config make_files(const std::string& dir, int count, const std::string& triggers, std::size_t bytes) {
  std::string toml;
  std::string content(bytes, 'x');
  for (int i = 0; i < count; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "/f%05d.log", i);
    std::string path = dir + name;
    std::ofstream(path) << content;
    toml += "[[file]]\npath = \"" + path + "\"\nkeep = 3\n" + triggers;
  }
  auto r = rotated::parse_config(toml, "figures.toml");
  if (!r.value) throw std::runtime_error(r.errors.at(0));
  return *r.value;
}

int idle(int files, int seconds, const std::string& check_every) {
  scratch s;
  rotated::config cfg =
      make_files(s.dir, files, "max_size = \"10MiB\"\ncheck_every = \"" + check_every + "\"\ndaily = \"00:00\"\n", 0);
  auto period = *rotated::parse_duration(check_every);
  rotated::engine_options eo;
  eo.state_dir = s.dir + "/state";
  rotated::make_directories(eo.state_dir, 0700);
  rotated::log::set_level(rotated::log_level::warning);
  double rss_before = proc_status_mib("VmRSS:");
  weft::loop lp;
  lp.run_until_complete([&] {
    rotated::state_table state;
    rotated::service svc(eo, false);
    rotated::scheduler sched(cfg, state, svc.hooks(), {});
    auto t0 = clock_type::now();
    sched.start();
    auto started = clock_type::now();
    // The first size checks run at the start; the next at t0 + period.
    // "Between checks": from 20% to 80% of the second period.
    weft::sleep_until(t0 + period + period / 5);
    double c1 = cpu_seconds();
    auto w1 = clock_type::now();
    weft::sleep_until(t0 + period + period * 4 / 5);
    double c2 = cpu_seconds();
    auto w2 = clock_type::now();
    double whole_c0 = c2;
    auto whole_w0 = w2;
    weft::sleep_until(t0 + std::chrono::seconds(seconds) + period * 4 / 5);
    double c3 = cpu_seconds();
    auto w3 = clock_type::now();
    auto secs = [](clock_type::duration d) { return std::chrono::duration<double>(d).count(); };
    std::printf("idle: %d files, %d trigger tasks on one thread (size every %s + daily)\n", files, files * 2,
                check_every.c_str());
    std::printf("  start (spawn, baseline, first checks): %.0f ms\n", secs(started - t0) * 1000);
    std::printf("  CPU between checks: %.3f%% (%.1f ms over %.1f s)\n", 100 * (c2 - c1) / secs(w2 - w1),
                (c2 - c1) * 1000, secs(w2 - w1));
    std::printf("  CPU over %.0f s including %d check rounds: %.3f%% (%.0f ms of CPU)\n", secs(w3 - whole_w0),
                static_cast<int>(std::lround(secs(w3 - whole_w0) / secs(period))),
                100 * (c3 - whole_c0) / secs(w3 - whole_w0), (c3 - whole_c0) * 1000);
    std::printf("  RSS: %.1f MiB (%.1f MiB before starting; peak %.1f MiB)\n", proc_status_mib("VmRSS:"), rss_before,
                proc_status_mib("VmHWM:"));
    std::printf("  rotations: %zu\n", sched.totals().rotated);
    sched.stop();
  });
  return 0;
}

int burst(int files, std::size_t threads) {
  scratch s;
  rotated::config cfg = make_files(s.dir, files, "every = \"3s\"\n", 1024);
  rotated::engine_options eo;
  eo.state_dir = s.dir + "/state";
  rotated::make_directories(eo.state_dir, 0700);
  rotated::log::set_level(rotated::log_level::warning);
  weft::loop lp;
  lp.run_until_complete([&] {
    rotated::state_table state;
    auto now = lp.wall_now();
    for (const auto& f : cfg.files) state.set(f.path, now);  // all due at now + 3 s
    rotated::wall_time due = now + 3s;
    rotated::service svc(eo, false, threads);
    // Two instants per rotation: done (renamed, the fresh file in place),
    // and durable (its directory synced and the state recording it saved).
    std::vector<rotated::wall_time> done, durable;
    rotated::scheduler_hooks hooks = svc.hooks();
    hooks.rotate = [&, real = hooks.rotate](const rotated::file_policy& f, const std::string& reason,
                                            rotated::wall_time at, unsigned kept_before) {
      auto r = real(f, reason, at, kept_before);
      if (r.status == rotated::outcome::rotated) done.push_back(lp.wall_now());
      return r;
    };
    hooks.finish = [&, real = hooks.finish](const std::string& journal) {
      durable.push_back(lp.wall_now());
      real(journal);
    };
    rotated::scheduler sched(cfg, state, hooks, {});
    sched.start();
    auto deadline = clock_type::now() + 30s;
    while (durable.size() < static_cast<std::size_t>(files) && clock_type::now() < deadline) weft::sleep_for(5ms);
    sched.stop();
    auto ms = [&](rotated::wall_time t) { return std::chrono::duration<double, std::milli>(t - due).count(); };
    std::sort(done.begin(), done.end());
    std::sort(durable.begin(), durable.end());
    std::printf(
        "burst: %d files due at the same instant (interval), %zu rotated, %zu durable, rotation pool of %zu threads\n",
        files, done.size(), durable.size(), svc.pool_threads());
    if (!done.empty()) {
      std::printf("  first rotation completed %.0f ms after the due instant\n", ms(done.front()));
      std::printf("  half completed after %.0f ms\n", ms(done[done.size() / 2]));
      std::printf("  last rotation completed %.0f ms after the due instant\n", ms(done.back()));
    }
    if (!durable.empty())
      std::printf("  last rotation durable (directory synced, state saved) %.0f ms after the due instant\n",
                  ms(durable.back()));
  });
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "idle")
      return idle(argc > 2 ? std::atoi(argv[2]) : 10000, argc > 3 ? std::atoi(argv[3]) : 30,
                  argc > 4 ? argv[4] : "10s");
    if (mode == "burst")
      return burst(argc > 2 ? std::atoi(argv[2]) : 1000, argc > 3 ? static_cast<std::size_t>(std::atoi(argv[3])) : 0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rotated_figures: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "usage: rotated_figures idle [FILES] [SECONDS] [CHECK_EVERY] | burst [FILES] [THREADS]\n");
  return 2;
}
