// The daemon's triggers on weft's virtual time: days of schedule run in
// milliseconds, and every rotation is recorded with its wall instant.
#include <gtest/gtest.h>

#include <cerrno>
#include <system_error>

#include <set>

#include <weft/loop.hpp>
#include <weft/task.hpp>

#include "scheduler.hpp"
#include "support.hpp"

namespace {

using namespace std::chrono_literals;
using rotated::wall_time;
using rotated_test::config_from;
using rotated_test::tz_scope;
using rotated_test::utc;

struct recorded {
  std::string path;
  wall_time at;
  std::string reason;
  unsigned kept_before = 0;  // what the state said the last rotation kept
};

// Runs a scheduler from `start` (the virtual wall clock) for `span` of
// virtual time and returns what it rotated.
struct harness {
  rotated::config cfg;
  rotated::state_table state;
  std::vector<recorded> rotations;
  rotated::scheduler_options options;
  rotated::scheduler_hooks hooks;
  std::function<void(rotated::scheduler&)> during;  // runs as a task beside it

  explicit harness(const std::string& toml) : cfg(config_from(toml)) {
    hooks.rotate = [this](const rotated::file_policy& f, const std::string& reason, wall_time at,
                          unsigned kept_before) {
      rotations.push_back({f.path, at, reason, kept_before});
      return rotated::rotation_result{rotated::outcome::rotated, {}};
    };
  }

  void run(wall_time start, weft::loop::duration span) {
    weft::loop lp({.virtual_time = true, .virtual_wall_start = start});
    lp.run_until_complete([&] {
      rotated::scheduler s(cfg, state, hooks, options);
      s.start();
      weft::task<void> side;
      if (during) side = weft::spawn([&] { during(s); });
      weft::sleep_for(span);
      if (side.valid()) side.join();
      s.stop();
    });
  }

  std::vector<std::string> local_times() const {
    std::vector<std::string> out;
    for (const auto& r : rotations) out.push_back(rotated::format_local(r.at));
    return out;
  }
};

TEST(rotated_scheduler, interval_rotates_once_per_period_at_exact_instants) {
  harness h("[[file]]\npath = \"/v/a.log\"\nkeep = 3\nevery = \"30s\"\n");
  wall_time start = utc("2026-01-01T00:00:00Z");
  h.run(start, 5min + 1s);
  ASSERT_EQ(h.rotations.size(), 10u);
  for (std::size_t i = 0; i < h.rotations.size(); ++i) {
    EXPECT_EQ(h.rotations[i].at, start + 30s * static_cast<int>(i + 1));
    EXPECT_EQ(h.rotations[i].reason, "interval");
  }
  EXPECT_EQ(h.state.last("/v/a.log"), start + 300s);
}

TEST(rotated_scheduler, two_interval_files_rotate_independently_on_one_thread) {
  harness h(R"([[file]]
path = "/v/file1"
keep = 3
every = "30s"
[[file]]
path = "/v/file2"
keep = 5
every = "20s"
)");
  h.run(utc("2026-01-01T00:00:00Z"), 60s + 1ms);
  std::vector<std::string> seen;
  for (const auto& r : h.rotations) seen.push_back(r.path + "@" + rotated::format_utc(r.at).substr(14, 5));
  EXPECT_EQ(seen, (std::vector<std::string>{"/v/file2@00:20", "/v/file1@00:30", "/v/file2@00:40", "/v/file1@01:00",
                                            "/v/file2@01:00"}));
}

// Each rotation is told what the state says the previous one kept, and
// the state then records the file's keep: the first knows nothing (0), the
// next ones the keep, and after a reload with a smaller keep the rotation
// learns the larger one (so that it drops exactly rotated's own versions).
TEST(rotated_scheduler, each_rotation_learns_what_the_last_one_kept_and_the_state_records_keep) {
  harness h("[[file]]\npath = \"/v/a.log\"\nkeep = 9\nevery = \"30s\"\n");
  h.during = [&](rotated::scheduler& s) {
    weft::sleep_for(61s);
    s.reload(config_from("[[file]]\npath = \"/v/a.log\"\nkeep = 2\nevery = \"30s\"\n"));
  };
  h.run(utc("2026-01-01T00:00:00Z"), 2min + 1s);
  std::vector<unsigned> kept;
  for (const auto& r : h.rotations) kept.push_back(r.kept_before);
  EXPECT_EQ(kept, (std::vector<unsigned>{0, 9, 9, 2}));
  EXPECT_EQ(h.state.kept("/v/a.log"), 2u);
}

TEST(rotated_scheduler, weekly_and_monthly_rotate_at_local_times_on_virtual_time) {
  tz_scope tz("America/New_York");
  harness h(
      "[[file]]\npath = \"/v/w.log\"\nkeep = 5\nweekly = \"sunday 02:30\"\n"
      "[[file]]\npath = \"/v/m.log\"\nkeep = 5\nmonthly = \"31\"\n");
  h.run(utc("2026-02-20T12:00:00-05:00"), 24h * 30);
  std::vector<std::string> seen;
  for (const auto& r : h.rotations) seen.push_back(r.path + " " + rotated::format_local(r.at) + " " + r.reason);
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "/v/w.log 2026-02-22T02:30:00-05:00 weekly", "/v/m.log 2026-02-28T00:00:00-05:00 monthly",
                      "/v/w.log 2026-03-01T02:30:00-05:00 weekly", "/v/w.log 2026-03-08T03:00:00-04:00 weekly",
                      "/v/w.log 2026-03-15T02:30:00-04:00 weekly", "/v/w.log 2026-03-22T02:30:00-04:00 weekly"}));
}

