// End-to-end: the real rotated binary on real files in a temporary
// directory, with a writer process appending numbered lines at full speed.
// Each test is bounded (a few seconds) and stops by itself: every process
// it starts is waited for with a deadline and killed past it.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <regex>
#include <thread>

#include "fs.hpp"
#include "gzip.hpp"
#include "support.hpp"

#ifndef ROTATED_BINARY
#error "ROTATED_BINARY must name the rotated executable"
#endif

namespace {

using namespace std::chrono_literals;
using rotated_test::exists;
using rotated_test::list_dir;
using rotated_test::read_text;
using rotated_test::temp_dir;
using rotated_test::write_text;

// --- processes -------------------------------------------------------------

// Starts rotated with `args`, its stdout and stderr appended to `log`.
pid_t start_rotated(const std::vector<std::string>& args, const std::string& log,
                    const std::map<std::string, std::string>& env = {}) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  ::dup2(fd, 1);
  ::dup2(fd, 2);
  for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
  std::vector<char*> argv{const_cast<char*>(ROTATED_BINARY)};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execv(ROTATED_BINARY, argv.data());
  ::_exit(127);
}

// Waits for pid at most `limit`; kills it (-9) past that. Returns its wait
// status, or nullopt if it had to be killed.
std::optional<int> wait_exit(pid_t pid, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return std::nullopt;
    }
    std::this_thread::sleep_for(5ms);
  }
}

// Runs rotated to completion (at most 20 s); returns {exit code, output}.
std::pair<int, std::string> run_rotated(const std::vector<std::string>& args,
                                        const std::map<std::string, std::string>& env = {}) {
  temp_dir out;
  pid_t pid = start_rotated(args, out / "log", env);
  auto status = wait_exit(pid, 20s);
  std::string text = read_text(out / "log").value_or("");
  if (!status) return {-1, text + "\n(killed after 20 s)"};
  return {WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status), text};
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// --- the writer ----------------------------------------------------------------

volatile sig_atomic_t writer_reopen = 0;
volatile sig_atomic_t writer_stop = 0;

