// The configuration: strict durations and sizes, every error with its line.
#include <gtest/gtest.h>

#include "config.hpp"
#include "support.hpp"

namespace {

using namespace std::chrono_literals;
using rotated::parse_config;
using rotated_test::config_from;

std::vector<std::string> errors_of(const std::string& text) { return parse_config(text, "c.toml").errors; }

TEST(rotated_config, durations_parse_strictly_with_units_in_decreasing_order) {
  EXPECT_EQ(rotated::parse_duration("30s"), 30s);
  EXPECT_EQ(rotated::parse_duration("100ms"), 100ms);
  EXPECT_EQ(rotated::parse_duration("5m"), 5min);
  EXPECT_EQ(rotated::parse_duration("1h30m"), 90min);
  EXPECT_EQ(rotated::parse_duration("1d"), 24h);
  EXPECT_EQ(rotated::parse_duration("2d12h"), 60h);
  EXPECT_EQ(rotated::parse_duration("1s500ms"), 1500ms);
  for (const char* bad : {"", "30", "s", "30 s", " 30s", "30s ", "1.5s", "-1s", "30S", "30sec", "1m1h", "1s1s", "30s30",
                          "1y", "99999999999999999999s", "10000000d"})
    EXPECT_EQ(rotated::parse_duration(bad), std::nullopt) << bad;
}

TEST(rotated_config, sizes_parse_strictly_in_decimal_and_binary_units) {
  EXPECT_EQ(rotated::parse_size("100B"), 100u);
  EXPECT_EQ(rotated::parse_size("1KB"), 1000u);
  EXPECT_EQ(rotated::parse_size("1KiB"), 1024u);
  EXPECT_EQ(rotated::parse_size("1MiB"), 1048576u);
  EXPECT_EQ(rotated::parse_size("10MB"), 10000000u);
  EXPECT_EQ(rotated::parse_size("2GiB"), 2147483648u);
  EXPECT_EQ(rotated::parse_size("1TiB"), 1099511627776u);
  for (const char* bad : {"", "100", "1K", "1k", "1kb", "1 MiB", "1.5MiB", "MiB", "-1B", "1MiBs", "99999999999TiB"})
    EXPECT_EQ(rotated::parse_size(bad), std::nullopt) << bad;
}

TEST(rotated_config, times_of_day_and_signals_parse_strictly) {
  EXPECT_EQ(rotated::parse_time_of_day("00:00"), 0s);
  EXPECT_EQ(rotated::parse_time_of_day("02:30"), 9000s);
  EXPECT_EQ(rotated::parse_time_of_day("23:59:59"), 86399s);
  for (const char* bad : {"24:00", "2:30", "02:60", "02:30:60", "0230", "02:30pm", ""})
    EXPECT_EQ(rotated::parse_time_of_day(bad), std::nullopt) << bad;
  EXPECT_EQ(rotated::parse_signal("HUP"), SIGHUP);
  EXPECT_EQ(rotated::parse_signal("SIGUSR1"), SIGUSR1);
  EXPECT_EQ(rotated::parse_signal("KILL"), std::nullopt);
}

TEST(rotated_config, a_full_file_table_gives_every_field) {
  auto r = parse_config(R"(state_dir = "/var/lib/rotated-test"
[[file]]
path = "/var/log//app/./app.log"
keep = 7
every = "1h"
daily = "02:30"
max_size = "10MiB"
check_every = "30s"
compress = "gzip"
notify = { pidfile = "/run/app.pid", signal = "USR1" }
create = { mode = "0640", owner = "0", group = "0" }
missing_ok = true
not_if_empty = true

[[file]]
path = "/var/log/other.log"
keep = 1
daily = true
max_size = 4096
notify = { command = ["/usr/bin/systemctl", "reload", "app"] }
copytruncate = true
)",
                        "c.toml");
  ASSERT_TRUE(r.errors.empty()) << r.errors[0];
  const auto& cfg = *r.value;
  EXPECT_EQ(cfg.state_dir, "/var/lib/rotated-test");
  ASSERT_EQ(cfg.files.size(), 2u);
  const auto& a = cfg.files[0];
  EXPECT_EQ(a.path, "/var/log/app/app.log");
  EXPECT_EQ(a.dir(), "/var/log/app");
  EXPECT_EQ(a.name(), "app.log");
  EXPECT_EQ(a.line, 2);
  EXPECT_EQ(a.keep, 7u);
  EXPECT_EQ(a.every, std::chrono::nanoseconds(1h));
  ASSERT_TRUE(a.calendar);
  EXPECT_EQ(a.calendar->period, rotated::calendar_period::daily);
  EXPECT_EQ(a.calendar->at, std::chrono::seconds(9000));
  EXPECT_EQ(a.max_size, 10u * 1024 * 1024);
  EXPECT_EQ(a.check_every, std::chrono::nanoseconds(30s));
  EXPECT_TRUE(a.compress);
  ASSERT_TRUE(a.notify);
  EXPECT_EQ(a.notify->pidfile, "/run/app.pid");
  EXPECT_EQ(a.notify->signal, SIGUSR1);
  EXPECT_EQ(a.create.mode, mode_t(0640));
  EXPECT_EQ(a.create.owner, uid_t(0));
  EXPECT_EQ(a.create.group, gid_t(0));
  EXPECT_TRUE(a.missing_ok);
  EXPECT_TRUE(a.not_if_empty);
  const auto& b = cfg.files[1];
  ASSERT_TRUE(b.calendar);
  EXPECT_EQ(b.calendar->at, std::chrono::seconds(0));
  EXPECT_EQ(b.max_size, 4096u);
  EXPECT_EQ(b.check_every, std::chrono::nanoseconds(60s));
  EXPECT_EQ(b.notify->command, (std::vector<std::string>{"/usr/bin/systemctl", "reload", "app"}));
  EXPECT_TRUE(b.copytruncate);
  EXPECT_FALSE(b.compress);
}