// min_size holds a due time trigger back (logrotate's minsize: time AND
// size): checked every check_every, it rotates at the first check that
// finds the file big enough, and the next period counts from there.
TEST(rotated_scheduler, min_size_holds_a_due_weekly_rotation_back_until_the_file_is_big_enough) {
  tz_scope tz("UTC");
  harness h(
      "[[file]]\npath = \"/v/w.log\"\nkeep = 5\nweekly = \"monday\"\nmin_size = \"1KiB\"\ncheck_every = \"1h\"\n");
  std::uint64_t size = 10;
  h.hooks.size_of = [&](const rotated::file_policy&) { return std::optional<std::uint64_t>(size); };
  h.during = [&](rotated::scheduler&) {
    weft::sleep_for(24h * 2 + 4h + 30min);  // Tuesday 04:30
    size = 1024;
  };
  h.run(utc("2026-01-04T00:00:00Z"), 24h * 14);  // a Sunday, for two weeks
  EXPECT_EQ(h.local_times(), (std::vector<std::string>{"2026-01-06T05:00:00+00:00", "2026-01-12T00:00:00+00:00"}));
}

TEST(rotated_scheduler, daily_across_the_new_york_spring_forward_rotates_once_on_the_23_hour_day) {
  tz_scope tz("America/New_York");
  harness h("[[file]]\npath = \"/v/d.log\"\nkeep = 5\ndaily = \"00:00\"\n");
  h.run(utc("2026-03-07T12:00:00-05:00"), 72h);
  EXPECT_EQ(h.local_times(), (std::vector<std::string>{"2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00",
                                                       "2026-03-10T00:00:00-04:00"}));
  ASSERT_EQ(h.rotations.size(), 3u);
  EXPECT_EQ(h.rotations[1].at - h.rotations[0].at, 23h);
  for (const auto& r : h.rotations) EXPECT_EQ(r.reason, "daily");
}

TEST(rotated_scheduler, daily_across_the_new_york_fall_back_rotates_once_on_the_25_hour_day) {
  tz_scope tz("America/New_York");
  harness h("[[file]]\npath = \"/v/d.log\"\nkeep = 5\ndaily = \"00:00\"\n");
  h.run(utc("2026-10-31T12:00:00-04:00"), 72h);
  EXPECT_EQ(h.local_times(), (std::vector<std::string>{"2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00",
                                                       "2026-11-03T00:00:00-05:00"}));
  ASSERT_EQ(h.rotations.size(), 3u);
  EXPECT_EQ(h.rotations[1].at - h.rotations[0].at, 25h);
}