// A child process appending "%08d\n" lines to `path` as fast as it can,
// reopening the path on SIGHUP; on SIGTERM it writes how many lines it
// wrote to `count_path` and exits.
pid_t start_writer(const std::string& path, const std::string& count_path) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  struct sigaction sa {};
  sa.sa_handler = [](int) { writer_reopen = 1; };
  ::sigaction(SIGHUP, &sa, nullptr);
  sa.sa_handler = [](int) { writer_stop = 1; };
  ::sigaction(SIGTERM, &sa, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  long n = 0;
  char line[9];
  while (!writer_stop) {
    if (writer_reopen) {
      writer_reopen = 0;
      ::close(fd);
      fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    }
    long v = n;
    for (int i = 7; i >= 0; --i, v /= 10) line[i] = static_cast<char>('0' + v % 10);
    line[8] = '\n';
    if (::write(fd, line, 9) != 9) ::_exit(3);
    ++n;
  }
  std::string count = std::to_string(n);
  int c = ::open(count_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (::write(c, count.data(), count.size()) < 0) ::_exit(4);
  ::close(c);
  ::_exit(0);
}

long stop_writer(pid_t pid, const std::string& count_path) {
  ::kill(pid, SIGTERM);
  auto status = wait_exit(pid, 10s);
  EXPECT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
  return std::stol(read_text(count_path).value_or("-1"));
}

// --- checking the versions -----------------------------------------------------

std::string gunzip_file(const std::string& path) {
  int in = ::open(path.c_str(), O_RDONLY);
  rotated::unique_fd in_guard(in);
  temp_dir scratch;
  int out = ::open((scratch / "o").c_str(), O_WRONLY | O_CREAT, 0600);
  rotated::unique_fd out_guard(out);
  rotated::gunzip_fd(in, out, path);
  return read_text(scratch / "o").value_or("");
}

struct versions {
  std::vector<std::string> names;  // oldest first, the live file last
  std::string content;             // all of them concatenated in that order
  std::vector<std::string> stray;  // anything else in the directory
};

versions collect(const std::string& dir, const std::string& name, const std::set<std::string>& ignore) {
  std::map<int, std::string, std::greater<int>> numbered;
  versions v;
  std::regex version_re(std::regex_replace(name, std::regex(R"([.])"), R"(\.)") + R"(\.([0-9]+)(\.gz)?)");
  for (const std::string& entry : list_dir(dir)) {
    std::smatch m;
    if (entry == name || ignore.count(entry) != 0) continue;
    if (std::regex_match(entry, m, version_re)) {
      int n = std::stoi(m[1]);
      if (numbered.count(n)) v.stray.push_back(entry + " (second file for version " + m[1].str() + ")");
      numbered[n] = entry;
    } else {
      v.stray.push_back(entry);
    }
  }
  for (const auto& [n, entry] : numbered) {
    v.names.push_back(entry);
    v.content += entry.size() > 3 && entry.compare(entry.size() - 3, 3, ".gz") == 0
                     ? gunzip_file(dir + "/" + entry)
                     : read_text(dir + "/" + entry).value_or("");
  }
  v.names.push_back(name);
  v.content += read_text(dir + "/" + name).value_or("");
  return v;
}

// The lines must be consecutive numbers, each once, ending at count - 1;
// starting at 0 unless `from_anywhere` (retention dropped the oldest).
void expect_lines(const std::string& content, long count, bool from_anywhere) {
  ASSERT_EQ(content.find('\0'), std::string::npos) << "a NUL byte at " << content.find('\0');
  ASSERT_EQ(content.size() % 9, 0u) << "a partial line";
  long lines = static_cast<long>(content.size() / 9);
  ASSERT_GT(lines, 0);
  long first = std::stol(content.substr(0, 8));
  if (!from_anywhere) {
    EXPECT_EQ(first, 0);
  }
  EXPECT_EQ(first + lines, count) << "lines " << first << ".." << first + lines - 1 << " of " << count;
  for (long i = 0; i < lines; ++i) {
    const char* p = content.data() + i * 9;
    long v = 0;
    for (int k = 0; k < 8; ++k) v = v * 10 + (p[k] - '0');
    if (v != first + i || p[8] != '\n') {
      ADD_FAILURE() << "line " << i << " is " << std::string(p, 8) << ", expected " << first + i;
      return;
    }
  }
}

std::string write_config(const temp_dir& dir, const std::string& body) {
  std::string path = dir / "rotated.toml";
  write_text(path, body, 0600);
  return path;
}

// --- the tests -------------------------------------------------------------------

// The writer/rotation race: rotations every 100 ms while the writer
// appends at full speed and reopens on SIGHUP, until ten rotations have
// happened (counted, not timed: a loaded machine gets there later).
void writer_race(bool compress) {
  temp_dir dir;
  std::string log = dir / "app.log";
  std::string conf = write_config(dir, "[[file]]\npath = \"" + log +
                                           "\"\nkeep = 1000\nevery = \"100ms\"\n"
                                           "notify = { pidfile = \"" +
                                           dir / "writer.pid" + "\", signal = \"HUP\" }\n" +
                                           (compress ? "compress = \"gzip\"\n" : ""));
  pid_t writer = start_writer(log, dir / "writer.count");
  write_text(dir / "writer.pid", std::to_string(writer) + "\n");
  pid_t daemon = start_rotated({"--config", conf, "--foreground", "--state-dir", dir / "state"}, dir / "rotated.out");
  auto rotations_so_far = [&] {
    return count_of(read_text(dir / "rotated.out").value_or(""), "rotated " + log + " (");
  };
  bool ten = wait_until([&] { return rotations_so_far() >= 10; }, 60s);
  long count = stop_writer(writer, dir / "writer.count");
  ::kill(daemon, SIGTERM);
  auto status = wait_exit(daemon, 10s);
  std::string out = read_text(dir / "rotated.out").value_or("");
  ASSERT_TRUE(ten) << out;
  ASSERT_TRUE(status) << out;
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << out;
  std::size_t rotations = count_of(out, "rotated " + log + " (");
  EXPECT_GE(rotations, 10u) << out;
  EXPECT_EQ(count_of(out, "error"), 0u) << out;
  auto v = collect(dir.path(), "app.log", {"rotated.toml", "writer.pid", "writer.count", "rotated.out", "state"});
  EXPECT_TRUE(v.stray.empty()) << v.stray[0];
  EXPECT_EQ(v.names.size(), rotations + 1);
  expect_lines(v.content, count, false);
  EXPECT_GT(count, 1000);
  std::printf("[ writer  ] %ld lines, %zu rotations, %zu versions\n", count, rotations, v.names.size() - 1);
}

TEST(rotated_e2e, a_writer_at_full_speed_loses_and_repeats_no_line_across_100ms_rotations) { writer_race(false); }

TEST(rotated_e2e, with_compression_every_line_is_still_present_once_in_order) { writer_race(true); }

// kill -9 at random moments, mostly mid-rotation (each step is slowed by a
// test hook), then restart: the journal completes the rotation.
void kill_and_restart(unsigned keep, int kills, unsigned seed) {
  temp_dir dir;
  std::string log = dir / "app.log";
  std::string conf = write_config(dir, "[[file]]\npath = \"" + log + "\"\nkeep = " + std::to_string(keep) +
                                           "\nevery = \"100ms\"\ncompress = \"gzip\"\n"
                                           "notify = { pidfile = \"" +
                                           dir / "writer.pid" + "\" }\n");
  pid_t writer = start_writer(log, dir / "writer.count");
  write_text(dir / "writer.pid", std::to_string(writer) + "\n");
  std::vector<std::string> args{"--config", conf, "--foreground", "--state-dir", dir / "state"};
  // 20 ms per step: a rotation (journal, 3+ renames, fresh file, 3 steps of
  // compression) outlasts the 100 ms period, so the daemon is nearly always
  // in the middle of one when the kill lands.
  std::map<std::string, std::string> slow{{"ROTATED_DEBUG_STEP_DELAY_US", "20000"}};
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> delay_ms(20, 250);
  for (int i = 0; i < kills; ++i) {
    pid_t daemon = start_rotated(args, dir / "rotated.out", slow);
    // Once it has recovered and started (slow under sanitizers), at a random moment.
    ASSERT_TRUE(wait_until(
        [&] { return count_of(read_text(dir / "rotated.out").value_or(""), "started:") > static_cast<std::size_t>(i); },
        10s));
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    ::kill(daemon, SIGKILL);
    ASSERT_TRUE(wait_exit(daemon, 10s));
  }
  pid_t daemon = start_rotated(args, dir / "rotated.out", slow);
  std::this_thread::sleep_for(600ms);
  long count = stop_writer(writer, dir / "writer.count");
  std::this_thread::sleep_for(200ms);
  ::kill(daemon, SIGTERM);
  auto status = wait_exit(daemon, 10s);
  std::string out = read_text(dir / "rotated.out").value_or("");
  ASSERT_TRUE(status) << out;
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << out;
  std::size_t recovered = count_of(out, "recovered " + log);
  EXPECT_GE(recovered, 1u) << "no kill landed mid-rotation\n" << out;
  EXPECT_EQ(count_of(out, "error"), 0u) << out;
  auto v = collect(dir.path(), "app.log", {"rotated.toml", "writer.pid", "writer.count", "rotated.out", "state"});
  EXPECT_TRUE(v.stray.empty()) << v.stray[0];
  EXPECT_LE(v.names.size(), keep + 1);
  EXPECT_TRUE(rotated_test::pending_journals(dir / "state").empty());
  expect_lines(v.content, count, v.names.size() == keep + 1);
  std::printf("[ kill -9 ] %d kills, %zu recoveries, %ld lines, %zu versions kept\n", kills, recovered, count,
              v.names.size() - 1);
}

TEST(rotated_e2e, kill_9_at_random_moments_then_restart_loses_no_version) { kill_and_restart(1000, 10, 20260308); }

TEST(rotated_e2e, kill_9_with_a_small_keep_loses_nothing_beyond_the_retention_rule) {
  kill_and_restart(3, 8, 20261101);
}

TEST(rotated_e2e, a_symlink_a_hard_link_and_a_fifo_at_the_path_are_skipped) {
  temp_dir dir, elsewhere;
  write_text(elsewhere / "secret", "not yours\n");
  ASSERT_EQ(::symlink((elsewhere / "secret").c_str(), (dir / "link.log").c_str()), 0);
  write_text(dir / "hard.log", "two names\n");
  ASSERT_EQ(::link((dir / "hard.log").c_str(), (dir / "hard-other").c_str()), 0);
  ASSERT_EQ(::mkfifo((dir / "fifo.log").c_str(), 0644), 0);
  write_text(dir / "plain.log", "rotate me\n");
  std::string body;
  for (const char* n : {"link.log", "hard.log", "fifo.log", "plain.log"})
    body += "[[file]]\npath = \"" + dir / n + "\"\nkeep = 2\ndaily = true\n";
  std::string conf = write_config(dir, body);
  auto [rc, out] = run_rotated({"--config", conf, "--force", "--state-dir", dir / "state"});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("skipped " + dir / "link.log" + " (forced): is a symlink, not a regular file; not followed"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("skipped " + dir / "hard.log" + " (forced): has 2 hard links"), std::string::npos) << out;
  EXPECT_NE(out.find("skipped " + dir / "fifo.log" + " (forced): is a FIFO, not a regular file"), std::string::npos)
      << out;
  EXPECT_NE(out.find("rotated " + dir / "plain.log" + " (forced)"), std::string::npos) << out;
  EXPECT_NE(out.find("summary: 1 rotated, 3 skipped, 0 failed"), std::string::npos) << out;
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"fifo.log", "hard-other", "hard.log", "link.log",
                                                            "plain.log", "plain.log.1", "rotated.toml", "state"}));
  EXPECT_EQ(read_text(elsewhere / "secret"), "not yours\n");
  EXPECT_EQ(list_dir(elsewhere.path()), (std::vector<std::string>{"secret"}));
}