TEST(rotated_config, every_error_is_reported_with_its_file_and_line) {
  auto errors = errors_of(R"([[file]]
path = "/var/log/a.log"
keep = 3
every = "30 s"
colour = "blue"

[[file]]
path = "relative.log"
keep = -1
max_size = "1 MiB"
)");
  ASSERT_EQ(errors.size(), 5u);
  EXPECT_EQ(errors[0].rfind("c.toml:4: 'every': invalid duration \"30 s\"", 0), 0u) << errors[0];
  EXPECT_EQ(errors[1], "c.toml:5: unknown key 'colour' in [[file]]");
  EXPECT_EQ(errors[2], "c.toml:8: 'path' must be an absolute path");
  EXPECT_EQ(errors[3], "c.toml:9: 'keep' must be between 0 and 100000, not -1");
  EXPECT_EQ(errors[4].rfind("c.toml:10: 'max_size': invalid size \"1 MiB\"", 0), 0u) << errors[4];
}

TEST(rotated_config, calendar_triggers_hourly_weekly_monthly_yearly_and_their_defaults) {
  using rotated::calendar_period;
  auto cal = [](const std::string& line) {
    auto cfg = config_from("[[file]]\npath = \"/a\"\nkeep = 2\n" + line + "\n");
    return *cfg.files[0].calendar;
  };
  auto expect = [](calendar_period p, int at, unsigned weekday, unsigned day, unsigned month) {
    return rotated::calendar_trigger{p, std::chrono::seconds(at), weekday, day, month};
  };
  EXPECT_EQ(cal("hourly = true"), expect(calendar_period::hourly, 0, 0, 1, 1));
  EXPECT_EQ(cal("hourly = \"15\""), expect(calendar_period::hourly, 900, 0, 1, 1));
  EXPECT_EQ(cal("hourly = \"59:30\""), expect(calendar_period::hourly, 3570, 0, 1, 1));
  EXPECT_EQ(cal("weekly = true"), expect(calendar_period::weekly, 0, 0, 1, 1));
  EXPECT_EQ(cal("weekly = \"Monday\""), expect(calendar_period::weekly, 0, 1, 1, 1));
  EXPECT_EQ(cal("weekly = \"sat 03:30\""), expect(calendar_period::weekly, 12600, 6, 1, 1));
  EXPECT_EQ(cal("monthly = true"), expect(calendar_period::monthly, 0, 0, 1, 1));
  EXPECT_EQ(cal("monthly = \"31 23:59:59\""), expect(calendar_period::monthly, 86399, 0, 31, 1));
  EXPECT_EQ(cal("yearly = true"), expect(calendar_period::yearly, 0, 0, 1, 1));
  EXPECT_EQ(cal("yearly = \"02-29 06:00\""), expect(calendar_period::yearly, 21600, 0, 29, 2));
  EXPECT_EQ(cal("daily = \"23:00\""), expect(calendar_period::daily, 82800, 0, 1, 1));
}

