#include "service.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

#include <weft/executor.hpp>
#include <weft/process.hpp>

#include "fs.hpp"
#include "log.hpp"

extern char** environ;

namespace rotated {

namespace {

// The pidfile names no running process: the writer is not there to tell.
struct writer_gone : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A notify command ran past its timeout and was killed.
struct command_timeout : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : std::to_string(sig);
}

struct command_run {
  std::optional<int> status;  // exit status (>= 0) or -signal; none: killed at its timeout
  std::string text;           // "ran prog arg (exit status 0)", "killed prog after its timeout of 5s"
};

// Runs argv directly (no shell) as a weft::process on the loop, so that
// only the calling task waits: other files' rotations and SIGTERM go on.
// Past `timeout` the command is killed (SIGKILL). Returns how it ended.
command_run run_command(const std::vector<std::string>& command, const std::string& path,
                        std::chrono::nanoseconds timeout) {
  // The child learns which file rotated from ROTATED_FILE.
  weft::process_options po;
  po.env.emplace();
  for (char** e = environ; *e != nullptr; ++e)
    if (std::strncmp(*e, "ROTATED_FILE=", 13) != 0) po.env->emplace_back(*e);
  po.env->push_back("ROTATED_FILE=" + path);
  weft::process p = weft::process::spawn(command, po);
  std::optional<int> rc = p.wait_for(std::chrono::duration_cast<weft::loop::duration>(timeout));
  if (!rc) {
    p.kill(SIGKILL);
    p.wait();
    return {std::nullopt, "killed " + join(command, " ") + " after its timeout of " + format_duration(timeout)};
  }
  return {rc, "ran " + join(command, " ") + " (" +
                  (*rc >= 0 ? "exit status " + std::to_string(*rc) : "killed by " + signal_name(-*rc)) + ")"};
}

// Runs a hook (prerotate, postrotate, firstaction, lastaction); true when it exited 0 in time. Logs
// how it ended (an error when it did not succeed).
bool run_hook(const char* which, const hook_spec& hook, const std::string& path) {
  try {
    command_run c = run_command(hook.command, path, hook.timeout);
    if (c.status == 0) {
      log::info(std::string(which) + " of " + path + ": " + c.text);
      return true;
    }
    log::error(std::string(which) + " of " + path + " failed: " + c.text);
  } catch (const std::exception& e) {
    log::error(std::string(which) + " of " + path + " failed: " + e.what());
  }
  return false;
}

// The real uid of process `pid`, from /proc.
std::optional<uid_t> process_uid(pid_t pid) {
  unique_fd proc = open_directory("/proc");
  auto status = read_file_at(proc.get(), std::to_string(pid) + "/status");
  if (!status) return std::nullopt;
  auto at = status->find("\nUid:");
  if (at == std::string::npos) return std::nullopt;
  return static_cast<uid_t>(std::strtoul(status->c_str() + at + 5, nullptr, 10));
}

// Reads the pid from a pidfile and sends it the signal, believing the
// pidfile only when root (rotated's own user, when not root) or the
// configured user owns it and nobody else can write it, and signalling
// only a process of the configured user (root without one). A pidfd pins the process from
// the ownership check to the signal, so a pid reused in between is never
// signalled.
std::string signal_pidfile(const notify_spec& n) {
  const std::string& pidfile = n.pidfile;
  auto dir = pidfile.substr(0, pidfile.rfind('/'));
  unique_fd dfd = open_directory(dir.empty() ? "/" : dir);
  const std::string name = pidfile.substr(pidfile.rfind('/') + 1);
  unique_fd fd(::openat(dfd.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) throw_errno(errno, "pidfile " + pidfile);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno(errno, "fstat " + pidfile);
  if (!S_ISREG(st.st_mode)) throw_errno(EINVAL, "pidfile " + pidfile + " is not a regular file");
  if (st.st_uid != ::geteuid() && (!n.user || st.st_uid != *n.user))
    throw_errno(EPERM, "pidfile " + pidfile + " is owned by uid " + std::to_string(st.st_uid) +
                           ", not root or notify.user; not believed");
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    throw_errno(EPERM, "pidfile " + pidfile + " is writable by group or others; not believed");
  char buf[64] = {};
  ssize_t got = ::read(fd.get(), buf, sizeof buf - 1);
  if (got < 0) throw_errno(errno, "read " + pidfile);
  long pid = 0;
  std::size_t i = 0;
  while (buf[i] == ' ') ++i;
  std::size_t start = i;
  while (buf[i] >= '0' && buf[i] <= '9' && pid < 1000000000) pid = pid * 10 + (buf[i++] - '0');
  if (i == start || pid <= 1) throw_errno(EINVAL, "pidfile " + pidfile + " holds no usable pid");
  const std::string who = "pid " + std::to_string(pid) + " (" + pidfile + ")";
  unique_fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0)));
  if (!pidfd) {
    if (errno == ESRCH) throw writer_gone("no process " + who);
    throw_errno(errno, "pidfd_open " + who);
  }
  auto owner = process_uid(static_cast<pid_t>(pid));
  // Still alive after the read: /proc showed this process, not a successor.
  if (::syscall(SYS_pidfd_send_signal, pidfd.get(), 0, nullptr, 0) != 0 || !owner)
    throw writer_gone("no process " + who);
  const uid_t expected = n.user.value_or(::geteuid());
  if (*owner != expected)
    throw_errno(EPERM, who + " belongs to uid " + std::to_string(*owner) + ", not to uid " + std::to_string(expected) +
                           " (root, or notify.user); not signalled");
  if (::syscall(SYS_pidfd_send_signal, pidfd.get(), n.signal, nullptr, 0) != 0) {
    if (errno == ESRCH) throw writer_gone("no process " + who);
    throw_errno(errno, "signal " + who);
  }
  return "sent " + signal_name(n.signal) + " to " + who;
}

}  // namespace