TEST(rotated_e2e, malformed_configurations_give_file_line_errors_and_exit_2) {
  temp_dir dir;
  struct bad_config {
    std::string body;
    std::vector<std::string> errors;  // after "FILE:"
  };
  std::vector<bad_config> cases = {
      {"[[file]]\npath = \"/tmp/x.log\"\nkeep = 3\nevery = \"5 minutes\"\n",
       {"4: 'every': invalid duration \"5 minutes\" (expected e.g. \"30s\", \"5m\", \"1h30m\", \"100ms\"; units ms s m "
        "h d, "
        "no spaces)"}},
      {"[[file]]\npath = \"/tmp/x.log\"\nkeep = 3\nmax_size = \"1 GB\"\nrotate = \"daily\"\n",
       {"4: 'max_size': invalid size \"1 GB\" (expected e.g. \"512KiB\", \"1MiB\", \"10MB\", \"100B\")",
        "5: unknown key 'rotate' in [[file]]"}},
      {"[[file]]\npath = \"/tmp/x.log\"\n\nkeep = 3\ndaily = \"25:00\"\n",
       {"5: 'daily' must be true or a local time \"HH:MM\" or \"HH:MM:SS\" (00:00 to 23:59:59), not \"25:00\""}},
      {"[[file]\npath = \"/tmp/x.log\"\n", {"1: "}},  // a TOML syntax error: the parser's message
  };
  for (const auto& c : cases) {
    std::string conf = write_config(dir, c.body);
    for (bool check : {true, false}) {
      std::vector<std::string> args{"--config", conf, "--state-dir", dir / "state", "--foreground"};
      if (check) args.push_back("--check");
      auto [rc, out] = run_rotated(args);
      EXPECT_EQ(rc, 2) << out;
      std::vector<std::string> lines;
      std::istringstream in(out);
      for (std::string l; std::getline(in, l);) lines.push_back(l);
      ASSERT_EQ(lines.size(), c.errors.size()) << out;
      for (std::size_t i = 0; i < lines.size(); ++i)
        EXPECT_EQ(lines[i].rfind(conf + ":" + c.errors[i], 0), 0u) << lines[i];
    }
  }
  EXPECT_FALSE(exists(dir / "state"));  // touched nothing
  auto ok = run_rotated(
      {"--config", write_config(dir, "[[file]]\npath = \"/tmp/x.log\"\nkeep = 3\nevery = \"5m\"\n"), "--check"});
  EXPECT_EQ(ok.first, 0) << ok.second;
  EXPECT_EQ(ok.second, dir / "rotated.toml" + ": valid, 1 file(s)\n");
  auto usage = run_rotated({"--config", dir / "rotated.toml", "--schedule", "2026-01-01"});
  EXPECT_EQ(usage.first, 2) << usage.second;
}