TEST(rotated_config, bad_calendar_triggers_and_min_size_name_their_line) {
  auto one = [](const std::string& line) { return errors_of("[[file]]\npath = \"/a\"\nkeep = 2\n" + line + "\n"); };
  EXPECT_EQ(one("hourly = \"60\""),
            (std::vector<std::string>{"c.toml:4: 'hourly' must be true or \"MM\" or \"MM:SS\" (minute and second of "
                                      "each hour), not \"60\""}));
  EXPECT_EQ(one("weekly = \"someday\""),
            (std::vector<std::string>{"c.toml:4: 'weekly' must be true or a weekday and an optional time, e.g. "
                                      "\"sunday\", \"mon 03:00\", not \"someday\""}));
  EXPECT_EQ(one("weekly = \"mon 3:00\"").size(), 1u);
  EXPECT_EQ(one("monthly = \"32\"").size(), 1u);
  EXPECT_EQ(one("monthly = \"0\"").size(), 1u);
  EXPECT_EQ(one("yearly = \"02-30\"").size(), 1u);
  EXPECT_EQ(one("yearly = \"13-01\"").size(), 1u);
  EXPECT_EQ(one("yearly = \"1-1\"").size(), 1u);
  EXPECT_EQ(errors_of("[[file]]\npath = \"/a\"\nkeep = 2\ndaily = true\nweekly = true\n"),
            (std::vector<std::string>{"c.toml:5: 'weekly': a file has at most one of hourly, daily, weekly, monthly "
                                      "and yearly (this one has 'daily')"}));
  EXPECT_EQ(errors_of("[[file]]\npath = \"/a\"\nkeep = 2\nmax_size = 10\nmin_size = \"1MiB\"\n"),
            (std::vector<std::string>{"c.toml:1: 'min_size' goes with a time trigger ('every', 'hourly' .. 'yearly'), "
                                      "which it holds back"}));
  EXPECT_EQ(one("weekly = true\nmin_size = \"1 MiB\"").size(), 1u);
  auto cfg =
      config_from("[[file]]\npath = \"/a\"\nkeep = 2\nweekly = true\nmin_size = \"1MiB\"\ncheck_every = \"1h\"\n");
  EXPECT_EQ(cfg.files[0].min_size, 1u << 20);
  EXPECT_EQ(cfg.files[0].check_every, std::chrono::nanoseconds(std::chrono::hours(1)));
}

TEST(rotated_config, prerotate_and_postrotate_take_argv_or_a_table_with_a_timeout) {
  auto cfg = config_from(
      "[[file]]\npath = \"/a\"\nkeep = 2\ndaily = true\nprerotate = [\"/usr/bin/prog\", \"x\"]\n"
      "postrotate = { command = [\"/usr/sbin/invoke-rc.d\", \"rsyslog\", \"rotate\"], timeout = \"30s\" }\n");
  const auto& f = cfg.files[0];
  ASSERT_TRUE(f.prerotate && f.postrotate);
  EXPECT_EQ(f.prerotate->command, (std::vector<std::string>{"/usr/bin/prog", "x"}));
  EXPECT_EQ(f.prerotate->timeout, std::chrono::nanoseconds(10s));
  EXPECT_EQ(f.postrotate->command, (std::vector<std::string>{"/usr/sbin/invoke-rc.d", "rsyslog", "rotate"}));
  EXPECT_EQ(f.postrotate->timeout, std::chrono::nanoseconds(30s));
  auto one = [](const std::string& line) {
    return errors_of("[[file]]\npath = \"/a\"\nkeep = 2\ndaily = true\n" + line + "\n");
  };
  EXPECT_EQ(one("prerotate = \"/bin/sh -c x\""),
            (std::vector<std::string>{"c.toml:5: 'prerotate' must be an array of strings such as [\"/usr/bin/prog\", "
                                      "\"arg\"] or a table { command = [...], timeout = \"30s\" }"}));
  EXPECT_EQ(one("postrotate = []"),
            (std::vector<std::string>{
                "c.toml:5: 'postrotate' must be a non-empty array of strings (argv; no shell is used)"}));
  EXPECT_EQ(one("postrotate = { timeout = \"1s\" }"),
            (std::vector<std::string>{"c.toml:5: 'postrotate' needs a 'command'"}));
  EXPECT_EQ(one("postrotate = { command = [\"x\"], shell = true }"),
            (std::vector<std::string>{"c.toml:5: unknown key 'postrotate.shell' (expected command or timeout)"}));
  auto aged = config_from("[[file]]\npath = \"/a\"\nkeep = 2\ndaily = true\nmax_age = \"30d\"\n");
  EXPECT_EQ(aged.files[0].max_age, std::chrono::nanoseconds(24h * 30));
}

