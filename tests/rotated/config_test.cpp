// The configuration: strict durations and sizes, every error with its line.
#include <gtest/gtest.h>

#include "config.hpp"
#include "support.hpp"

namespace {

using namespace std::chrono_literals;
using rotated::parse_config;

std::vector<std::string> errors_of(const std::string& text) { return parse_config(text, "c.toml").errors; }

TEST(rotated_config, durations_parse_strictly_with_units_in_decreasing_order) {
  EXPECT_EQ(rotated::parse_duration("30s"), 30s);
  EXPECT_EQ(rotated::parse_duration("100ms"), 100ms);
  EXPECT_EQ(rotated::parse_duration("5m"), 5min);
  EXPECT_EQ(rotated::parse_duration("1h30m"), 90min);
  EXPECT_EQ(rotated::parse_duration("1d"), 24h);
  EXPECT_EQ(rotated::parse_duration("2d12h"), 60h);
  EXPECT_EQ(rotated::parse_duration("1s500ms"), 1500ms);
  for (const char* bad : {"", "30", "s", "30 s", " 30s", "30s ", "1.5s", "-1s", "30S", "30sec", "1m1h", "1s1s",
                          "30s30", "1y", "99999999999999999999s", "10000000d"})
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
  EXPECT_EQ(a.daily, std::chrono::seconds(9000));
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
  EXPECT_EQ(b.daily, std::chrono::seconds(0));
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
keep = 0
max_size = "1 MiB"
)");
  ASSERT_EQ(errors.size(), 5u);
  EXPECT_EQ(errors[0].rfind("c.toml:4: 'every': invalid duration \"30 s\"", 0), 0u) << errors[0];
  EXPECT_EQ(errors[1], "c.toml:5: unknown key 'colour' in [[file]]");
  EXPECT_EQ(errors[2], "c.toml:8: 'path' must be an absolute path");
  EXPECT_EQ(errors[3], "c.toml:9: 'keep' must be between 1 and 100000, not 0");
  EXPECT_EQ(errors[4].rfind("c.toml:10: 'max_size': invalid size \"1 MiB\"", 0), 0u) << errors[4];
}

TEST(rotated_config, structural_mistakes_name_their_line) {
  EXPECT_EQ(errors_of("[[file]]\npath = \"/a\"\nevery = \"1s\"\n"),
            (std::vector<std::string>{"c.toml:1: [[file]] needs 'keep' (how many versions to keep, at least 1)"}));
  EXPECT_EQ(errors_of("[[file]]\npath = \"/a\"\nkeep = 2\n"),
            (std::vector<std::string>{"c.toml:1: [[file]] /a has no trigger: set 'every', 'daily' or 'max_size'"}));
  EXPECT_EQ(errors_of("[[file]]\npath = \"/a\"\nkeep = 2\nevery = \"1s\"\n[[file]]\npath = \"/a\"\nkeep = 2\ndaily = true\n"),
            (std::vector<std::string>{"c.toml:5: '/a' is watched twice"}));
  EXPECT_EQ(errors_of("[[file]]\npath = \"/a\"\nkeep = 2\nevery = \"1s\"\ncheck_every = \"5s\"\n"),
            (std::vector<std::string>{"c.toml:5: 'check_every' goes with 'max_size'"}));
  EXPECT_EQ(errors_of("[[file]]\npath = \"/a\"\nkeep = 2\nevery = \"1s\"\nwatch = true\n"),
            (std::vector<std::string>{"c.toml:5: 'watch' goes with 'max_size'"}));
  EXPECT_EQ(errors_of("[[file]]\npath = \"/a\"\nkeep = 2\nevery = \"1s\"\nnotify = { pidfile = \"/p\", command = [\"x\"] }\n"),
            (std::vector<std::string>{"c.toml:5: 'notify' needs exactly one of 'pidfile' or 'command'"}));
  EXPECT_EQ(errors_of("[[file]]\npath = \"/a\"\nkeep = 2\nevery = \"1s\"\ncreate = { mode = \"0999\" }\n"),
            (std::vector<std::string>{"c.toml:5: 'create.mode' must be octal digits such as \"0640\", not \"0999\""}));
  EXPECT_EQ(errors_of("[[file]]\npath = \"/a\"\nkeep = 2\nevery = \"1s\"\ncompress = \"xz\"\n"),
            (std::vector<std::string>{"c.toml:5: 'compress': unknown method \"xz\" (only \"gzip\")"}));
  EXPECT_EQ(errors_of("[[file]]\npath = \"/a\"\nkeep = 2\ndaily = \"24:00\"\n"),
            (std::vector<std::string>{
                "c.toml:4: 'daily' must be a local time \"HH:MM\" or \"HH:MM:SS\" (00:00 to 23:59:59), not \"24:00\""}));
  EXPECT_EQ(errors_of("verbose = true\n[[file]]\npath = \"/a\"\nkeep = 2\nevery = \"1s\"\n"),
            (std::vector<std::string>{"c.toml:1: unknown key 'verbose' (expected state_dir or [[file]] tables)"}));
  EXPECT_EQ(errors_of("state_dir = \"/s\"\n"), (std::vector<std::string>{"c.toml:1: no [[file]] table: nothing to watch"}));
  EXPECT_EQ(errors_of("[[file]]\npath = \"/a\"\nkeep = \"3\"\nevery = \"1s\"\n"),
            (std::vector<std::string>{"c.toml:3: 'keep' must be an integer, not a string"}));
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
  auto r = rotated::parse_config("[[file]]\npath = \"/v/a.log\"\nkeep = 2\nevery = \"1h\"\n"
                                 "notify = { pidfile = \"/run/a.pid\", user = \"nobody\" }\n"
                                 "unsafe_directory = \"refuse\"\n",
                                 "t.toml");
  ASSERT_TRUE(r.value) << (r.errors.empty() ? "" : r.errors[0]);
  EXPECT_EQ(r.value->files[0].notify->user, std::optional<uid_t>(65534));
  EXPECT_TRUE(r.value->files[0].refuse_unsafe_directory);
  auto bad = rotated::parse_config("[[file]]\npath = \"/v/a.log\"\nkeep = 2\nevery = \"1h\"\n"
                                   "notify = { command = [\"x\"], user = \"no-such-user-here\" }\n"
                                   "unsafe_directory = \"maybe\"\n",
                                   "t.toml");
  EXPECT_EQ(bad.errors, (std::vector<std::string>{
                            "t.toml:5: 'notify.user': no user named \"no-such-user-here\"",
                            "t.toml:5: 'notify.user' goes with 'pidfile', not with 'command'",
                            "t.toml:6: 'unsafe_directory' must be \"as_owner\" or \"refuse\", not \"maybe\""}));
}