TEST(rotated_e2e, sighup_with_a_broken_configuration_keeps_the_daemon_running_on_the_old_one) {
  temp_dir dir;
  std::string a = dir / "a.log", b = dir / "b.log";
  write_text(a, "");
  write_text(b, "");
  std::string conf = write_config(dir, "[[file]]\npath = \"" + a + "\"\nkeep = 50\nevery = \"100ms\"\n");
  std::string outp = dir / "rotated.out";
  pid_t daemon = start_rotated({"--config", conf, "--foreground", "--state-dir", dir / "state"}, outp);
  auto output = [&] { return read_text(outp).value_or(""); };
  auto rotations_of = [&](const std::string& p) { return count_of(output(), "rotated " + p + " ("); };
  ASSERT_TRUE(wait_until([&] { return rotations_of(a) >= 2; }, 5s)) << output();
  write_config(dir, "[[file]]\npath = \"" + b + "\"\nkeep = 50\nevery = \"soon\"\n");
  ::kill(daemon, SIGHUP);
  // The daemon writes "keeping the previous configuration:" and then each
  // error on a line of its own: wait for the error line, not the first one.
  const std::string error_line = "error: " + conf + ":4: 'every': invalid duration \"soon\"";
  ASSERT_TRUE(wait_until([&] { return output().find(error_line) != std::string::npos; }, 5s)) << output();
  EXPECT_NE(output().find("keeping the previous configuration"), std::string::npos) << output();
  std::size_t before = rotations_of(a);
  ASSERT_TRUE(wait_until([&] { return rotations_of(a) >= before + 3; }, 5s)) << "the old configuration stopped\n"
                                                                             << output();
  EXPECT_EQ(::waitpid(daemon, nullptr, WNOHANG), 0);  // still running
  // A valid configuration then takes over.
  write_config(dir, "[[file]]\npath = \"" + b + "\"\nkeep = 50\nevery = \"100ms\"\n");
  ::kill(daemon, SIGHUP);
  ASSERT_TRUE(wait_until([&] { return output().find("reloaded " + conf) != std::string::npos; }, 5s)) << output();
  ASSERT_TRUE(wait_until([&] { return rotations_of(b) >= 2; }, 5s)) << output();
  std::size_t a_after = rotations_of(a);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(rotations_of(a), a_after);  // a.log is no longer watched
  ::kill(daemon, SIGTERM);
  auto status = wait_exit(daemon, 10s);
  ASSERT_TRUE(status) << output();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << output();
}