service::service(engine_options options, bool dry_run, std::size_t threads)
    : engine_(std::move(options)), dry_run_(dry_run), pool_(threads) {}

scheduler_hooks service::hooks() {
  scheduler_hooks h;
  h.rotate = [this](const file_policy& f, const std::string& reason, wall_time at, unsigned kept_before) {
    return rotate(f, reason, at, kept_before);
  };
  if (!dry_run_) {
    std::string dir = engine_.options().state_dir;
    h.save = [this, dir](const state_table& s) {
      pool_.run([&] {
        engine_.sync_directories();  // the rotations this state records are durable first
        save_state(dir, s);
      });
    };
    h.prepare = [this](const file_policy& f, const directory_handle& dir) {
      pool_.run([&] { engine_.prepare(f, dir); });
    };
    h.unprepare = [this](const std::vector<file_policy>& files) {
      std::vector<std::string> errors = pool_.run([&] {
        std::vector<std::string> failed;
        for (const file_policy& f : files) {
          try {
            engine_.unprepare(f);
          } catch (const std::exception& e) {
            failed.push_back(e.what());
          }
        }
        return failed;
      });
      for (const std::string& e : errors) log::warning("cannot remove a spare fresh file: " + e);
    };
    h.finish = [this](const std::string& journal) {
      try {
        pool_.run([&] { engine_.finish(journal); });
      } catch (const std::exception& e) {
        log::error(e.what());
      }
    };
  }
  return h;
}

std::string service::notify(const file_policy& f) {
  if (!f.notify) return {};
  try {
    std::string did;
    if (!f.notify->pidfile.empty()) {
      did = pool_.run([&] { return signal_pidfile(*f.notify); });
    } else {
      command_run c = run_command(f.notify->command, f.path, f.notify->timeout);
      if (!c.status) throw command_timeout(c.text);
      did = c.text;
    }
    log::info("notified " + f.path + ": " + did);
    return did;
  } catch (const writer_gone& e) {
    log::warning("did not notify the writer of " + f.path + ": " + e.what());
    return e.what();
  } catch (const command_timeout& e) {
    log::warning("notifying the writer of " + f.path + ": " + e.what());
    return e.what();
  } catch (const std::exception& e) {
    log::error("cannot notify the writer of " + f.path + ": " + e.what());
    return e.what();
  }
}

