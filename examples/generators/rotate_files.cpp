// Seed 001, "The state of Python coroutines: Introducing asyncio": four
// long-running jobs share one thread, each a generator-based coroutine that
// sleeps with `yield from asyncio.sleep(...)` and rotates a file (file ->
// file.1 -> file.2 ..., keeping N versions): every N seconds, every
// midnight, or when the file outgrows a size.
//
//   def rotate_by_interval(path, keep_versions, rotate_secs):
//       while True:
//           yield from asyncio.sleep(rotate_secs)
//           rotate_file(path, keep_versions)
//
//   def rotate_daily(path, keep_versions):
//       while True:
//           now = datetime.datetime.now()
//           last_midnight = now.replace(hour=0, minute=0, second=0)
//           next_midnight = last_midnight + datetime.timedelta(1)
//           yield from asyncio.sleep((next_midnight - now).total_seconds())
//           rotate_file(path, keep_versions)
//
//   def rotate_by_size(path, keep_versions, max_size, check_interval_secs):
//       while True:
//           yield from asyncio.sleep(check_interval_secs)
//           try:
//               filesize = Path(path).stat().st_size
//               if filesize > max_size:
//                   rotate_file(path, keep_versions)
//           except FileNotFoundError:
//               pass
//
//   main(): create_task(rotate_by_interval("/tmp/file1", 3, 30)),
//           (rotate_by_interval("/tmp/file2", 5, 20)),
//           (rotate_by_size("/tmp/file3", 3, 1024, 60)),
//           (rotate_daily("/tmp/file4", 5)); loop.run_forever()
//
// Differences, so that the program ends and prints the same lines on every
// run: the files live in a fresh temporary directory; the loop runs on
// virtual time (sleep_loop.hpp) whose wall clock starts at 23:58:00, and
// stops after 150 seconds instead of running forever; a fifth task stands
// in for the programs that write the files (200 bytes to each every 10 s);
// rotate_file prints what it renames.
#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "sleep_loop.hpp"

namespace fs = std::filesystem;
using sleep_loop::task;
using sleep_loop::yielder;

// The loop main() runs (asyncio's current loop). It lives in main, not in a
// global: generators must be destroyed before the thread ends.
const sleep_loop::loop* running_loop = nullptr;
constexpr double wall_start = 23 * 3600 + 58 * 60;  // 23:58:00
constexpr double day = 24 * 3600;

double wall_now() { return wall_start + running_loop->time(); }

std::string clock_text(double wall) {
  long s = std::lround(std::fmod(wall, day));
  char text[32];
  std::snprintf(text, sizeof text, "%02ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  return text;
}

fs::path with_suffix(const fs::path& path, int version) {
  return fs::path(path.string() + "." + std::to_string(version));
}

// Create versions of the file and promote 1 to 2, 2 to 3, 3 to 4.
void rotate_file(const fs::path& path, int keep_versions) {
  if (!fs::exists(path)) return;
  for (int i = keep_versions; i > 1; --i) {
    fs::path old_version = with_suffix(path, i - 1);
    if (fs::exists(old_version)) fs::rename(old_version, with_suffix(path, i));
  }
  fs::rename(path, with_suffix(path, 1));
  std::printf("%s rotated %s\n", clock_text(wall_now()).c_str(), path.filename().c_str());
}

// Rotate file every N seconds.
task rotate_by_interval(fs::path path, int keep_versions, double rotate_secs) {
  return task([=](yielder& y) {
    for (;;) {
      y.yield_from(sleep_loop::sleep(rotate_secs));
      rotate_file(path, keep_versions);
    }
  });
}

// Rotate file every midnight.
task rotate_daily(fs::path path, int keep_versions) {
  return task([=](yielder& y) {
    for (;;) {
      double now = wall_now();
      double last_midnight = std::floor(now / day) * day;
      double next_midnight = last_midnight + day;
      y.yield_from(sleep_loop::sleep(next_midnight - now));
      rotate_file(path, keep_versions);
    }
  });
}

// Rotate file when it exceeds N bytes checking every M seconds.
task rotate_by_size(fs::path path, int keep_versions, std::uintmax_t max_size, double check_interval_secs) {
  return task([=](yielder& y) {
    for (;;) {
      y.yield_from(sleep_loop::sleep(check_interval_secs));
      std::error_code not_found;
      std::uintmax_t filesize = fs::file_size(path, not_found);
      if (!not_found && filesize > max_size) rotate_file(path, keep_versions);
    }
  });
}

// Stands in for the programs that write the files.
task writer(std::vector<fs::path> paths) {
  return task([paths](yielder& y) {
    for (;;) {
      for (const auto& path : paths) std::ofstream(path, std::ios::app) << std::string(199, '.') << '\n';
      y.yield_from(sleep_loop::sleep(10));
    }
  });
}

int main() {
  std::string pattern = (fs::temp_directory_path() / "weft-rotate-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  fs::path dir = pattern;
  std::vector<fs::path> files{dir / "file1", dir / "file2", dir / "file3", dir / "file4"};

  sleep_loop::loop event_loop;
  running_loop = &event_loop;
  event_loop.create_task(writer(files));
  event_loop.create_task(rotate_by_interval(files[0], 3, 30));
  event_loop.create_task(rotate_by_interval(files[1], 5, 20));
  event_loop.create_task(rotate_by_size(files[2], 3, 1024, 60));
  event_loop.create_task(rotate_daily(files[3], 5));
  event_loop.run_until(150);

  std::printf("after %.0f s:\n", event_loop.time());
  std::vector<fs::directory_entry> entries(fs::directory_iterator(dir), fs::directory_iterator{});
  std::vector<std::string> listing;
  for (const auto& e : entries)
    listing.push_back(e.path().filename().string() + " " + std::to_string(e.file_size()) + " bytes");
  std::sort(listing.begin(), listing.end());
  for (const auto& line : listing) std::printf("  %s\n", line.c_str());
  fs::remove_all(dir);
}