// A change of time zone (the zone file replaced, as timedatectl or a
// tzdata upgrade does) is followed on SIGHUP: the reload's line is stamped,
// and reports the local time, under the new zone, also when the
// configuration cannot be reloaded. No clock is waited for: the stamps
// carry the UTC offset.
TEST(rotated_e2e, sighup_follows_a_changed_time_zone_file) {
  temp_dir dir;
  std::string zone = dir / "localtime";
  auto install = [&](const char* name) {
    write_text(zone + ".new", read_text(std::string("/usr/share/zoneinfo/") + name).value());
    ASSERT_EQ(::rename((zone + ".new").c_str(), zone.c_str()), 0);
  };
  install("Etc/GMT+5");  // UTC-05:00 all year (POSIX sign)
  write_text(dir / "a.log", "");
  std::string conf = write_config(dir, "[[file]]\npath = \"" + dir / "a.log" + "\"\nkeep = 2\ndaily = true\n");
  std::string outp = dir / "rotated.out";
  pid_t daemon = start_rotated({"--config", conf, "--foreground", "--state-dir", dir / "state"}, outp, {{"TZ", zone}});
  auto output = [&] { return read_text(outp).value_or(""); };
  // "2026-12-07T03:00:00.123-05:00 reloaded ...; local time 2026-12-07T03:00:00-05:00"
  const std::regex started(R"(\.\d{3}-05:00 started: watching 1 file)");
  ASSERT_TRUE(wait_until([&] { return std::regex_search(output(), started); }, 5s)) << output();
  install("Asia/Tokyo");
  ::kill(daemon, SIGHUP);
  const std::regex reloaded(R"(\.\d{3}\+09:00 reloaded .*; local time \S+\+09:00\n)");
  ASSERT_TRUE(wait_until([&] { return std::regex_search(output(), reloaded); }, 5s)) << output();
  install("Etc/GMT-3");  // UTC+03:00
  write_config(dir, "[[file]]\npath = \"" + dir / "a.log" + "\"\nkeep = 2\ndaily = \"25:00\"\n");
  ::kill(daemon, SIGHUP);
  const std::regex kept(
      R"(\.\d{3}\+03:00 restarted the triggers on the previous configuration; local time \S+\+03:00\n)");
  ASSERT_TRUE(wait_until([&] { return std::regex_search(output(), kept); }, 5s)) << output();
  ::kill(daemon, SIGTERM);
  auto status = wait_exit(daemon, 10s);
  ASSERT_TRUE(status) << output();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << output();
}