rotation_result service::rotate(const file_policy& f, const std::string& reason, wall_time at, unsigned kept_before) {
  if (dry_run_) {
    auto lines = pool_.run([&] { return engine_.describe(f, kept_before); });
    bool skip = !lines.empty() && lines[0].rfind("would be ", 0) == 0;
    log::info((skip ? "" : "would rotate ") + f.path + " (" + reason + "): " + join(lines, "; "));
    return {skip ? outcome::skipped : outcome::rotated, {}};
  }
  const bool shared = f.shared_hooks && (f.prerotate || f.postrotate);
  if (!f.firstaction && !f.lastaction && !shared) return rotate_file(f, reason, at, kept_before, true);
  auto round = rounds_.join(f.group);
  auto close = [&] {
    if (shared && f.postrotate) run_hook("postrotate", *f.postrotate, f.path);
    if (f.lastaction) run_hook("lastaction", *f.lastaction, f.path);
  };
  rotation_result r{outcome::failed, {}};
  try {
    // Only a file that will rotate opens the round, and runs its hooks: a
    // group whose files are all missing or empty runs none.
    if (pool_.run([&] { return engine_.would_rotate(f, at, kept_before); }) != outcome::rotated) {
      r = rotate_file(f, reason, at, kept_before, false);  // which reports why not
    } else if (rounds_.open(*round, [&] {
                 if (f.firstaction && !run_hook("firstaction", *f.firstaction, f.path)) return false;
                 return !shared || !f.prerotate || run_hook("prerotate", *f.prerotate, f.path);
               })) {
      r = rotate_file(f, reason, at, kept_before, !shared);
    } else {
      log::error("failed to rotate " + f.path + " (" + reason + "): its group's " +
                 (f.firstaction ? "firstaction" : "shared prerotate") + " did not succeed");
    }
  } catch (...) {
    rounds_.leave(f.group, round, false, close);  // the round's other members go on
    throw;
  }
  rounds_.leave(f.group, round, r.status == outcome::rotated, close);
  return r;
}

rotation_result service::rotate_file(const file_policy& f, const std::string& reason, wall_time at,
                                     unsigned kept_before, bool own_hooks) {
  if (own_hooks && f.prerotate && !run_hook("prerotate", *f.prerotate, f.path)) {
    log::error("failed to rotate " + f.path + " (" + reason + "): its prerotate command did not succeed");
    return {outcome::failed, {}};
  }
  rotation_report r = pool_.run([&] { return engine_.rotate(f, at, kept_before); });
  switch (r.status) {
    case outcome::skipped:
      (f.missing_ok && r.reason.rfind("missing", 0) == 0 ? log::debug : log::warning)("skipped " + f.path + " (" +
                                                                                      reason + "): " + r.reason);
      return {outcome::skipped, {}};
    case outcome::failed:
      log::error("failed to rotate " + f.path + " (" + reason + "): " + r.reason +
                 (r.actions.empty() ? "" : "; done before the failure: " + join(r.actions, "; ")));
      return {outcome::failed, {}};
    case outcome::rotated: break;
  }
  log::info("rotated " + f.path + " (" + reason + "): " + join(r.actions, "; "));
  for (const std::string& w : r.warnings) log::warning(f.dir() + ": " + w);
  if (own_hooks && f.postrotate) run_hook("postrotate", *f.postrotate, f.path);
  notify(f);
  if (f.compress) {
    compress_report c = pool_.run([&] { return engine_.compress(f, r.versions); });
    for (const std::string& s : c.done) log::info("compressed " + f.dir() + "/" + s);
    for (const std::string& s : c.errors) log::error("compression in " + f.dir() + ": " + s);
    for (const std::string& s : c.deferred) log::warning("compression in " + f.dir() + ": " + s);
  }
  return {outcome::rotated, r.journal, r.directory};
}

std::size_t service::recover(const config& cfg, state_table& state) {
  if (dry_run_) return 0;
  auto done = pool_.run([&] { return engine_.recover(); });
  if (done.empty()) return 0;
  std::size_t completed = 0;
  for (const recovered_rotation& r : done) {
    if (r.path.empty()) {
      for (const std::string& a : r.actions) log::warning(a);
      continue;
    }
    ++completed;
    log::info("recovered " + r.path + " (a rotation interrupted at " + format_local(r.at) +
              "): " + (r.actions.empty() ? std::string("nothing was left to do") : join(r.actions, "; ")));
    auto last = state.last(r.path);
    if (!last || *last < r.at) state.set(r.path, r.at);
  }
  std::string dir = engine_.options().state_dir;
  pool_.run([&] { save_state(dir, state); });
  for (const recovered_rotation& r : done) {
    pool_.run([&] { engine_.finish(r.journal); });
  }
  // The writer may not have been told before the crash.
  for (const recovered_rotation& r : done)
    for (const file_policy& f : cfg.files)
      if (f.path == r.path) notify(f);
  return completed;
}

}  // namespace rotated