TEST(rotated_scheduler, daily_at_a_repeated_local_time_rotates_once_on_the_fall_back_day) {
  tz_scope tz("America/New_York");
  harness h("[[file]]\npath = \"/v/d.log\"\nkeep = 5\ndaily = \"01:30\"\n");
  h.run(utc("2026-10-31T12:00:00-04:00"), 48h);
  EXPECT_EQ(h.local_times(), (std::vector<std::string>{"2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"}));
}

TEST(rotated_scheduler, daily_at_a_skipped_local_time_rotates_at_the_end_of_the_gap) {
  tz_scope tz("America/New_York");
  harness h("[[file]]\npath = \"/v/d.log\"\nkeep = 5\ndaily = \"02:30\"\n");
  h.run(utc("2026-03-07T12:00:00-05:00"), 48h);
  EXPECT_EQ(h.local_times(), (std::vector<std::string>{"2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"}));
}

TEST(rotated_scheduler, a_year_of_daily_rotations_on_virtual_time_gives_each_new_york_date_once) {
  tz_scope tz("America/New_York");
  harness h("[[file]]\npath = \"/v/d.log\"\nkeep = 5\ndaily = \"00:00\"\n");
  h.options.max_nap = 6h;  // fewer wake-ups; the wall clock does not jump here
  h.run(utc("2026-01-01T00:00:00-05:00"), 24h * 365 - 1h);
  std::set<std::string> dates;
  for (const auto& t : h.local_times()) {
    EXPECT_TRUE(dates.insert(t.substr(0, 10)).second) << t;
    EXPECT_EQ(t.substr(10, 9), "T00:00:00") << t;
  }
  // Day 1 was the baseline (started at its midnight): 364 more midnights.
  EXPECT_EQ(dates.size(), 364u);
  EXPECT_EQ(*dates.begin(), "2026-01-02");
  EXPECT_EQ(*dates.rbegin(), "2026-12-31");
}

TEST(rotated_scheduler, after_downtime_each_file_catches_up_exactly_once) {
  tz_scope tz("UTC");
  harness h(R"([[file]]
path = "/v/both.log"
keep = 3
every = "1h"
daily = "00:00"
[[file]]
path = "/v/interval.log"
keep = 3
every = "10m"
[[file]]
path = "/v/fresh.log"
keep = 3
every = "10m"
)");
  wall_time start = utc("2026-05-10T15:20:00Z");
  // Down for three days: dozens of periods and three midnights missed.
  h.state.set("/v/both.log", start - 72h);
  h.state.set("/v/interval.log", start - 72h);
  h.run(start, 30min + 1s);
  std::vector<std::string> seen;
  for (const auto& r : h.rotations)
    seen.push_back(r.path + " " + rotated::format_utc(r.at).substr(11, 8) + " " + r.reason.substr(0, 9));
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "/v/both.log 15:20:00 catch-up:",
                      "/v/interval.log 15:20:00 catch-up:",
                      // /v/fresh.log had no state: its baseline is the start.
                      "/v/interval.log 15:30:00 interval",
                      "/v/fresh.log 15:30:00 interval",
                      "/v/interval.log 15:40:00 interval",
                      "/v/fresh.log 15:40:00 interval",
                      "/v/interval.log 15:50:00 interval",
                      "/v/fresh.log 15:50:00 interval",
                  }));
  EXPECT_EQ(h.state.last("/v/both.log"), start);
}