TEST(rotated_e2e, sigterm_during_a_rotation_lets_it_finish_then_exits_0) {
  temp_dir dir;
  std::string log = dir / "app.log";
  write_text(log, "current\n");
  write_text(log + ".1", "one\n");
  write_text(log + ".2", "two\n");
  std::string conf = write_config(dir, "[[file]]\npath = \"" + log + "\"\nkeep = 3\nevery = \"1h\"\n");
  ASSERT_EQ(::mkdir((dir / "state").c_str(), 0700), 0);
  // Last rotated in 2001: a catch-up rotation begins at once.
  write_text(dir / "state/state", "1000000000000000000 2001-09-09T01:46:40Z " + log + "\n", 0600);
  std::string outp = dir / "rotated.out";
  pid_t daemon = start_rotated({"--config", conf, "--foreground", "--state-dir", dir / "state"}, outp,
                               {{"ROTATED_DEBUG_STEP_DELAY_US", "300000"}});
  // The journal appears when the rotation begins (its steps take 300 ms each).
  ASSERT_TRUE(wait_until([&] { return !rotated_test::pending_journals(dir / "state").empty(); }, 5s));
  ::kill(daemon, SIGTERM);
  auto status = wait_exit(daemon, 10s);
  std::string out = read_text(outp).value_or("");
  ASSERT_TRUE(status) << out;
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << out;
  EXPECT_NE(out.find("rotated " + log + " (catch-up"), std::string::npos) << out;
  EXPECT_LT(out.find("rotated " + log), out.find("stopped:")) << out;
  EXPECT_EQ(read_text(log), "");
  EXPECT_EQ(read_text(log + ".1"), "current\n");
  EXPECT_EQ(read_text(log + ".2"), "one\n");
  EXPECT_EQ(read_text(log + ".3"), "two\n");
  EXPECT_TRUE(rotated_test::pending_journals(dir / "state").empty());
}

TEST(rotated_e2e, schedule_prints_each_rotation_with_utc_and_local_offset_under_tz) {
  temp_dir dir;
  std::string conf = write_config(dir,
                                  "[[file]]\npath = \"/var/log/app.log\"\nkeep = 3\ndaily = \"00:00\"\n"
                                  "[[file]]\npath = \"/var/log/half.log\"\nkeep = 3\ndaily = \"02:30\"\n");
  auto [rc, out] = run_rotated({"--config", conf, "--schedule", "2026-03-07T12:00:00-05:00", "2026-03-09T12:00"},
                               {{"TZ", "America/New_York"}});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out,
            "/var/log/app.log 2026-03-08T05:00:00Z 2026-03-08T00:00:00-05:00\n"
            "/var/log/half.log 2026-03-08T07:00:00Z 2026-03-08T03:00:00-04:00\n"
            "/var/log/app.log 2026-03-09T04:00:00Z 2026-03-09T00:00:00-04:00\n"
            "/var/log/half.log 2026-03-09T06:30:00Z 2026-03-09T02:30:00-04:00\n");
}

TEST(rotated_e2e, once_catches_up_from_the_state_and_dry_run_changes_nothing) {
  temp_dir dir;
  std::string a = dir / "a.log", b = dir / "b.log";
  write_text(a, "a\n");
  write_text(b, "b\n");
  std::string conf = write_config(dir, "[[file]]\npath = \"" + a + "\"\nkeep = 2\nevery = \"1h\"\n[[file]]\npath = \"" +
                                           b + "\"\nkeep = 2\nevery = \"1d\"\n");
  ASSERT_EQ(::mkdir((dir / "state").c_str(), 0700), 0);
  auto now_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch());
  std::string state = std::to_string((now_ns - 2h).count()) + " x " + a + "\n" +
                      std::to_string((now_ns - 1min).count()) + " x " + b + "\n";
  write_text(dir / "state/state", state, 0600);
  std::vector<std::string> args{"--config", conf, "--once", "--state-dir", dir / "state"};
  auto dry = args;
  dry.push_back("--dry-run");
  auto [drc, dout] = run_rotated(dry);
  EXPECT_EQ(drc, 0) << dout;
  EXPECT_NE(dout.find("would rotate " + a + " (interval: due "), std::string::npos) << dout;
  EXPECT_NE(dout.find("summary: 1 would rotate, 0 skipped, 0 failed"), std::string::npos) << dout;
  EXPECT_FALSE(exists(a + ".1"));
  EXPECT_EQ(read_text(dir / "state/state"), state);
  auto [rc, out] = run_rotated(args);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("summary: 1 rotated, 0 skipped, 0 failed"), std::string::npos) << out;
  EXPECT_EQ(read_text(a + ".1"), "a\n");
  EXPECT_FALSE(exists(b + ".1"));
  // Right after, nothing is due any more.
  auto again = run_rotated(args);
  EXPECT_NE(again.second.find("summary: 0 rotated, 0 skipped, 0 failed"), std::string::npos) << again.second;
}