// firstaction / lastaction / shared_hooks belong to a group: the matches of
// one [[file]] table, or the tables of one file that name the same `group`,
// which must agree on those hooks.
TEST(rotated_config, group_hooks_are_parsed_and_a_named_group_must_agree_on_them) {
  auto cfg = config_from(
      "[[file]]\npath = \"/v/a.log\"\nkeep = 2\ndaily = true\ngroup = \"web\"\nshared_hooks = true\n"
      "firstaction = [\"/usr/bin/first\"]\nlastaction = { command = [\"/usr/bin/last\", \"x\"], timeout = \"5s\" }\n"
      "[[file]]\npath = \"/w/b.log\"\nkeep = 3\nweekly = true\ngroup = \"web\"\nshared_hooks = true\n"
      "firstaction = [\"/usr/bin/first\"]\nlastaction = { command = [\"/usr/bin/last\", \"x\"], timeout = \"5s\" }\n"
      "[[file]]\npath = \"/v/*.txt\"\nkeep = 2\ndaily = true\n");
  ASSERT_EQ(cfg.files.size(), 3u);
  const auto& a = cfg.files[0];
  ASSERT_TRUE(a.firstaction && a.lastaction);
  EXPECT_EQ(a.firstaction->command, (std::vector<std::string>{"/usr/bin/first"}));
  EXPECT_EQ(a.lastaction->command, (std::vector<std::string>{"/usr/bin/last", "x"}));
  EXPECT_EQ(a.lastaction->timeout, std::chrono::nanoseconds(5s));
  EXPECT_TRUE(a.shared_hooks);
  EXPECT_EQ(a.group, "test.toml: group web");
  EXPECT_EQ(cfg.files[1].group, a.group);
  EXPECT_EQ(cfg.files[2].group, "test.toml: [[file]] at line 17");  // its own, shared by its matches
  EXPECT_FALSE(cfg.files[2].shared_hooks);

  EXPECT_EQ(errors_of("[[file]]\npath = \"/a\"\nkeep = 2\ndaily = true\ngroup = \"g\"\nfirstaction = [\"/x\"]\n"
                      "[[file]]\npath = \"/b\"\nkeep = 2\ndaily = true\ngroup = \"g\"\n"),
            (std::vector<std::string>{"c.toml:7: group \"g\": 'firstaction' differs from the [[file]] at line 1 "
                                      "(the tables of a group share firstaction, lastaction, shared_hooks and, with "
                                      "shared_hooks, prerotate and postrotate)"}));
  EXPECT_EQ(errors_of("[[file]]\npath = \"/a\"\nkeep = 2\ndaily = true\ngroup = \"g\"\nshared_hooks = true\n"
                      "prerotate = [\"/p\"]\n"
                      "[[file]]\npath = \"/b\"\nkeep = 2\ndaily = true\ngroup = \"g\"\nshared_hooks = true\n"),
            (std::vector<std::string>{"c.toml:8: group \"g\": 'prerotate' differs from the [[file]] at line 1 "
                                      "(the tables of a group share firstaction, lastaction, shared_hooks and, with "
                                      "shared_hooks, prerotate and postrotate)"}));
  // Without shared_hooks, prerotate and postrotate stay each file's own.
  EXPECT_EQ(errors_of("[[file]]\npath = \"/a\"\nkeep = 2\ndaily = true\ngroup = \"g\"\nprerotate = [\"/p\"]\n"
                      "[[file]]\npath = \"/b\"\nkeep = 2\ndaily = true\ngroup = \"g\"\n"),
            std::vector<std::string>{});
  EXPECT_EQ(errors_of("[[file]]\npath = \"/a\"\nkeep = 2\ndaily = true\ngroup = \"\"\n"),
            (std::vector<std::string>{"c.toml:5: 'group' must be a non-empty name"}));
  EXPECT_EQ(
      errors_of("[[file]]\npath = \"/a\"\nkeep = 2\ndaily = true\nlastaction = \"/bin/x\"\n"),
      (std::vector<std::string>{"c.toml:5: 'lastaction' must be an array of strings such as "
                                "[\"/usr/bin/prog\", \"arg\"] or a table { command = [...], timeout = \"30s\" }"}));
}