TEST(rotated_scheduler, a_clock_step_forward_past_several_deadlines_rotates_once) {
  tz_scope tz("UTC");
  harness h("[[file]]\npath = \"/v/d.log\"\nkeep = 5\ndaily = \"00:00\"\n");
  wall_time start = utc("2026-05-10T12:00:00Z");
  std::chrono::system_clock::duration step{0};
  weft::loop* lp = nullptr;
  h.options.wall = [&] { return weft::loop::current()->wall_now() + step; };
  h.during = [&](rotated::scheduler&) {
    lp = weft::loop::current();
    weft::sleep_for(1h);
    step = 72h;  // 13:00 on the 10th becomes 13:00 on the 13th
  };
  h.run(start, 2h);
  ASSERT_EQ(h.rotations.size(), 1u);
  // Seen at the first wake-up after the step (at most max_nap later).
  EXPECT_GE(h.rotations[0].at, utc("2026-05-13T13:00:00Z"));
  EXPECT_LE(h.rotations[0].at, utc("2026-05-13T13:01:00Z"));
  EXPECT_EQ(h.rotations[0].reason.rfind("catch-up: daily rotation was due 2026-05-11T00:00:00+00:00", 0), 0u)
      << h.rotations[0].reason;
  (void)lp;
}

TEST(rotated_scheduler, a_clock_step_back_never_rotates_a_date_twice) {
  tz_scope tz("UTC");
  harness h("[[file]]\npath = \"/v/d.log\"\nkeep = 5\ndaily = \"00:00\"\n");
  wall_time start = utc("2026-05-10T23:00:00Z");
  std::chrono::system_clock::duration step{0};
  h.options.wall = [&] { return weft::loop::current()->wall_now() + step; };
  h.during = [&](rotated::scheduler&) {
    weft::sleep_for(90min);  // 00:30 on the 11th, after its rotation
    step = -2h;              // back to 22:30 on the 10th
  };
  h.run(start, 28h);
  // Rotated at midnight on the 11th (1 h in); after the step the wall clock
  // passes that midnight again (3 h in) without a second rotation; the next
  // is the 12th, which the stepped wall clock reaches 27 h in.
  EXPECT_EQ(h.local_times(), (std::vector<std::string>{"2026-05-11T00:00:00+00:00", "2026-05-12T00:00:00+00:00"}));
}

// A last rotation beyond the next daily firing (a damaged state, a clock
// stepped far back) would suspend the daily trigger until the clock passed
// it; like logrotate, rotate at once and start again from there.
TEST(rotated_scheduler, a_last_rotation_recorded_in_the_future_rotates_at_once) {
  tz_scope tz("UTC");
  harness h("[[file]]\npath = \"/v/d.log\"\nkeep = 5\ndaily = \"00:00\"\n");
  h.state.set("/v/d.log", utc("2030-01-01T00:00:00Z"));
  h.run(utc("2026-05-10T12:00:00Z"), 13h);
  EXPECT_EQ(h.local_times(), (std::vector<std::string>{"2026-05-10T12:00:00+00:00", "2026-05-11T00:00:00+00:00"}));
  ASSERT_FALSE(h.rotations.empty());
  EXPECT_EQ(h.rotations[0].reason, "daily: the last rotation is recorded in the future (2030-01-01T00:00:00+00:00)");
}

// A failed rotation is not a rotation: the state keeps the last one that
// happened, and the trigger tries again a minute later (or one period,
// when shorter), not at the next day's firing.
TEST(rotated_scheduler, a_failed_rotation_leaves_the_state_and_is_retried_a_minute_later) {
  tz_scope tz("UTC");
  harness h("[[file]]\npath = \"/v/d.log\"\nkeep = 5\ndaily = \"00:00\"\n");
  int attempts = 0;
  h.hooks.rotate = [&](const rotated::file_policy& f, const std::string& reason, wall_time at, unsigned) {
    h.rotations.push_back({f.path, at, reason});
    return rotated::rotation_result{++attempts == 1 ? rotated::outcome::failed : rotated::outcome::rotated, {}};
  };
  h.state.set("/v/d.log", utc("2026-05-09T00:00:00Z"));
  h.run(utc("2026-05-09T23:59:30Z"), 2h);
  EXPECT_EQ(h.local_times(), (std::vector<std::string>{"2026-05-10T00:00:00+00:00", "2026-05-10T00:01:00+00:00"}));
  EXPECT_EQ(h.state.last("/v/d.log"), utc("2026-05-10T00:01:00Z"));
}