// Only versions rotated made are removed: with keep = 9 an app.log.10 is
// somebody else's; when keep shrinks to 2, the state's record of the 9
// versions the last rotation kept lets it drop .3 to .9, and still not .10.
TEST(rotated_e2e, keep_9_never_removes_an_unrelated_app_log_10_and_a_smaller_keep_drops_only_its_own) {
  temp_dir dir;
  std::string log = dir / "app.log";
  write_text(log + ".10", "not rotated's\n");
  auto conf = [&](int keep) {
    return write_config(dir, "[[file]]\npath = \"" + log + "\"\nkeep = " + std::to_string(keep) + "\nevery = \"1h\"\n");
  };
  std::vector<std::string> args{"--config", conf(9), "--force", "--state-dir", dir / "state"};
  for (int gen = 1; gen <= 10; ++gen) {
    write_text(log, "gen " + std::to_string(gen) + "\n");
    auto [rc, out] = run_rotated(args);
    ASSERT_EQ(rc, 0) << out;
  }
  EXPECT_EQ(read_text(log + ".9"), "gen 2\n");
  EXPECT_EQ(read_text(log + ".10"), "not rotated's\n");
  conf(2);
  write_text(log, "gen 11\n");
  auto [rc, out] = run_rotated(args);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(list_dir(dir.path()),
            (std::vector<std::string>{"app.log", "app.log.1", "app.log.10", "app.log.2", "rotated.toml", "state"}));
  EXPECT_EQ(read_text(log + ".1"), "gen 11\n");
  EXPECT_EQ(read_text(log + ".2"), "gen 10\n");
  EXPECT_EQ(read_text(log + ".10"), "not rotated's\n");
}

// --import-logrotate over logrotate.d files in the style of Debian's
// packages: its output is a configuration that --check accepts, alone and
// all together; an unreadable file exits 2.
TEST(rotated_e2e, import_logrotate_output_passes_check) {
  temp_dir dir;
  const std::string fixtures = ROTATED_FIXTURES;
  std::vector<std::pair<std::vector<std::string>, int>> runs = {
      {{"logrotate"}, 2}, {{"rsyslog"}, 6}, {{"nginx"}, 1},
      {{"apt"}, 2},       {{"dpkg"}, 2},    {{"logrotate", "rsyslog", "nginx", "apt", "dpkg"}, 13}};
  for (const auto& [names, files] : runs) {
    std::vector<std::string> args{"--import-logrotate"};
    for (const auto& n : names) args.push_back(fixtures + "/" + n);
    auto [rc, out] = run_rotated(args);
    ASSERT_EQ(rc, 0) << out;
    write_text(dir / "imported.toml", out, 0600);
    auto [crc, cout] = run_rotated({"--config", dir / "imported.toml", "--check"});
    EXPECT_EQ(crc, 0) << cout << "\n---\n" << out;
    EXPECT_EQ(cout, dir / "imported.toml" + ": valid, " + std::to_string(files) + " file(s)\n");
  }
  auto [rc, out] = run_rotated({"--import-logrotate", dir / "missing"});
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find(dir / "missing: cannot read"), std::string::npos) << out;
}