// olddir: absolute, or relative to the file's directory; create_olddir
// asks for it to be made (true, or a table like create's).
TEST(rotated_config, olddir_resolves_against_the_files_directory_and_create_olddir_needs_it) {
  auto cfg = config_from(
      "[[file]]\npath = \"/v/a.log\"\nkeep = 2\ndaily = true\nolddir = \"archive\"\n"
      "create_olddir = { mode = \"0750\", owner = \"0\", group = \"0\" }\n"
      "[[file]]\npath = \"/v/b.log\"\nkeep = 2\ndaily = true\nolddir = \"/w/old\"\ncreate_olddir = true\n"
      "[[file]]\npath = \"/v/c.log\"\nkeep = 2\ndaily = true\n");
  EXPECT_EQ(cfg.files[0].olddir, "/v/archive");
  EXPECT_TRUE(cfg.files[0].create_olddir.enabled);
  EXPECT_EQ(cfg.files[0].create_olddir.mode, mode_t(0750));
  EXPECT_EQ(cfg.files[0].create_olddir.owner, uid_t(0));
  EXPECT_EQ(cfg.files[1].olddir, "/w/old");
  EXPECT_TRUE(cfg.files[1].create_olddir.enabled);
  EXPECT_FALSE(cfg.files[1].create_olddir.mode);
  EXPECT_EQ(cfg.files[2].olddir, "");
  EXPECT_FALSE(cfg.files[2].create_olddir.enabled);
  auto one = [](const std::string& line) {
    return errors_of("[[file]]\npath = \"/v/a.log\"\nkeep = 2\ndaily = true\n" + line + "\n");
  };
  EXPECT_EQ(one("olddir = \".\""), (std::vector<std::string>{"c.toml:5: 'olddir' is the file's own directory"}));
  EXPECT_EQ(one("olddir = \"../old\""), (std::vector<std::string>{"c.toml:5: 'olddir' must not contain '..'"}));
  EXPECT_EQ(one("create_olddir = true"), (std::vector<std::string>{"c.toml:1: 'create_olddir' goes with 'olddir'"}));
  EXPECT_EQ(
      one("olddir = \"old\"\ncreate_olddir = { mode = \"9\" }"),
      (std::vector<std::string>{"c.toml:6: 'create_olddir.mode' must be octal digits such as \"0640\", not \"9\""}));
}

// --check (load_config) refuses an olddir on another filesystem than its
// file, naming the [[file]]'s line, as logrotate does; a missing olddir is
// judged by the directory it would be created in.
TEST(rotated_config, an_olddir_on_another_filesystem_is_refused_with_its_line) {
  rotated_test::temp_dir dir;
  rotated_test::write_text(dir / "c.toml",
                           "[[file]]\npath = \"" + dir / "a.log" +
                               "\"\nkeep = 2\ndaily = true\nolddir = \"old\"\n"
                               "create_olddir = true\n[[file]]\npath = \"" +
                               dir / "b.log" + "\"\nkeep = 2\ndaily = true\nolddir = \"/proc/rotated-old\"\n",
                           0644);
  EXPECT_EQ(rotated::load_config(dir / "c.toml", false).errors,
            (std::vector<std::string>{dir / "c.toml" + ":7: 'olddir' /proc/rotated-old is on another filesystem than " +
                                      dir.path() + " (versions are renamed into it)"}));
}