TEST(rotated_scheduler, a_clock_step_back_restarts_an_interval_from_the_new_now) {
  tz_scope tz("UTC");
  harness h("[[file]]\npath = \"/v/i.log\"\nkeep = 5\nevery = \"10m\"\n");
  wall_time start = utc("2026-05-10T12:00:00Z");
  std::chrono::system_clock::duration step{0};
  h.options.wall = [&] { return weft::loop::current()->wall_now() + step; };
  h.options.max_nap = 1min;
  h.during = [&](rotated::scheduler&) {
    weft::sleep_for(15min);  // rotated at 12:10
    step = -1h;              // 12:15 becomes 11:15
  };
  h.run(start, 40min);
  // Without the restart the next rotation would wait for 12:20 on the wall
  // clock (an hour and five minutes of real time). With it: the step is
  // seen at the next nap's end (11:15 wall), and 10 minutes later it rotates.
  ASSERT_EQ(h.rotations.size(), 3u);
  EXPECT_EQ(rotated::format_utc(h.rotations[0].at), "2026-05-10T12:10:00Z");
  EXPECT_EQ(rotated::format_utc(h.rotations[1].at), "2026-05-10T11:25:00Z");
  EXPECT_EQ(rotated::format_utc(h.rotations[2].at), "2026-05-10T11:35:00Z");
}

TEST(rotated_scheduler, size_rotates_only_when_strictly_bigger_than_the_threshold) {
  rotated_test::temp_dir dir;
  std::string path = dir / "s.log";
  harness h("[[file]]\npath = \"" + path + "\"\nkeep = 2\nmax_size = \"100B\"\ncheck_every = \"10s\"\n");
  auto resize = [&](off_t size) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, size), 0);
    ::close(fd);
  };
  resize(0);
  auto real_rotate = h.hooks.rotate;
  h.hooks.rotate = [&](const rotated::file_policy& f, const std::string& reason, wall_time at, unsigned) {
    resize(0);  // what a rotation leaves at the path: a fresh, empty file
    return real_rotate(f, reason, at, 0);
  };
  wall_time start = utc("2026-01-01T00:00:00Z");
  // Checks at 0, 10, 20, ... s; the file changes between them.
  h.during = [&](rotated::scheduler&) {
    weft::sleep_for(5s);
    resize(99);  // below: seen at 10 s
    weft::sleep_for(10s);
    resize(100);  // equal: seen at 20 s
    weft::sleep_for(10s);
    resize(101);           // above: seen at 30 s, rotated (and emptied)
    weft::sleep_for(10s);  // empty at 40 s
    weft::sleep_for(10s);
    resize(5000);  // big at 45 s ...
    weft::sleep_for(3s);
    resize(50);  // ... truncated by its writer at 48 s: seen small at 50 s
    weft::sleep_for(10s);
    ::unlink(path.c_str());  // missing at 60 s: nothing to do
    weft::sleep_for(10s);
    resize(100000);  // seen at 70 s
  };
  h.run(start, 75s);
  ASSERT_EQ(h.rotations.size(), 2u);
  EXPECT_EQ(h.rotations[0].at, start + 30s);
  EXPECT_EQ(h.rotations[0].reason, "size: 101 bytes > 100");
  EXPECT_EQ(h.rotations[1].at, start + 70s);
  EXPECT_EQ(h.rotations[1].reason, "size: 100000 bytes > 100");
}