// A logrotate block of two files with olddir, createolddir, sharedscripts,
// firstaction and lastaction, imported, checked and rotated by --force:
// the versions land in the created olddir and each group hook runs once.
TEST(rotated_e2e, an_imported_group_with_olddir_rotates_into_it_and_runs_its_hooks_once) {
  temp_dir dir;
  write_text(dir / "a.log", "a\n");
  write_text(dir / "b.log", "b\n");
  write_text(dir / "logrotate.conf", dir / "a.log " + dir / "b.log" +
                                         " {\n  rotate 2\n  olddir old\n  createolddir 0750 root root\n"
                                         "  sharedscripts\n  firstaction\n    /usr/bin/touch " +
                                         dir / "first" + "\n  endscript\n  postrotate\n    /usr/bin/touch " +
                                         dir / "post" + "\n  endscript\n  lastaction\n    /usr/bin/touch " +
                                         dir / "last" + "\n  endscript\n}\n");
  auto [irc, toml] = run_rotated({"--import-logrotate", dir / "logrotate.conf"});
  ASSERT_EQ(irc, 0) << toml;
  write_text(dir / "rotated.toml", toml, 0600);
  auto [crc, cout] = run_rotated({"--config", dir / "rotated.toml", "--check"});
  EXPECT_EQ(cout, dir / "rotated.toml" + ": valid, 2 file(s)\n") << toml;
  auto [rc, out] = run_rotated({"--config", dir / "rotated.toml", "--force", "--state-dir", dir / "state"});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(list_dir(dir / "old"), (std::vector<std::string>{"a.log.1", "b.log.1"})) << out;
  EXPECT_EQ(read_text(dir / "old/a.log.1"), "a\n");
  for (const char* hook : {"firstaction of ", "postrotate of ", "lastaction of "}) {
    std::size_t first = out.find(hook);
    EXPECT_NE(first, std::string::npos) << hook << "\n" << out;
    EXPECT_EQ(out.find(hook, first + 1), std::string::npos) << hook << " ran twice\n" << out;
  }
  for (const char* mark : {"first", "post", "last"}) EXPECT_TRUE(exists(dir / mark)) << mark;
}

TEST(rotated_e2e, the_bundled_example_and_demo_configurations_are_valid) {
  temp_dir dir;
  // Copied, so that the copy is ours and private whoever owns the checkout.
  std::string example = read_text(std::string(ROTATED_EXAMPLES) + "/rotated.example.toml").value();
  write_text(dir / "example.toml", example, 0644);
  auto [rc, out] = run_rotated({"--config", dir / "example.toml", "--check"});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out, dir / "example.toml" + ": valid, 3 file(s)\n");
  // The demo's, with demo.sh's substitutions.
  std::string demo = read_text(std::string(ROTATED_EXAMPLES) + "/demo.toml").value();
  demo = std::regex_replace(demo, std::regex("@DIR@"), dir.path());
  demo = std::regex_replace(demo, std::regex("@DAILY_AT@"), "12:34:56");
  write_text(dir / "demo.toml", demo, 0600);
  auto [drc, dout] = run_rotated({"--config", dir / "demo.toml", "--check"});
  EXPECT_EQ(drc, 0) << dout;
  EXPECT_EQ(dout, dir / "demo.toml" + ": valid, 4 file(s)\n");
}

// One instance per state directory: a --once --force beside a daemon (the
// lock held here, as a daemon holds it) exits 3 with the reason and touches
// nothing; with --wait it rotates once the lock is free.
TEST(rotated_e2e, a_second_instance_on_the_same_state_directory_exits_3_or_waits) {
  temp_dir dir;
  std::string state = dir / "state";
  ASSERT_EQ(::mkdir(state.c_str(), 0700), 0);
  write_text(dir / "a.log", "x\n");
  std::string conf = write_config(dir, "[[file]]\npath = \"" + dir / "a.log" + "\"\nkeep = 2\nevery = \"1h\"\n");
  int held = ::open(state.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_EQ(::flock(held, LOCK_EX | LOCK_NB), 0);
  auto [rc, out] = run_rotated({"--config", conf, "--force", "--state-dir", state});
  EXPECT_EQ(rc, 3) << out;
  EXPECT_NE(out.find("another rotated is running on the state directory " + state), std::string::npos) << out;
  EXPECT_FALSE(exists(dir / "a.log.1"));
  pid_t waiting = start_rotated({"--config", conf, "--force", "--wait", "--state-dir", state}, dir / "wait.out");
  ::close(held);
  auto status = wait_exit(waiting, 20s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << read_text(dir / "wait.out").value_or("");
  EXPECT_EQ(read_text(dir / "a.log.1"), "x\n");
}

TEST(rotated_e2e, a_runtime_failure_exits_1) {
  temp_dir dir;
  write_text(dir / "not-a-dir", "");
  std::string conf = write_config(dir, "[[file]]\npath = \"" + dir / "a.log" + "\"\nkeep = 2\nevery = \"1h\"\n");
  auto [rc, out] = run_rotated({"--config", conf, "--once", "--state-dir", dir / "not-a-dir/state"});
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("error: mkdir " + dir / "not-a-dir/state" + ": Not a directory"), std::string::npos) << out;
}

}  // namespace