// include_dir: a drop-in directory like logrotate.d. Its NAME.toml files
// add [[file]] tables in name order; other names and hidden files are
// skipped; a drop-in holds nothing else; a path watched twice across
// files is an error naming both; as root, group-writable files are refused.
TEST(rotated_config, include_dir_adds_the_file_tables_of_its_toml_files) {
  rotated_test::temp_dir dir;
  ASSERT_EQ(::mkdir((dir / "rotated.d").c_str(), 0755), 0);
  rotated_test::write_text(dir / "main.toml", "include_dir = \"" + dir / "rotated.d" + "\"\n", 0644);
  rotated_test::write_text(dir / "rotated.d/b.toml", "[[file]]\npath = \"/v/b.log\"\nkeep = 2\ndaily = true\n", 0644);
  rotated_test::write_text(dir / "rotated.d/a.toml", "[[file]]\npath = \"/v/a.log\"\nkeep = 3\nweekly = true\n", 0644);
  rotated_test::write_text(dir / "rotated.d/c.toml.dpkg-old", "garbage", 0644);
  rotated_test::write_text(dir / "rotated.d/.hidden.toml", "garbage", 0644);
  auto r = rotated::load_config(dir / "main.toml", true);
  for (const auto& e : r.errors) ADD_FAILURE() << e;
  ASSERT_TRUE(r.value);
  ASSERT_EQ(r.value->files.size(), 2u);
  EXPECT_EQ(r.value->files[0].path, "/v/a.log");
  EXPECT_EQ(r.value->files[1].path, "/v/b.log");

  rotated_test::write_text(dir / "rotated.d/c.toml",
                           "state_dir = \"/s\"\n[[file]]\npath = \"/v/a.log\"\nkeep = 1\ndaily = true\n", 0644);
  EXPECT_EQ(
      rotated::load_config(dir / "main.toml", true).errors,
      (std::vector<std::string>{dir / "rotated.d/c.toml:1: 'state_dir': a drop-in file holds only [[file]] tables"}));
  rotated_test::write_text(dir / "rotated.d/c.toml", "[[file]]\npath = \"/v/a.log\"\nkeep = 1\ndaily = true\n", 0664);
  EXPECT_EQ(rotated::load_config(dir / "main.toml", true).errors,
            (std::vector<std::string>{dir / "rotated.d/c.toml: refusing a configuration writable by group or others "
                                            "(running as root)"}));
  EXPECT_EQ(rotated::load_config(dir / "main.toml", false).errors,
            (std::vector<std::string>{dir / "rotated.d/c.toml:1: '/v/a.log' is watched twice (also in " +
                                      dir / "rotated.d/a.toml)"}));
  ASSERT_EQ(::unlink((dir / "rotated.d/c.toml").c_str()), 0);
  for (const char* name : {"a.toml", "b.toml"}) ASSERT_EQ(::unlink((dir / "rotated.d/" + name).c_str()), 0);
  EXPECT_EQ(rotated::load_config(dir / "main.toml", false).errors,
            (std::vector<std::string>{dir / "main.toml:1: no [[file]] table here or in " + dir / "rotated.d" +
                                      ": nothing to watch"}));
}

// A drop-in directory that cannot be read, or that root may not trust, is
// reported at the include_dir line, as every other mistake is.
TEST(rotated_config, an_include_dir_it_cannot_use_is_reported_at_its_line) {
  rotated_test::temp_dir dir;
  rotated_test::write_text(dir / "main.toml", "state_dir = \"/s\"\ninclude_dir = \"" + dir / "rotated.d" + "\"\n",
                           0644);
  EXPECT_EQ(rotated::load_config(dir / "main.toml", false).errors,
            (std::vector<std::string>{dir / "main.toml:2: include_dir " + dir / "rotated.d" +
                                      ": No such file or directory"}));
  ASSERT_EQ(::mkdir((dir / "rotated.d").c_str(), 0775), 0);
  ASSERT_EQ(::chmod((dir / "rotated.d").c_str(), 0775), 0);  // whatever the umask
  EXPECT_EQ(rotated::load_config(dir / "main.toml", true).errors,
            (std::vector<std::string>{dir / "main.toml:2: include_dir " + dir / "rotated.d" +
                                      ": refusing a drop-in directory not owned by root or writable by group or "
                                      "others (running as root)"}));
}