TEST(rotated_scheduler, with_watch_a_write_wakes_the_size_check_early_at_most_once_a_second) {
  rotated_test::temp_dir dir;
  std::string path = dir / "w.log";
  rotated_test::write_text(path, "");
  harness h("[[file]]\npath = \"" + path + "\"\nkeep = 2\nmax_size = \"100B\"\ncheck_every = \"1h\"\nwatch = true\n");
  std::vector<weft::loop::duration> checks;  // since the first, at the start
  std::optional<weft::loop::time_point> t0;
  h.hooks.size_of = [&](const rotated::file_policy& f) -> std::optional<std::uint64_t> {
    if (!t0) t0 = weft::loop::current()->now();
    checks.push_back(weft::loop::current()->now() - *t0);
    struct stat st {};
    if (::stat(f.path.c_str(), &st) != 0) return std::nullopt;
    return static_cast<std::uint64_t>(st.st_size);
  };
  auto real_rotate = h.hooks.rotate;
  h.hooks.rotate = [&](const rotated::file_policy& f, const std::string& reason, wall_time at, unsigned) {
    // As a real rotation: the file moves away and a new one takes its path.
    EXPECT_EQ(::rename(f.path.c_str(), (f.path + ".1").c_str()), 0);
    rotated_test::write_text(f.path, "");
    return real_rotate(f, reason, at, 0);
  };
  auto append = [&](std::size_t n) {
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND);
    std::string data(n, 'x');
    EXPECT_EQ(::write(fd, data.data(), n), static_cast<ssize_t>(n));
    ::close(fd);
  };
  h.during = [&](rotated::scheduler&) {
    weft::sleep_for(10s);
    append(50);  // small: checked at 10 s, not rotated
    weft::sleep_for(100ms);
    append(30);  // at 10.1 s: checked at 11 s (one check a second)
    weft::sleep_for(100ms);
    append(30);  // at 10.2 s: the same check sees 110 bytes and rotates
    weft::sleep_for(9800ms);
    append(500);  // at 20 s, to the new file: the watch followed it
    weft::sleep_for(10s);
  };
  h.run(utc("2026-01-01T00:00:00Z"), 40s);
  ASSERT_EQ(h.rotations.size(), 2u);
  EXPECT_EQ(h.rotations[0].at, utc("2026-01-01T00:00:11Z"));
  EXPECT_EQ(h.rotations[0].reason, "size: 110 bytes > 100");
  EXPECT_EQ(h.rotations[1].at, utc("2026-01-01T00:00:20Z"));
  EXPECT_EQ(h.rotations[1].reason, "size: 500 bytes > 100");
  // At the start; 10 s; 11 s (twice: before and after taking the lock);
  // 12 s (the new file, watched from then on); 20 s (twice); 21 s; and not
  // again: the hourly check is not due.
  std::vector<weft::loop::duration> expected{0s, 10s, 11s, 11s, 12s, 20s, 20s, 21s};
  EXPECT_EQ(checks, expected);
}

TEST(rotated_scheduler, a_rotation_in_progress_finishes_when_the_daemon_stops) {
  harness h("[[file]]\npath = \"/v/a.log\"\nkeep = 3\nevery = \"10s\"\n");
  bool finished = false;
  h.hooks.rotate = [&](const rotated::file_policy&, const std::string&, wall_time, unsigned) {
    weft::sleep_for(5s);  // a slow rotation (on the executor, really)
    finished = true;
    return rotated::rotation_result{rotated::outcome::rotated, {}};
  };
  wall_time start = utc("2026-01-01T00:00:00Z");
  weft::loop lp({.virtual_time = true, .virtual_wall_start = start});
  weft::loop::duration stopped_after{};
  lp.run_until_complete([&] {
    rotated::scheduler s(h.cfg, h.state, h.hooks, h.options);
    s.start();
    weft::sleep_for(12s);  // the rotation began at 10 s
    auto t0 = lp.now();
    s.stop();
    stopped_after = lp.now() - t0;
  });
  EXPECT_TRUE(finished);
  EXPECT_EQ(stopped_after, 3s);
  EXPECT_EQ(h.state.last("/v/a.log"), start + 10s);
}

