// Seed 001, "The state of Python coroutines: Introducing asyncio": four
// long-running background jobs share one thread and one event loop, each a
// task that loops on asyncio.sleep and rotates a log file (file -> file.1 ->
// file.2 ..., keeping N versions): every N seconds, every midnight, or when
// the file has grown past a size.
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
//   def main(argv):
//       loop = asyncio.get_event_loop()
//       rotate1 = loop.create_task(rotate_by_interval("/tmp/file1", 3, 30))
//       rotate2 = loop.create_task(rotate_by_interval("/tmp/file2", 5, 20))
//       rotate3 = loop.create_task(rotate_by_size("/tmp/file3", 3, 1024, 60))
//       rotate4 = loop.create_task(rotate_daily("/tmp/file4", 5))
//       loop.run_forever()
//
// Here each job is a weft task — straight-line code that calls sleep_for(),
// no generators — and the loop runs on virtual time, with its wall clock
// (loop::wall_now()) starting on 2024-01-01 at 23:58:45 UTC, so the trace is
// the same on every run and 3 minutes take no time. Changes so the program
// ends and shows something: the files live in a fresh temporary directory; a
// fifth task stands in for the programs writing them (one 100-byte line to
// each every 15 s); "midnight" is midnight UTC, the same in every time zone;
// a call_later stops the loop after 3 minutes, and close() then cancels the
// jobs, which report it.
#include <weft/loop.hpp>

#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

using namespace std::chrono_literals;
namespace fs = std::filesystem;

weft::loop* event_loop = nullptr;

std::string wall_clock() {
  std::time_t t = std::chrono::system_clock::to_time_t(event_loop->wall_now());
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[16];
  std::strftime(text, sizeof text, "%H:%M:%S", &utc);
  return text;
}

fs::path version(const fs::path& path, int n) { return path.string() + "." + std::to_string(n); }

// Shift path.1 .. path.(keep-1) up by one (the oldest falls off), then path
// becomes path.1.
void rotate_file(const fs::path& path, int keep_versions, const char* why) {
  if (!fs::exists(path)) return;
  for (int i = keep_versions; i > 1; --i)
    if (fs::exists(version(path, i - 1))) fs::rename(version(path, i - 1), version(path, i));
  fs::rename(path, version(path, 1));
  std::printf("%s  rotated %s (%s)\n", wall_clock().c_str(), path.filename().c_str(), why);
}

void rotate_by_interval(fs::path path, int keep_versions, std::chrono::seconds rotate_every) {
  for (;;) {
    weft::sleep_for(rotate_every);
    rotate_file(path, keep_versions, "interval");
  }
}

void rotate_daily(fs::path path, int keep_versions) {
  for (;;) {
    auto now = event_loop->wall_now();
    auto last_midnight = std::chrono::floor<std::chrono::days>(now);
    auto next_midnight = last_midnight + std::chrono::days(1);
    weft::sleep_for(std::chrono::duration_cast<weft::loop::duration>(next_midnight - now));
    rotate_file(path, keep_versions, "midnight");
  }
}

void rotate_by_size(fs::path path, int keep_versions, std::uintmax_t max_size, std::chrono::seconds check_every) {
  for (;;) {
    weft::sleep_for(check_every);
    std::error_code not_found;
    std::uintmax_t size = fs::file_size(path, not_found);
    if (!not_found && size > max_size) rotate_file(path, keep_versions, "size");
  }
}

void append_lines(std::vector<fs::path> paths) {
  for (;;) {
    for (const auto& path : paths) std::ofstream(path, std::ios::app) << std::string(99, '-') << '\n';
    weft::sleep_for(15s);
  }
}

// Runs job as a named task that says when it is cancelled.
template <class F>
void create_task(const char* name, F job) {
  event_loop
      ->spawn(
          [name, job] {
            try {
              job();
            } catch (const weft::cancelled&) {
              std::printf("%s  %s cancelled\n", wall_clock().c_str(), name);
              throw;
            }
          },
          {.name = name})
      .detach();
}

int main() {
  std::string dir_name = (fs::temp_directory_path() / "weft-periodic-XXXXXX").string();
  if (::mkdtemp(dir_name.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const fs::path dir = dir_name;
  const fs::path file1 = dir / "file1", file2 = dir / "file2", file3 = dir / "file3", file4 = dir / "file4";

  using namespace std::chrono;
  weft::loop loop({.virtual_time = true, .virtual_wall_start = sys_days(year(2024) / January / 1) + 23h + 58min + 45s});
  event_loop = &loop;
  std::printf("%s  start, one thread\n", wall_clock().c_str());
  create_task("writer", [=] { append_lines({file1, file2, file3, file4}); });
  create_task("rotate1", [=] { rotate_by_interval(file1, 3, 30s); });
  create_task("rotate2", [=] { rotate_by_interval(file2, 5, 20s); });
  create_task("rotate3", [=] { rotate_by_size(file3, 3, 1024, 60s); });
  create_task("rotate4", [=] { rotate_daily(file4, 5); });
  loop.call_later(3min, [&] { loop.stop(); });
  loop.run_forever();
  std::printf("%s  stopped\n", wall_clock().c_str());
  loop.close();

  std::vector<std::string> listing;
  for (const auto& entry : fs::directory_iterator(dir))
    listing.push_back(entry.path().filename().string() + " " + std::to_string(entry.file_size()) + " bytes");
  std::sort(listing.begin(), listing.end());
  for (const auto& line : listing) std::printf("  %s\n", line.c_str());
  fs::remove_all(dir);
}