TEST(rotated_config, dateext_takes_true_or_a_pattern_it_can_recognise) {
  auto f = [](const std::string& line) {
    return config_from("[[file]]\npath = \"/a\"\nkeep = 2\ndaily = true\n" + line + "\n").files[0].dateext;
  };
  EXPECT_EQ(f("dateext = true"), "-%Y%m%d");
  EXPECT_EQ(f("dateext = \"-%Y-%m-%d_%H%%\""), "-%Y-%m-%d_%H%%");
  for (const char* bad : {"dateext = \"-%F\"", "dateext = \"-static\"", "dateext = \"/%Y\"", "dateext = \"-%Y%\""})
    EXPECT_EQ(errors_of(std::string("[[file]]\npath = \"/a\"\nkeep = 2\ndaily = true\n") + bad + "\n").size(), 1u)
        << bad;
  EXPECT_EQ(errors_of("[[file]]\npath = \"/a\"\nkeep = 2\ndaily = true\ndateext = true\ncopytruncate = true\n"),
            (std::vector<std::string>{"c.toml:1: 'dateext' goes with neither 'copytruncate' nor 'keep = 0'"}));
  EXPECT_TRUE(rotated::matches_dateext("-20261206", "-%Y%m%d"));
  EXPECT_TRUE(rotated::matches_dateext("-1765000000", "-%s"));
  EXPECT_TRUE(rotated::matches_dateext("-2026-12-06_05%", "-%Y-%m-%d_%H%%"));
  EXPECT_FALSE(rotated::matches_dateext("-2026120", "-%Y%m%d"));
  EXPECT_FALSE(rotated::matches_dateext("-20261206.1", "-%Y%m%d"));
  EXPECT_FALSE(rotated::matches_dateext("", "-%Y%m%d"));
}

TEST(rotated_config, structural_mistakes_name_their_line) {
  EXPECT_EQ(errors_of("[[file]]\npath = \"/a\"\nevery = \"1s\"\n"),
            (std::vector<std::string>{"c.toml:1: [[file]] needs 'keep' (how many versions to keep; 0: none)"}));
  EXPECT_EQ(errors_of("[[file]]\npath = \"/a\"\nkeep = 2\n"),
            (std::vector<std::string>{"c.toml:1: [[file]] /a has no trigger: set 'every', 'hourly', 'daily', 'weekly', "
                                      "'monthly', 'yearly' or 'max_size'"}));
  EXPECT_EQ(
      errors_of("[[file]]\npath = \"/a\"\nkeep = 2\nevery = \"1s\"\n[[file]]\npath = \"/a\"\nkeep = 2\ndaily = true\n"),
      (std::vector<std::string>{"c.toml:5: '/a' is watched twice"}));
  EXPECT_EQ(errors_of("[[file]]\npath = \"/a\"\nkeep = 2\nevery = \"1s\"\ncheck_every = \"5s\"\n"),
            (std::vector<std::string>{"c.toml:5: 'check_every' goes with 'max_size' or 'min_size'"}));
  EXPECT_EQ(errors_of("[[file]]\npath = \"/a\"\nkeep = 2\nevery = \"1s\"\nwatch = true\n"),
            (std::vector<std::string>{"c.toml:5: 'watch' goes with 'max_size'"}));
  EXPECT_EQ(
      errors_of(
          "[[file]]\npath = \"/a\"\nkeep = 2\nevery = \"1s\"\nnotify = { pidfile = \"/p\", command = [\"x\"] }\n"),
      (std::vector<std::string>{"c.toml:5: 'notify' needs exactly one of 'pidfile' or 'command'"}));
  EXPECT_EQ(errors_of("[[file]]\npath = \"/a\"\nkeep = 2\nevery = \"1s\"\ncreate = { mode = \"0999\" }\n"),
            (std::vector<std::string>{"c.toml:5: 'create.mode' must be octal digits such as \"0640\", not \"0999\""}));
  EXPECT_EQ(errors_of("[[file]]\npath = \"/a\"\nkeep = 2\nevery = \"1s\"\ncompress = \"xz\"\n"),
            (std::vector<std::string>{"c.toml:5: 'compress': unknown method \"xz\" (\"gzip\" or \"zstd\")"}));
  EXPECT_EQ(errors_of("[[file]]\npath = \"/a\"\nkeep = 2\ndaily = \"24:00\"\n"),
            (std::vector<std::string>{"c.toml:4: 'daily' must be true or a local time \"HH:MM\" or \"HH:MM:SS\" (00:00 "
                                      "to 23:59:59), not \"24:00\""}));
  EXPECT_EQ(errors_of("verbose = true\n[[file]]\npath = \"/a\"\nkeep = 2\nevery = \"1s\"\n"),
            (std::vector<std::string>{
                "c.toml:1: unknown key 'verbose' (expected state_dir, include_dir or [[file]] tables)"}));
  EXPECT_EQ(errors_of("state_dir = \"/s\"\n"),
            (std::vector<std::string>{"c.toml:1: no [[file]] table: nothing to watch"}));
  EXPECT_EQ(errors_of("[[file]]\npath = \"/a\"\nkeep = \"3\"\nevery = \"1s\"\n"),
            (std::vector<std::string>{"c.toml:3: 'keep' must be an integer, not a string"}));
}