TEST(rotated_scheduler, run_once_rotates_what_is_due_and_force_rotates_everything) {
  tz_scope tz("UTC");
  rotated_test::temp_dir dir;
  std::string big = dir / "big.log";
  rotated_test::write_text(big, std::string(2000, 'x'));
  harness h(R"([[file]]
path = "/v/due.log"
keep = 3
every = "1h"
[[file]]
path = "/v/not-due.log"
keep = 3
daily = "00:00"
[[file]]
path = "/v/new.log"
keep = 3
every = "1m"
[[file]]
path = ")" + big +
            R"("
keep = 3
max_size = "1KiB"
)");
  wall_time start = utc("2026-05-10T15:00:00Z");
  h.state.set("/v/due.log", start - 61min);
  h.state.set("/v/not-due.log", start - 10h);  // rotated at 05:00; next midnight is still ahead
  weft::loop lp({.virtual_time = true, .virtual_wall_start = start});
  rotated::run_summary once, forced;
  lp.run_until_complete([&] {
    rotated::scheduler s(h.cfg, h.state, h.hooks, h.options);
    once = s.run_once(false);
    forced = s.run_once(true);
  });
  EXPECT_EQ(once.rotated, 2u);
  EXPECT_EQ(forced.rotated, 4u);
  ASSERT_EQ(h.rotations.size(), 6u);
  std::set<std::string> first{h.rotations[0].path, h.rotations[1].path};
  EXPECT_EQ(first, (std::set<std::string>{"/v/due.log", big}));
  EXPECT_EQ(h.state.last("/v/new.log"), start);  // recorded as its baseline, then forced
  for (std::size_t i = 2; i < 6; ++i) EXPECT_EQ(h.rotations[i].reason, "forced");
}

TEST(rotated_scheduler, a_dry_run_changes_no_state) {
  harness h("[[file]]\npath = \"/v/a.log\"\nkeep = 3\nevery = \"1h\"\n");
  h.options.dry_run = true;
  h.state.set("/v/a.log", utc("2026-01-01T00:00:00Z"));
  weft::loop lp({.virtual_time = true, .virtual_wall_start = utc("2026-01-02T00:00:00Z")});
  lp.run_until_complete([&] {
    rotated::scheduler s(h.cfg, h.state, h.hooks, h.options);
    EXPECT_EQ(s.run_once(false).rotated, 1u);
  });
  EXPECT_EQ(h.state.last("/v/a.log"), utc("2026-01-01T00:00:00Z"));
}

TEST(rotated_scheduler, the_state_is_saved_after_each_rotation_and_journals_finish_after_it) {
  harness h("[[file]]\npath = \"/v/a.log\"\nkeep = 3\nevery = \"10s\"\n");
  std::vector<std::string> events;
  h.hooks.rotate = [&](const rotated::file_policy&, const std::string&, wall_time at, unsigned) {
    return rotated::rotation_result{rotated::outcome::rotated, "j@" + rotated::format_utc(at).substr(17, 2)};
  };
  h.hooks.save = [&](const rotated::state_table& s) {
    weft::sleep_for(1s);  // saving takes time (on the executor, really)
    events.push_back("save " + rotated::format_utc(*s.last("/v/a.log")).substr(17, 2));
  };
  h.hooks.finish = [&](const std::string& j) { events.push_back("finish " + j); };
  h.run(utc("2026-01-01T00:00:00Z"), 25s);
  EXPECT_EQ(events, (std::vector<std::string>{"save 00", "save 10", "finish j@10", "save 20", "finish j@20"}));
}

