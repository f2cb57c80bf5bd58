// rotated: the file-rotation daemon built on weft (docs/rotated.md).
//
// Exit status: 0 success, 2 configuration (or command line) error,
// 1 runtime failure, 3 another instance holds the state directory.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <weft/loop.hpp>
#include <weft/signal.hpp>

#include "civil_time.hpp"
#include "config.hpp"
#include "scheduler.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "logrotate_import.hpp"
#include "patterns.hpp"
#include "schedule.hpp"
#include "service.hpp"
#include "state.hpp"

namespace {

constexpr int exit_ok = 0;
constexpr int exit_runtime = 1;
constexpr int exit_config = 2;
constexpr int exit_locked = 3;

constexpr const char* default_state_dir = "/var/lib/rotated";

struct options {
  std::string config_path;
  bool foreground = false;
  bool once = false;
  bool force = false;
  bool dry_run = false;
  bool check = false;
  bool wait = false;
  std::vector<std::string> schedule;
  std::vector<std::string> import_logrotate;
  std::string state_dir;
  std::string log_level = "info";
};

void print_errors(const std::vector<std::string>& errors) {
  for (const std::string& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
}

int print_schedule(const rotated::config& cfg, const std::vector<std::string>& range) {
  auto from = rotated::parse_iso8601(range[0]);
  auto until = rotated::parse_iso8601(range[1]);
  if (!from || !until) {
    std::fprintf(stderr, "rotated: --schedule wants two ISO 8601 instants, e.g. 2026-03-01T00:00:00Z 2026-04-01\n");
    return exit_config;
  }
  std::string out;
  rotated::for_each_scheduled(cfg, *from, *until, [&](const rotated::scheduled_rotation& r) {
    out += rotated::schedule_line(r);
    out += '\n';
    if (out.size() > (1 << 16)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
    return true;
  });
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? exit_ok : exit_runtime;
}

// One instance per state directory (two would race their cascades, their
// state saves and the shared journal): the first holds an flock on it
// until it exits. Another exits with exit_locked, or with --wait waits for
// the lock, giving up on SIGTERM or SIGINT. Empty: give up.
rotated::unique_fd lock_state_dir(const std::string& state_dir, bool wait) {
  using namespace rotated;
  for (;;) {
    if (unique_fd lock = try_lock_directory(state_dir)) return lock;
    if (!wait) {
      log::error("another rotated is running on the state directory " + state_dir + "; exiting (--wait waits for it)");
      return {};
    }
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    timespec tick{0, 100'000'000};  // flock has no timeout: poll, and stay stoppable
    if (::sigtimedwait(&stop, nullptr, &tick) > 0) return {};
  }
}

// The configuration with each pattern entry replaced by its current
// matches (patterns.hpp), what matched nothing logged.
rotated::config with_matches(const rotated::config& cfg) {
  std::vector<std::string> notes;
  rotated::config out = rotated::expand_patterns(cfg, &notes);
  for (const std::string& n : notes) rotated::log::warning(n);
  return out;
}

int run(const options& opt, rotated::config cfg) {
  using namespace rotated;
  bool one_shot = opt.once || opt.force || opt.dry_run;
  std::string state_dir = !opt.state_dir.empty()   ? opt.state_dir
                          : !cfg.state_dir.empty() ? cfg.state_dir
                                                   : default_state_dir;
  bool as_root = ::geteuid() == 0;
  engine_options eo;
  eo.state_dir = state_dir;
  eo.as_root = as_root;
  if (const char* d = std::getenv("ROTATED_DEBUG_STEP_DELAY_US"))
    eo.step_delay = std::chrono::microseconds(std::atoll(d));

  unique_fd lock;
  if (!opt.dry_run) {
    make_directories(state_dir, 0700);
    lock = lock_state_dir(state_dir, opt.wait);
    if (!lock) return exit_locked;
  }
  weft::loop lp;
  return lp.run_until_complete([&]() -> int {
    std::vector<std::string> warnings;
    state_table state = load_state(state_dir, &warnings);
    for (const std::string& w : warnings) log::warning(state_dir + "/" + state_file_name + ": " + w);
    service svc(eo, opt.dry_run);
    cfg = with_matches(cfg);
    svc.recover(cfg, state);
    scheduler_options dopts;
    dopts.dry_run = opt.dry_run;
    scheduler d(cfg, state, svc.hooks(), dopts);
    if (one_shot) {
      log::info(std::string(opt.dry_run ? "dry run"
                            : opt.force ? "forced run"
                                        : "one run") +
                " over " + std::to_string(cfg.files.size()) + " file(s) from " + cfg.source);
      run_summary s = d.run_once(opt.force);
      log::info(std::string("summary: ") + std::to_string(s.rotated) +
                (opt.dry_run ? " would rotate, " : " rotated, ") + std::to_string(s.skipped) + " skipped, " +
                std::to_string(s.failed) + " failed");
      return s.failed == 0 ? exit_ok : exit_runtime;
    }
    weft::signal_set signals({SIGHUP, SIGINT, SIGTERM});
    d.start();
    log::info("started: watching " + std::to_string(cfg.files.size()) + " file(s) from " + cfg.source + ", state in " +
              state_dir);
    for (;;) {
      int sig = signals.wait();
      if (sig == SIGHUP) {
        // The zone first (a changed /etc/localtime, a new tzdata): the
        // restarted triggers compute their deadlines under it, even when
        // the configuration cannot be reloaded.
        refresh_time_zone();
        const std::string zone = "local time " + format_local(wall_clock::now());
        config_result r = load_config(opt.config_path, as_root);
        if (!r.value) {
          log::error("reload failed; keeping the previous configuration:");
          for (const std::string& e : r.errors) log::error(e);
          d.reload(config(d.current()));
          log::info("restarted the triggers on the previous configuration; " + zone);
          continue;
        }
        if (!r.value->state_dir.empty() && r.value->state_dir != state_dir && opt.state_dir.empty())
          log::warning("state_dir changed in the configuration; it takes effect on restart");
        d.reload(with_matches(*r.value));
        log::info("reloaded " + opt.config_path + ": watching " + std::to_string(d.current().files.size()) +
                  " file(s); " + zone);
        continue;
      }
      log::info(std::string("stopping on ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") +
                " (a rotation in progress finishes first)");
      d.stop();
      log::info("stopped: " + std::to_string(d.totals().rotated) + " rotation(s) in this run");
      return exit_ok;
    }
  });
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread starts, so that no thread takes them the default way;
  // the loop reads them from a signalfd.
  weft::block_signals({SIGHUP, SIGINT, SIGTERM});

  options opt;
  CLI::App app{"rotated: rotates files by interval, local time of day and size, keeping K versions"};
  app.set_version_flag("--version", std::string("rotated ") + ROTATED_VERSION + " (weft)");
  app.add_option("--config,-c", opt.config_path, "The TOML configuration file (required but with --import-logrotate)");
  app.add_option("--import-logrotate", opt.import_logrotate,
                 "Print the rotated configuration equivalent to these logrotate files, then exit")
      ->type_name("FILE...");
  app.add_flag("--foreground,-f", opt.foreground, "Log to stderr instead of syslog");
  app.add_flag("--once", opt.once, "Perform the rotations due now (catching up from the state), then exit");
  app.add_flag("--force", opt.force, "Rotate every file now, then exit");
  app.add_flag("--dry-run,-n", opt.dry_run, "Print what would be done; change nothing");
  app.add_flag("--wait", opt.wait, "If another rotated holds the state directory, wait for it instead of exiting 3");
  app.add_flag("--check", opt.check, "Validate the configuration and exit (0 if valid, 2 with FILE:LINE: errors)");
  app.add_option("--schedule", opt.schedule,
                 "Print every time-triggered rotation between two ISO 8601 instants (TZ honoured), then exit")
      ->expected(2)
      ->type_name("FROM UNTIL");
  app.add_option("--state-dir", opt.state_dir,
                 std::string("Where the state and journals live (default ") + default_state_dir + ")");
  app.add_option("--log-level", opt.log_level, "error, warning, info or debug")
      ->check(CLI::IsMember({"error", "warning", "info", "debug"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? exit_ok : exit_config;
  }

  using namespace rotated;
  if (!opt.import_logrotate.empty()) {
    import_result imported = rotated::import_logrotate(opt.import_logrotate);
    std::fwrite(imported.toml.data(), 1, imported.toml.size(), stdout);
    print_errors(imported.errors);
    if (imported.files == 0) std::fprintf(stderr, "rotated: no file could be translated\n");
    return std::fflush(stdout) != 0 ? exit_runtime : imported.errors.empty() ? exit_ok : exit_config;
  }
  if (opt.config_path.empty()) {
    std::fprintf(stderr, "rotated: --config is required\n%s", app.help().c_str());
    return exit_config;
  }
  log::set_level(*parse_log_level(opt.log_level));
  bool interactive = opt.foreground || opt.once || opt.force || opt.dry_run || opt.check || !opt.schedule.empty();
  if (!interactive) log::to_syslog();

  bool as_root = ::geteuid() == 0;
  config_result loaded = load_config(opt.config_path, as_root);
  if (!loaded.value) {
    print_errors(loaded.errors);
    if (!interactive)
      for (const std::string& e : loaded.errors) log::error(e);
    return exit_config;
  }
  if (opt.check) {
    std::printf("%s: valid, %zu file(s)\n", opt.config_path.c_str(), loaded.value->files.size());
    return exit_ok;
  }
  if (!opt.schedule.empty()) return print_schedule(*loaded.value, opt.schedule);
  try {
    return run(opt, std::move(*loaded.value));
  } catch (const std::exception& e) {
    log::error(e.what());
    return exit_runtime;
  }
}