// Found by config_parser_fuzz: toml++ converts a float to an integer
// without a range check, so a float beyond int64 must be refused before
// it is ever read as one (UBSan reports the conversion otherwise).
TEST(rotated_config, a_float_beyond_any_integer_is_refused_as_a_float) {
  EXPECT_EQ(errors_of("[[file]]\npath = \"/a\"\nkeep = 2.2e65\nevery = \"1s\"\n"),
            (std::vector<std::string>{"c.toml:3: 'keep' must be an integer, not a float"}));
  EXPECT_EQ(
      errors_of("[[file]]\npath = \"/a\"\nkeep = 2\nevery = \"1s\"\ncompress = \"gzip\"\ncompress_level = -1e300\n"),
      (std::vector<std::string>{"c.toml:6: 'compress_level' must be an integer, not a float"}));
}

TEST(rotated_config, a_toml_syntax_error_gives_its_line) {
  auto errors = errors_of("[[file]]\npath = \"/a\"\nkeep = 2\nevery = \"1s\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("c.toml:4: ", 0), 0u) << errors[0];
}

TEST(rotated_config, as_root_a_configuration_writable_by_others_is_refused) {
  rotated_test::temp_dir dir;
  std::string path = dir / "c.toml";
  rotated_test::write_text(path, "[[file]]\npath = \"/a\"\nkeep = 2\nevery = \"1s\"\n", 0666);
  ::chmod(path.c_str(), 0666);
  auto r = rotated::load_config(path, true);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0], path + ": refusing a configuration writable by group or others (running as root)");
  ::chmod(path.c_str(), 0644);
  bool owned_by_root = [&] {
    struct stat st {};
    ::stat(path.c_str(), &st);
    return st.st_uid == 0;
  }();
  auto ok = rotated::load_config(path, true);
  if (owned_by_root) {
    EXPECT_TRUE(ok.errors.empty());
  } else {
    ASSERT_EQ(ok.errors.size(), 1u);
    EXPECT_EQ(ok.errors[0], path + ": refusing a configuration not owned by root (running as root)");
  }
  EXPECT_TRUE(rotated::load_config(path, false).errors.empty());
}

TEST(rotated_config, durations_format_back_compactly) {
  EXPECT_EQ(rotated::format_duration(90min), "1h30m");
  EXPECT_EQ(rotated::format_duration(100ms), "100ms");
  EXPECT_EQ(rotated::format_duration(25h), "1d1h");
}

}  // namespace

TEST(rotated_config, notify_user_and_unsafe_directory_parse_with_their_errors) {
  auto r = rotated::parse_config(
      "[[file]]\npath = \"/v/a.log\"\nkeep = 2\nevery = \"1h\"\n"
      "notify = { pidfile = \"/run/a.pid\", user = \"nobody\" }\n"
      "unsafe_directory = \"refuse\"\n",
      "t.toml");
  ASSERT_TRUE(r.value) << (r.errors.empty() ? "" : r.errors[0]);
  EXPECT_EQ(r.value->files[0].notify->user, std::optional<uid_t>(65534));
  EXPECT_TRUE(r.value->files[0].refuse_unsafe_directory);
  auto bad = rotated::parse_config(
      "[[file]]\npath = \"/v/a.log\"\nkeep = 2\nevery = \"1h\"\n"
      "notify = { command = [\"x\"], user = \"no-such-user-here\" }\n"
      "unsafe_directory = \"maybe\"\n",
      "t.toml");
  EXPECT_EQ(bad.errors, (std::vector<std::string>{
                            "t.toml:5: 'notify.user': no user named \"no-such-user-here\"",
                            "t.toml:5: 'notify.user' goes with 'pidfile', not with 'command'",
                            "t.toml:6: 'unsafe_directory' must be \"as_owner\" or \"refuse\", not \"maybe\""}));
}
