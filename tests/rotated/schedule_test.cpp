// Local time under TZ rules, daily firings across DST, and the --schedule
// listing over whole years: each local date exactly once.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "civil_time.hpp"
#include "schedule.hpp"
#include "support.hpp"

namespace {

using namespace std::chrono;
using namespace std::chrono_literals;
using rotated_test::config_from;
using rotated_test::tz_scope;
using rotated_test::utc;

std::string local(rotated::wall_time t) { return rotated::format_local(t); }

// Copies tzdata's `zone` to `path` through a rename, as a package upgrade
// or timedatectl replaces a zone file.
void install_zone(const std::string& path, const std::string& zone) {
  auto data = rotated_test::read_text("/usr/share/zoneinfo/" + zone);
  ASSERT_TRUE(data) << "tzdata lacks " << zone;
  rotated_test::write_text(path + ".new", *data);
  ASSERT_EQ(::rename((path + ".new").c_str(), path.c_str()), 0);
}

const std::time_t noon_2026_01_01 = 1767268800;  // 2026-01-01T12:00:00Z

// glibc reads a zone once: after the file that TZ names is replaced,
// neither localtime_r nor tzset() looks at it again. refresh_time_zone()
// (what the daemon does on SIGHUP) does.
TEST(rotated_civil_time, refresh_time_zone_reads_a_replaced_zone_file_that_tz_names) {
  rotated_test::temp_dir dir;
  const std::string zone = dir / "localtime";
  install_zone(zone, "America/New_York");
  tz_scope tz(zone.c_str());
  EXPECT_EQ(rotated::local_of(noon_2026_01_01).utc_offset, -5h);
  install_zone(zone, "Asia/Tokyo");
  ::tzset();
  EXPECT_EQ(rotated::local_of(noon_2026_01_01).utc_offset, -5h) << "glibc now re-reads a zone on tzset(): "
                                                                   "docs/rotated.md (SIGNALS) needs a word";
  rotated::refresh_time_zone();
  EXPECT_EQ(rotated::local_of(noon_2026_01_01).utc_offset, 9h);
  EXPECT_EQ(local(utc("2026-01-01T00:00:00Z")), "2026-01-01T09:00:00+09:00");
}

TEST(rotated_civil_time, refresh_time_zone_reads_a_replaced_zone_under_tzdir) {
  rotated_test::temp_dir dir;
  ASSERT_EQ(::mkdir((dir / "Test").c_str(), 0755), 0);
  install_zone(dir / "Test/Zone", "Europe/London");
  rotated_test::env_scope tzdir("TZDIR", dir.path().c_str());
  tz_scope tz("Test/Zone");
  EXPECT_EQ(rotated::local_of(noon_2026_01_01).utc_offset, 0h);
  EXPECT_EQ(rotated::local_of(noon_2026_01_01 + 181 * 86400).utc_offset, 1h);  // 2026-07-01, BST
  install_zone(dir / "Test/Zone", "America/Havana");
  rotated::refresh_time_zone();
  EXPECT_EQ(rotated::local_of(noon_2026_01_01).utc_offset, -5h);
}

// wall_time holds nanoseconds in 64 bits: a year beyond what it can count
// is refused, not wrapped (found by tests/fuzz/config_parser_fuzz).
TEST(rotated_civil_time, iso8601_refuses_instants_beyond_what_wall_time_holds) {
  tz_scope tz("America/New_York");
  EXPECT_FALSE(rotated::parse_iso8601("6026-03-29"));
  EXPECT_FALSE(rotated::parse_iso8601("0226-03-08T02:30:00-05:00"));
  EXPECT_FALSE(rotated::parse_iso8601("2262-04-12T00:00:00Z"));
  EXPECT_FALSE(rotated::parse_iso8601("1677-09-01"));
  EXPECT_EQ(rotated::format_utc(utc("2262-01-01T00:00:00Z")), "2262-01-01T00:00:00Z");
  EXPECT_EQ(rotated::format_utc(utc("1678-01-01T00:00:00Z")), "1678-01-01T00:00:00Z");
}

TEST(rotated_civil_time, iso8601_with_offsets_and_local_readings) {
  tz_scope tz("America/New_York");
  EXPECT_EQ(rotated::format_utc(utc("2026-03-08T05:00:00Z")), "2026-03-08T05:00:00Z");
  EXPECT_EQ(rotated::format_utc(utc("2026-03-08T00:00:00-05:00")), "2026-03-08T05:00:00Z");
  EXPECT_EQ(rotated::format_utc(utc("2026-03-08T01:00:00+0100")), "2026-03-08T00:00:00Z");
  EXPECT_EQ(rotated::format_utc(utc("2026-07-01")), "2026-07-01T04:00:00Z");  // local midnight, EDT
  EXPECT_EQ(rotated::format_utc(utc("2026-01-01 12:30")), "2026-01-01T17:30:00Z");
  EXPECT_EQ(local(utc("2026-03-08T07:00:00Z")), "2026-03-08T03:00:00-04:00");
  for (const char* bad :
       {"2026-13-01", "2026-02-30", "26-01-01", "2026-01-01T25:00", "2026-01-01Tx", "2026-01-01T00:00+5"})
    EXPECT_EQ(rotated::parse_iso8601(bad), std::nullopt) << bad;
}

TEST(rotated_civil_time, a_local_reading_in_a_gap_resolves_to_the_end_of_the_gap) {
  tz_scope tz("America/New_York");
  // 2026-03-08 02:00 EST jumps to 03:00 EDT: 02:30 does not exist.
  std::int64_t reading = rotated::local_seconds(year{2026} / 3 / 8, 9000s);
  EXPECT_EQ(rotated::format_utc(rotated::wall_time(seconds(rotated::first_instant_at_or_after(reading)))),
            "2026-03-08T07:00:00Z");
}

TEST(rotated_civil_time, a_repeated_local_reading_resolves_to_its_first_occurrence) {
  tz_scope tz("America/New_York");
  // 2026-11-01 02:00 EDT falls back to 01:00 EST: 01:30 happens twice.
  std::int64_t reading = rotated::local_seconds(year{2026} / 11 / 1, 5400s);
  EXPECT_EQ(rotated::format_utc(rotated::wall_time(seconds(rotated::first_instant_at_or_after(reading)))),
            "2026-11-01T05:30:00Z");
}

TEST(rotated_schedule, new_york_spring_forward_day_lasts_23_hours_between_midnights) {
  tz_scope tz("America/New_York");
  auto f = config_from("[[file]]\npath = \"/l\"\nkeep = 1\ndaily = \"00:00\"\n").files[0];
  auto a = *rotated::calendar_due(f, utc("2026-03-07T12:00:00Z"));
  auto b = *rotated::calendar_due(f, a);
  auto c = *rotated::calendar_due(f, b);
  EXPECT_EQ(local(a), "2026-03-08T00:00:00-05:00");
  EXPECT_EQ(local(b), "2026-03-09T00:00:00-04:00");
  EXPECT_EQ(local(c), "2026-03-10T00:00:00-04:00");
  EXPECT_EQ(b - a, 23h);
  EXPECT_EQ(c - b, 24h);
}

TEST(rotated_schedule, new_york_fall_back_day_lasts_25_hours_between_midnights) {
  tz_scope tz("America/New_York");
  auto f = config_from("[[file]]\npath = \"/l\"\nkeep = 1\ndaily = \"00:00\"\n").files[0];
  auto a = *rotated::calendar_due(f, utc("2026-10-31T12:00:00Z"));
  auto b = *rotated::calendar_due(f, a);
  EXPECT_EQ(local(a), "2026-11-01T00:00:00-04:00");
  EXPECT_EQ(local(b), "2026-11-02T00:00:00-05:00");
  EXPECT_EQ(b - a, 25h);
}

TEST(rotated_schedule, havana_midnight_that_does_not_exist_rotates_at_the_first_instant_of_the_new_date) {
  tz_scope tz("America/Havana");
  // 2026-03-07 23:59:59 CST is followed by 2026-03-08 01:00:00 CDT.
  auto f = config_from("[[file]]\npath = \"/l\"\nkeep = 1\ndaily = \"00:00\"\n").files[0];
  auto a = *rotated::calendar_due(f, utc("2026-03-07T12:00:00Z"));
  auto b = *rotated::calendar_due(f, a);
  EXPECT_EQ(local(a), "2026-03-08T01:00:00-04:00");
  EXPECT_EQ(rotated::format_utc(a), "2026-03-08T05:00:00Z");
  EXPECT_EQ(local(b), "2026-03-09T00:00:00-04:00");
  // And 2026-11-01 has two midnights (00:59:59 CDT falls back to 00:00
  // CST): the date rotates once, at the first.
  auto c = *rotated::calendar_due(f, utc("2026-10-31T12:00:00Z"));
  auto d = *rotated::calendar_due(f, c);
  EXPECT_EQ(local(c), "2026-11-01T00:00:00-04:00");
  EXPECT_EQ(local(d), "2026-11-02T00:00:00-05:00");
}

// Successive firings of a calendar trigger from `from`, as local times.
std::vector<std::string> firings(const std::string& line, const char* from, int count) {
  auto f = config_from("[[file]]\npath = \"/l\"\nkeep = 1\n" + line + "\n").files[0];
  std::vector<std::string> out;
  rotated::wall_time t = utc(from);
  for (int i = 0; i < count; ++i) {
    t = *rotated::calendar_due(f, t);
    out.push_back(local(t));
  }
  return out;
}

TEST(rotated_schedule, weekly_fires_on_its_weekday_at_local_time_across_both_new_york_changes) {
  tz_scope tz("America/New_York");
  // 2026-03-08 and 2026-11-01 are Sundays: the changes themselves.
  EXPECT_EQ(firings("weekly = \"sunday 02:30\"", "2026-03-01T12:00:00-05:00", 3),
            (std::vector<std::string>{"2026-03-08T03:00:00-04:00", "2026-03-15T02:30:00-04:00",
                                      "2026-03-22T02:30:00-04:00"}));
  EXPECT_EQ(firings("weekly = \"sun 01:30\"", "2026-10-25T12:00:00-04:00", 2),
            (std::vector<std::string>{"2026-11-01T01:30:00-04:00", "2026-11-08T01:30:00-05:00"}));
  auto f = config_from("[[file]]\npath = \"/l\"\nkeep = 1\nweekly = \"monday\"\n").files[0];
  auto a = *rotated::calendar_due(f, utc("2026-03-01T12:00:00-05:00"));
  auto b = *rotated::calendar_due(f, a);
  EXPECT_EQ(local(a), "2026-03-02T00:00:00-05:00");
  EXPECT_EQ(b - a, 7 * 24h - 1h);  // the week with the spring-forward lasts 167 hours
}

TEST(rotated_schedule, monthly_fires_on_its_day_or_the_last_day_of_a_shorter_month) {
  tz_scope tz("America/New_York");
  EXPECT_EQ(
      firings("monthly = \"31 04:00\"", "2026-01-01", 5),
      (std::vector<std::string>{"2026-01-31T04:00:00-05:00", "2026-02-28T04:00:00-05:00", "2026-03-31T04:00:00-04:00",
                                "2026-04-30T04:00:00-04:00", "2026-05-31T04:00:00-04:00"}));
  EXPECT_EQ(firings("monthly = true", "2026-10-15", 2),
            (std::vector<std::string>{"2026-11-01T00:00:00-04:00", "2026-12-01T00:00:00-05:00"}));
  // Exactly at a firing: the next month's.
  EXPECT_EQ(firings("monthly = true", "2026-11-01T00:00:00-04:00", 1),
            (std::vector<std::string>{"2026-12-01T00:00:00-05:00"}));
}

TEST(rotated_schedule, yearly_fires_on_its_date_and_february_29th_in_common_years_on_the_28th) {
  tz_scope tz("Europe/London");
  EXPECT_EQ(firings("yearly = \"02-29 12:00\"", "2027-01-01", 3),
            (std::vector<std::string>{"2027-02-28T12:00:00+00:00", "2028-02-29T12:00:00+00:00",
                                      "2029-02-28T12:00:00+00:00"}));
  EXPECT_EQ(firings("yearly = \"03-29 01:30\"", "2026-01-01", 1),  // in London's 2026 gap: its end
            (std::vector<std::string>{"2026-03-29T02:00:00+01:00"}));
  EXPECT_EQ(firings("yearly = true", "2026-06-01", 1), (std::vector<std::string>{"2027-01-01T00:00:00+00:00"}));
}

// Hourly rotates once per real hour at the local minute: the fall-back's
// repeated 01:xx twice (two hours of writes), the skipped 02:xx never.
TEST(rotated_schedule, hourly_fires_once_per_real_hour_at_its_local_minute_across_dst) {
  tz_scope tz("America/New_York");
  EXPECT_EQ(firings("hourly = \"15\"", "2026-03-08T00:20:00-05:00", 3),
            (std::vector<std::string>{"2026-03-08T01:15:00-05:00", "2026-03-08T03:15:00-04:00",
                                      "2026-03-08T04:15:00-04:00"}));
  EXPECT_EQ(firings("hourly = true", "2026-11-01T00:30:00-04:00", 3),
            (std::vector<std::string>{"2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00",
                                      "2026-11-01T02:00:00-05:00"}));
}

// Lord Howe moves its clocks by 30 minutes: the minute of the hour still
// holds at every firing.
TEST(rotated_schedule, hourly_keeps_its_minute_where_dst_shifts_by_half_an_hour) {
  tz_scope tz("Australia/Lord_Howe");
  // 2026-04-05 02:00 LHDT (+11) falls back to 01:30 LHST (+10:30).
  auto got = firings("hourly = \"45\"", "2026-04-05T00:00:00+11:00", 4);
  EXPECT_EQ(got, (std::vector<std::string>{"2026-04-05T00:45:00+11:00", "2026-04-05T01:45:00+11:00",
                                           "2026-04-05T01:45:00+10:30", "2026-04-05T02:45:00+10:30"}));
}

// Runs --schedule's listing over a local year; checks each date once.
void expect_each_local_date_once(const char* zone, const char* time_of_day, int year_number,
                                 std::map<std::string, std::string> expected_lines) {
  tz_scope tz(zone);
  auto cfg =
      config_from(std::string("[[file]]\npath = \"/var/log/app.log\"\nkeep = 3\ndaily = \"") + time_of_day + "\"\n");
  std::string from = std::to_string(year_number) + "-01-01";
  std::string until = std::to_string(year_number + 1) + "-01-01";
  std::vector<std::string> lines;
  std::set<std::string> dates;
  rotated::for_each_scheduled(cfg, utc(from.c_str()), utc(until.c_str()), [&](const rotated::scheduled_rotation& r) {
    lines.push_back(rotated::schedule_line(r));
    std::string date = rotated::format_local(r.at).substr(0, 10);
    EXPECT_TRUE(dates.insert(date).second) << "date twice: " << lines.back();
    return true;
  });
  int days_in_year = year{year_number}.is_leap() ? 366 : 365;
  EXPECT_EQ(lines.size(), static_cast<std::size_t>(days_in_year));
  EXPECT_EQ(dates.size(), static_cast<std::size_t>(days_in_year));
  EXPECT_EQ(*dates.begin(), from);
  EXPECT_EQ(*dates.rbegin(), std::to_string(year_number) + "-12-31");
  for (const auto& [date, line] : expected_lines) {
    auto it = std::find_if(lines.begin(), lines.end(),
                           [&](const std::string& l) { return l.find(" " + date + "T") != std::string::npos; });
    ASSERT_NE(it, lines.end()) << date;
    EXPECT_EQ(*it, line);
  }
}

TEST(rotated_schedule, a_year_of_new_york_midnights_has_each_date_exactly_once) {
  expect_each_local_date_once("America/New_York", "00:00", 2026,
                              {{"2026-03-08", "/var/log/app.log 2026-03-08T05:00:00Z 2026-03-08T00:00:00-05:00"},
                               {"2026-03-09", "/var/log/app.log 2026-03-09T04:00:00Z 2026-03-09T00:00:00-04:00"},
                               {"2026-11-01", "/var/log/app.log 2026-11-01T04:00:00Z 2026-11-01T00:00:00-04:00"},
                               {"2026-11-02", "/var/log/app.log 2026-11-02T05:00:00Z 2026-11-02T00:00:00-05:00"}});
}

TEST(rotated_schedule, a_year_of_london_midnights_has_each_date_exactly_once) {
  expect_each_local_date_once("Europe/London", "00:00", 2026,
                              {{"2026-03-29", "/var/log/app.log 2026-03-29T00:00:00Z 2026-03-29T00:00:00+00:00"},
                               {"2026-03-30", "/var/log/app.log 2026-03-29T23:00:00Z 2026-03-30T00:00:00+01:00"},
                               {"2026-10-25", "/var/log/app.log 2026-10-24T23:00:00Z 2026-10-25T00:00:00+01:00"},
                               {"2026-10-26", "/var/log/app.log 2026-10-26T00:00:00Z 2026-10-26T00:00:00+00:00"}});
}

TEST(rotated_schedule, a_year_at_a_time_inside_the_new_york_transitions_has_each_date_exactly_once) {
  // 02:30 does not exist on 2026-03-08; 01:30 happens twice on 2026-11-01.
  expect_each_local_date_once("America/New_York", "02:30", 2026,
                              {{"2026-03-08", "/var/log/app.log 2026-03-08T07:00:00Z 2026-03-08T03:00:00-04:00"}});
  expect_each_local_date_once("America/New_York", "01:30", 2026,
                              {{"2026-11-01", "/var/log/app.log 2026-11-01T05:30:00Z 2026-11-01T01:30:00-04:00"}});
  expect_each_local_date_once("Europe/London", "01:30", 2026,
                              {{"2026-03-29", "/var/log/app.log 2026-03-29T01:00:00Z 2026-03-29T02:00:00+01:00"},
                               {"2026-10-25", "/var/log/app.log 2026-10-25T00:30:00Z 2026-10-25T01:30:00+01:00"}});
}

TEST(rotated_schedule, a_year_of_havana_midnights_has_each_date_exactly_once) {
  expect_each_local_date_once("America/Havana", "00:00", 2026,
                              {{"2026-03-08", "/var/log/app.log 2026-03-08T05:00:00Z 2026-03-08T01:00:00-04:00"},
                               {"2026-11-01", "/var/log/app.log 2026-11-01T04:00:00Z 2026-11-01T00:00:00-04:00"}});
}

TEST(rotated_schedule, interval_and_daily_triggers_share_the_last_rotation_and_merge_in_time_order) {
  tz_scope tz("UTC");
  auto cfg = config_from(R"([[file]]
path = "/a"
keep = 2
every = "10h"
daily = "00:00"
[[file]]
path = "/b"
keep = 2
every = "6h"
)");
  std::vector<std::string> lines;
  rotated::for_each_scheduled(
      cfg, utc("2026-01-01T00:00:00Z"), utc("2026-01-02T12:00:00Z"), [&](const rotated::scheduled_rotation& r) {
        lines.push_back(r.file->path + " " + rotated::format_utc(r.at) + " " + rotated::to_string(r.trigger));
        return true;
      });
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "/a 2026-01-01T00:00:00Z calendar",  // a firing exactly at FROM counts
                       "/b 2026-01-01T06:00:00Z interval",
                       "/a 2026-01-01T10:00:00Z interval",
                       "/b 2026-01-01T12:00:00Z interval",
                       "/b 2026-01-01T18:00:00Z interval",
                       "/a 2026-01-01T20:00:00Z interval",
                       "/a 2026-01-02T00:00:00Z calendar",
                       "/b 2026-01-02T00:00:00Z interval",
                       "/b 2026-01-02T06:00:00Z interval",
                       "/a 2026-01-02T10:00:00Z interval",
                   }));
}

}  // namespace
