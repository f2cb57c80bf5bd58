// libFuzzer target for rotated's configuration parser and its value
// grammars (examples/rotated/config.hpp, civil_time.hpp; tests/fuzz/README.md).
//
// The first input byte picks what the rest is fed to: the whole TOML
// schema walk, or one of the strict grammars (durations, sizes, times of
// day, ISO 8601 instants, decimal numbers). Each must answer without
// crashing, and what it accepts must be what the daemon relies on: a valid
// configuration holds only absolute, normalised, distinct paths with a
// trigger, whose groups agree on their shared hooks, an invalid one names
// every error as FILE:LINE;
// each grammar's answer prints back to the same value.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "civil_time.hpp"
#include "config.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool normalised(const std::string& path) {
  return !path.empty() && path.front() == '/' && path.back() != '/' && path.find("//") == std::string::npos &&
         (path + "/").find("/./") == std::string::npos && (path + "/").find("/../") == std::string::npos;
}

void check_config(std::string_view text) {
  const std::string source = "fuzz.toml";
  rotated::config_result r = rotated::parse_config(text, source);
  check(r.value.has_value() == r.errors.empty());
  for (const std::string& e : r.errors) {
    check(e.compare(0, source.size() + 1, source + ":") == 0);
    std::size_t digits = e.find_first_not_of("0123456789", source.size() + 1);
    check(digits != std::string::npos && digits > source.size() + 1 && e.compare(digits, 2, ": ") == 0);
  }
  if (!r.value) return;
  // Without [[file]] tables only an include_dir may supply them, which
  // load_config reads (parse_config leaves the directory alone).
  check(!r.value->files.empty() || !r.value->include_dir.empty());
  check(r.value->state_dir.empty() || normalised(r.value->state_dir));
  check(r.value->include_dir.empty() || normalised(r.value->include_dir));
  std::set<std::string> paths;
  std::map<std::string, const rotated::file_policy*> groups;
  for (const rotated::file_policy& f : r.value->files) {
    check(normalised(f.path) && paths.insert(f.path).second);
    check(f.keep <= 100000);
    check(f.every || f.calendar || f.max_size);
    check(!f.every || f.every->count() > 0);
    if (f.calendar) {
      const bool hourly = f.calendar->period == rotated::calendar_period::hourly;
      check(f.calendar->at.count() >= 0 && f.calendar->at.count() < (hourly ? 3600 : 86400));
      check(f.calendar->weekday < 7 && f.calendar->day >= 1 && f.calendar->day <= 31);
      check(f.calendar->month >= 1 && f.calendar->month <= 12);
    }
    check(!f.min_size || f.every || f.calendar);
    check(!f.max_age || f.max_age->count() > 0);
    check(!f.pattern || rotated::is_pattern(f.name()));
    check(f.dateext.empty() || (rotated::valid_dateext(f.dateext) && !f.copytruncate && f.keep > 0));
    for (const auto* hook : {&f.prerotate, &f.postrotate, &f.firstaction, &f.lastaction})
      check(!*hook || (!(*hook)->command.empty() && !(*hook)->command[0].empty()));
    // The tables of a group agree on the hooks the group runs once.
    check(!f.group.empty());
    auto [first, fresh] = groups.emplace(f.group, &f);
    const rotated::file_policy& g = *first->second;
    check(fresh ||
          (g.firstaction == f.firstaction && g.lastaction == f.lastaction && g.shared_hooks == f.shared_hooks &&
           (!f.shared_hooks || (g.prerotate == f.prerotate && g.postrotate == f.postrotate))));
    check(f.check_every.count() > 0);
    check(!f.compress || f.keep >= 2);
    check(!f.copytruncate || f.create.enabled);
    check(!f.create.mode || *f.create.mode <= 07777);
    check(f.olddir.empty() || (normalised(f.olddir) && f.olddir != f.dir()));
    check(!f.create_olddir.enabled || !f.olddir.empty());
    check(!f.create_olddir.mode || *f.create_olddir.mode <= 07777);
    if (f.notify) {
      check(f.notify->pidfile.empty() != f.notify->command.empty());
      check(f.notify->pidfile.empty() || normalised(f.notify->pidfile));
      check(f.notify->timeout.count() > 0);
    }
  }
}

void check_grammar(unsigned which, std::string_view text) {
  switch (which) {
    case 1:
      if (auto d = rotated::parse_duration(text)) {
        check(d->count() >= 0);
        check(rotated::parse_duration(rotated::format_duration(*d)) == d);
      }
      break;
    case 2:
      if (auto n = rotated::parse_size(text)) check(rotated::parse_size(std::to_string(*n) + "B") == n);
      break;
    case 3:
      if (auto t = rotated::parse_time_of_day(text)) {
        check(t->count() >= 0 && t->count() < 86400);
        char buf[16];
        auto s = static_cast<int>(t->count());
        std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
        check(rotated::parse_time_of_day(buf) == t);
      }
      break;
    case 4:
      if (auto t = rotated::parse_iso8601(text)) {
        auto whole = std::chrono::floor<std::chrono::seconds>(*t);
        check(rotated::parse_iso8601(rotated::format_utc(*t)) == whole);
      }
      break;
    default:
      if (auto n = rotated::parse_u64(text)) check(rotated::parse_u64(std::to_string(*n)) == n);
      if (auto sig = rotated::parse_signal(text)) check(*sig > 0);
      break;
  }
}

}  // namespace

// Local readings go through a zone with DST, so that parse_iso8601's
// resolution of gaps and repeats is exercised.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ::setenv("TZ", "America/New_York", 1);
  ::tzset();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  unsigned which = data[0] % 6u;  // '0' .. '5' in the seed files
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if (which == 0) {
    // Debian 12's toml++ 3.3.0 reaches __builtin_unreachable() on some
    // non-ASCII characters (is_non_ascii_horizontal_whitespace; upstream
    // marzer/tomlplusplus#190 and #295, fixed by #305 in 2026): fuzz the
    // rest until Debian ships the fix. rotated's configuration is root's
    // own file, so this is no way in for an attacker.
    for (unsigned char c : rest)
      if (c >= 0x80) return 0;
    check_config(rest);
  } else {
    check_grammar(which, rest);
  }
  return 0;
}