// A full state directory: saves fail while rotations go on. The journals
// of those rotations must be finished by the first save that succeeds (the
// state it writes records them), not left pending for the next start.
TEST(rotated_scheduler, journals_whose_save_failed_finish_after_the_next_save_that_succeeds) {
  harness h("[[file]]\npath = \"/v/a.log\"\nkeep = 3\nevery = \"10s\"\n");
  std::vector<std::string> events;
  h.hooks.rotate = [&](const rotated::file_policy&, const std::string&, wall_time at, unsigned) {
    return rotated::rotation_result{rotated::outcome::rotated, "j@" + rotated::format_utc(at).substr(17, 2)};
  };
  int saves = 0;
  h.hooks.save = [&](const rotated::state_table& s) {
    if (++saves <= 3) throw std::system_error(ENOSPC, std::generic_category(), "save state");
    events.push_back("save " + rotated::format_utc(*s.last("/v/a.log")).substr(17, 2));
  };
  h.hooks.finish = [&](const std::string& j) { events.push_back("finish " + j); };
  h.run(utc("2026-01-01T00:00:00Z"), 35s);
  // Saves 1-3 fail (start, 10 s, 20 s); the one at 30 s records all three.
  EXPECT_EQ(events, (std::vector<std::string>{"save 30", "finish j@10", "finish j@20", "finish j@30"}));
}

TEST(rotated_scheduler, the_daemon_prepares_each_file_at_start_and_after_each_rotation_and_undoes_it) {
  harness h(
      "[[file]]\npath = \"/v/a.log\"\nkeep = 3\nevery = \"10s\"\nmax_size = \"1MiB\"\ncheck_every = \"4s\"\n"
      "[[file]]\npath = \"/v/b.log\"\nkeep = 3\nevery = \"100s\"\n");
  std::vector<std::string> events;
  h.hooks.rotate = [&](const rotated::file_policy& f, const std::string&, wall_time, unsigned) {
    events.push_back("rotate " + f.path);
    return rotated::rotation_result{rotated::outcome::rotated, {}};
  };
  h.hooks.size_of = [](const rotated::file_policy&) { return std::optional<std::uint64_t>(0); };
  h.hooks.prepare = [&](const rotated::file_policy& f, const rotated::directory_handle&) {
    events.push_back("prepare " + f.path);
  };
  h.hooks.unprepare = [&](const std::vector<rotated::file_policy>& files) {
    for (const auto& f : files) events.push_back("unprepare " + f.path);
  };
  h.run(utc("2026-01-01T00:00:00Z"), 25s);
  // Once per file at start (a.log has two triggers), again after each rotation.
  EXPECT_EQ(events, (std::vector<std::string>{"prepare /v/a.log", "prepare /v/b.log", "rotate /v/a.log",
                                              "prepare /v/a.log", "rotate /v/a.log", "prepare /v/a.log",
                                              "unprepare /v/a.log", "unprepare /v/b.log"}));
}

TEST(rotated_scheduler, a_reload_undoes_prepare_only_for_the_files_it_drops_and_run_once_never_prepares) {
  harness h(
      "[[file]]\npath = \"/v/a.log\"\nkeep = 3\nevery = \"10s\"\n"
      "[[file]]\npath = \"/v/b.log\"\nkeep = 3\nevery = \"10s\"\n");
  std::vector<std::string> events;
  h.hooks.prepare = [&](const rotated::file_policy& f, const rotated::directory_handle&) {
    events.push_back("prepare " + f.path);
  };
  h.hooks.unprepare = [&](const std::vector<rotated::file_policy>& files) {
    for (const auto& f : files) events.push_back("unprepare " + f.path);
  };
  h.during = [&](rotated::scheduler& s) {
    weft::sleep_for(1s);
    events.push_back("reload");
    s.reload(config_from("[[file]]\npath = \"/v/b.log\"\nkeep = 3\nevery = \"10s\"\n"));
  };
  h.run(utc("2026-01-01T00:00:00Z"), 5s);
  EXPECT_EQ(events, (std::vector<std::string>{"prepare /v/a.log", "prepare /v/b.log", "reload", "unprepare /v/a.log",
                                              "prepare /v/b.log", "unprepare /v/b.log"}));
  events.clear();
  weft::loop lp({.virtual_time = true, .virtual_wall_start = utc("2026-01-01T00:00:00Z")});
  lp.run_until_complete([&] {
    rotated::scheduler s(h.cfg, h.state, h.hooks, h.options);
    EXPECT_EQ(s.run_once(true).rotated, 2u);
  });
  EXPECT_TRUE(events.empty());
}

}  // namespace
