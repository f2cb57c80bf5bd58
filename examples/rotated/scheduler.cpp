#include "scheduler.hpp"

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <utility>

#include <weft/fd_wait.hpp>
#include <weft/sync/event.hpp>
#include <weft/sync/mutex.hpp>
#include <weft/task.hpp>

#include "log.hpp"

namespace rotated {

using namespace std::chrono_literals;

struct scheduler::watched {
  explicit watched(file_policy f) : policy(std::move(f)), lock(policy.path), modified(policy.path) {}
  file_policy policy;
  weft::mutex lock;            // held for a whole rotation: a file's triggers never overlap
  weft::event modified;        // `watch`: set when inotify reports a write
  int wd = -1;                 // its inotify watch, on the inode now at the path
  bool prepared = false;       // hooks.prepare done since the last rotation
  directory_handle directory;  // its last rotation's, until hooks.prepare takes it
};

namespace {

std::optional<std::uint64_t> lstat_size(const file_policy& f) {
  struct stat st {};
  if (::lstat(f.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return static_cast<std::uint64_t>(st.st_size);
}

}  // namespace

scheduler::scheduler(config cfg, state_table& state, scheduler_hooks hooks, scheduler_options options)
    : config_(std::move(cfg)), state_(state), hooks_(std::move(hooks)), options_(std::move(options)) {
  if (!hooks_.size_of) hooks_.size_of = lstat_size;
}

scheduler::~scheduler() {
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
}

wall_time scheduler::wall_now() const {
  if (options_.wall) return options_.wall();
  return weft::loop::current()->wall_now();
}

void scheduler::nap(wall_clock::duration d) {
  auto step = std::min<std::chrono::nanoseconds>(d, options_.max_nap);
  weft::sleep_for(std::chrono::duration_cast<weft::loop::duration>(std::max<std::chrono::nanoseconds>(step, 0ns)));
}

void scheduler::baseline(wall_time now) {
  bool changed = false;
  for (const file_policy& f : config_.files) {
    if (!state_.last(f.path)) {
      if (options_.dry_run) continue;
      state_.set(f.path, now);
      changed = true;
    }
  }
  if (changed) commit({});
}

void scheduler::start() {
  if (!tasks_.empty()) return;
  files_.clear();
  for (const file_policy& f : config_.files) files_.push_back(std::make_unique<watched>(f));
  baseline(wall_now());
  weft::task_options opts;
  opts.stack_size = options_.stack_size;
  bool any_watch = false;
  for (auto& w : files_) any_watch = any_watch || (w->policy.max_size && w->policy.watch);
  if (any_watch) {
    if (inotify_fd_ < 0) inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (inotify_fd_ < 0)
      log::error(std::string("inotify unavailable (") + std::strerror(errno) +
                 "); size checks keep their interval only");
    else tasks_.push_back(weft::spawn([this] { run_inotify(); }, {.name = "inotify"}));
  }
  for (auto& w : files_) {
    watched* p = w.get();
    if (p->policy.every) {
      std::string name = "interval:" + p->policy.path;
      opts.name = name;
      tasks_.push_back(weft::spawn([this, p] { run_timed(*p, trigger_kind::interval); }, opts));
    }
    if (p->policy.calendar) {
      std::string name = std::string(to_string(p->policy.calendar->period)) + ":" + p->policy.path;
      opts.name = name;
      tasks_.push_back(weft::spawn([this, p] { run_timed(*p, trigger_kind::calendar); }, opts));
    }
    if (p->policy.max_size) {
      std::string name = "size:" + p->policy.path;
      opts.name = name;
      tasks_.push_back(weft::spawn([this, p] { run_size(*p); }, opts));
    }
  }
}

void scheduler::stop() {
  halt();
  unprepare_except({});
}

void scheduler::halt() {
  // A trigger that is behind schedule goes from one shielded rotation
  // straight to the next without ever suspending outside a shield, so a
  // cancel() alone may never be delivered: it also checks stopping_.
  stopping_ = true;
  for (auto& t : tasks_) t.cancel();
  for (auto& t : tasks_) {
    try {
      t.join();
    } catch (const weft::cancelled&) {
    } catch (const std::exception& e) {
      log::error(std::string("trigger task ") + std::string(t.name()) + " failed: " + e.what());
    }
  }
  tasks_.clear();
  for (const auto& [wd, w] : by_wd_) ::inotify_rm_watch(inotify_fd_, wd);
  by_wd_.clear();
  if (saver_.valid() && !saver_.done()) {
    try {
      saver_.join();
    } catch (...) {
    }
  }
  stopping_ = false;
}

void scheduler::reload(config cfg) {
  halt();
  unprepare_except(cfg);
  config_ = std::move(cfg);
  start();
}

void scheduler::unprepare_except(const config& kept) {
  if (!hooks_.unprepare) return;
  std::vector<file_policy> dropped;
  for (const auto& w : files_) {
    bool still = std::any_of(kept.files.begin(), kept.files.end(),
                             [&](const file_policy& f) { return f.path == w->policy.path; });
    if (w->prepared && !still) {
      dropped.push_back(w->policy);
      w->prepared = false;
    }
  }
  if (!dropped.empty()) hooks_.unprepare(dropped);
}

void scheduler::prepare(watched& w) {
  if (!hooks_.prepare || w.prepared) return;
  std::lock_guard guard(w.lock);
  if (w.prepared) return;  // the file's other trigger did it meanwhile
  try {
    hooks_.prepare(w.policy, std::exchange(w.directory, {}));
    w.prepared = true;
  } catch (const weft::cancelled&) {
    throw;
  } catch (const std::exception& e) {
    log::warning("cannot prepare the next rotation of " + w.policy.path +
                 " (it will create its file then): " + e.what());
  }
}

void scheduler::run_timed(watched& w, trigger_kind kind) {
  const file_policy& f = w.policy;
  std::optional<wall_time> seen;  // the last rotation the cached deadline derives from
  wall_time anchor{};             // interval: where the period starts
  wall_time due{};
  bool have_due = false;  // (not an optional: GCC 12 warns falsely about it)
  while (!stopping_) {
    try {
      prepare(w);
      wall_time last = state_.last(f.path).value_or(wall_now());
      if (seen != last) {
        seen = last;
        anchor = last;
        have_due = false;
      }
      wall_time now = wall_now();
      if (kind == trigger_kind::interval && now < anchor) {
        log::warning("the wall clock is behind the last rotation of " + f.path + " (" + format_local(anchor) +
                     "); its interval restarts now");
        anchor = now;
        have_due = false;
      }
      std::string future;  // set: the recorded last rotation lies beyond the next firing
      const std::string trigger = kind == trigger_kind::calendar ? to_string(f.calendar->period) : to_string(kind);
      if (kind == trigger_kind::calendar && calendar_last_in_the_future(f, last, now)) {
        future = trigger + ": the last rotation is recorded in the future (" + format_local(last) + ")";
        due = now;
        have_due = true;
      } else if (!have_due) {
        due = *(kind == trigger_kind::interval ? interval_due(f, anchor) : calendar_due(f, last));
        have_due = true;
      }
      if (now < due) {
        nap(due - now);
        continue;
      }
      if (held_back_by_min_size(f)) {
        weft::sleep_for(std::chrono::duration_cast<weft::loop::duration>(f.check_every));
        continue;
      }
      std::lock_guard guard(w.lock);
      if (stopping_) return;
      if (state_.last(f.path).value_or(last) != last) continue;  // another trigger rotated meanwhile
      now = wall_now();
      std::string reason = trigger;
      bool late = now - due > std::max<wall_clock::duration>(
                                  2s, std::chrono::duration_cast<wall_clock::duration>(options_.max_nap));
      if (late) reason = "catch-up: " + reason + " rotation was due " + format_local(due);
      if (!future.empty()) reason = future;
      wall_time at = now;
      if (kind == trigger_kind::interval && now - due < std::chrono::duration_cast<wall_clock::duration>(*f.every))
        at = due;  // on time: the next period starts from the deadline, without drift
      if (rotate_now(w, reason, at) == outcome::failed) {
        // Again a minute later (a period, when shorter), not in a tight loop.
        auto retry =
            kind == trigger_kind::interval
                ? std::min<wall_clock::duration>(60s, std::chrono::duration_cast<wall_clock::duration>(*f.every))
                : wall_clock::duration(60s);
        nap(retry);
      }
    } catch (const weft::cancelled&) {
      throw;
    } catch (const std::exception& e) {
      log::error("trigger " + std::string(to_string(kind)) + " of " + f.path + ": " + e.what());
      weft::sleep_for(1s);
    }
  }
}

void scheduler::watch_path(watched& w) {
  // The inode at the path changes with each rotation: watch the current one
  // (the same inode gives back the same descriptor).
  int wd = ::inotify_add_watch(inotify_fd_, w.policy.path.c_str(), IN_MODIFY | IN_DONT_FOLLOW);
  if (wd == w.wd) return;
  if (w.wd >= 0) {
    by_wd_.erase(w.wd);
    ::inotify_rm_watch(inotify_fd_, w.wd);
  }
  w.wd = wd;  // -1 while there is no file: the next check tries again
  if (wd >= 0) by_wd_[wd] = &w;
}

void scheduler::run_inotify() {
  alignas(inotify_event) char buf[4096];  // small: this runs on a fiber stack
  for (;;) {
    weft::wait_readable(inotify_fd_);
    for (;;) {
      ssize_t n = ::read(inotify_fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // EAGAIN: drained
      for (ssize_t at = 0; at < n;) {
        const auto* ev = reinterpret_cast<const inotify_event*>(buf + at);
        at += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
        auto it = by_wd_.find(ev->wd);
        if (it == by_wd_.end()) continue;
        if ((ev->mask & IN_IGNORED) != 0) {
          it->second->wd = -1;  // the inode went away
          by_wd_.erase(it);
        } else {
          it->second->modified.set();
        }
      }
    }
  }
}

void scheduler::run_size(watched& w) {
  const file_policy& f = w.policy;
  const bool watching = f.watch && inotify_fd_ >= 0;
  const auto period = std::chrono::duration_cast<weft::loop::duration>(f.check_every);
  const auto spacing = std::min<weft::loop::duration>(1s, period);  // inotify: at most one check a second
  std::optional<weft::loop::time_point> last_check;
  while (!stopping_) {
    try {
      prepare(w);
      if (watching) {
        watch_path(w);
        w.modified.clear();
      }
      last_check = weft::loop::current()->now();
      bool rotated = false;
      auto size = hooks_.size_of(f);
      if (size && *size > *f.max_size) {
        std::lock_guard guard(w.lock);
        if (stopping_) return;
        size = hooks_.size_of(f);  // again: another trigger may have rotated it
        if (size && *size > *f.max_size) {
          rotate_now(w, "size: " + std::to_string(*size) + " bytes > " + std::to_string(*f.max_size), wall_now());
          rotated = true;
        }
      }
      if (!watching) {
        weft::sleep_for(period);
      } else if (rotated || w.modified.wait_for(period)) {
        // Written to, or a new file at the path to watch (and check) from
        // the top: soon, but not more than once a second.
        weft::sleep_until(*last_check + spacing);
      }
    } catch (const weft::cancelled&) {
      throw;
    } catch (const std::exception& e) {
      log::error("size trigger of " + f.path + ": " + e.what());
      weft::sleep_for(1s);
    }
  }
}

outcome scheduler::rotate_now(watched& w, const std::string& reason, wall_time at) {
  weft::cancellation_shield shield;  // a rotation that has begun finishes
  rotation_result r = hooks_.rotate(w.policy, reason, at, state_.kept(w.policy.path));
  w.prepared = false;                              // its spare, if any, is the fresh file now
  if (!tasks_.empty()) w.directory = r.directory;  // daemon mode: prepare() follows
  switch (r.status) {
    case outcome::rotated: ++totals_.rotated; break;
    case outcome::skipped: ++totals_.skipped; break;
    case outcome::failed: ++totals_.failed; break;
  }
  // A failed rotation did not happen: the state keeps the last one that
  // did, and the trigger retries (run_timed). A skipped file (missing,
  // empty, refused) has spent its period: tried again at its next deadline.
  if (options_.dry_run || r.status == outcome::failed) return r.status;
  state_.set(w.policy.path, at);
  if (r.status == outcome::rotated) state_.set_kept(w.policy.path, w.policy.keep);
  commit(r.status == outcome::rotated ? r.journal : std::string());
  return r.status;
}

void scheduler::commit(const std::string& journal) {
  if (!hooks_.save) {
    if (hooks_.finish && !journal.empty()) hooks_.finish(journal);
    return;
  }
  std::uint64_t mine = ++changes_;
  while (saved_ < mine) {
    if (!saver_.valid() || saver_.done()) {
      saver_ = weft::spawn(
          [this] {
            std::uint64_t generation = changes_;
            state_table snapshot = state_;
            hooks_.save(snapshot);
            saved_ = std::max(saved_, generation);
          },
          {.name = "save-state"});
    }
    weft::task<void> current = saver_;
    try {
      current.join();
    } catch (const std::exception& e) {
      log::error(std::string("cannot save the state: ") + e.what());
      // The journal stays until a save succeeds (or a restart records it).
      if (!journal.empty()) unsaved_journals_.push_back(journal);
      return;
    }
  }
  if (!hooks_.finish) return;
  // The state just saved records every rotation whose save failed before.
  std::vector<std::string> backlog;
  backlog.swap(unsaved_journals_);
  for (const std::string& j : backlog) hooks_.finish(j);
  if (!journal.empty()) hooks_.finish(journal);
}

bool scheduler::held_back_by_min_size(const file_policy& f) {
  if (!f.min_size) return false;
  auto size = hooks_.size_of(f);  // none: the rotation reports the file missing
  if (!size || *size >= *f.min_size) return false;
  log::debug("not rotating " + f.path + " yet: " + std::to_string(*size) + " bytes < min_size " +
             std::to_string(*f.min_size));
  return true;
}

std::optional<std::string> scheduler::due_reason(const watched& w, wall_time now) {
  const file_policy& f = w.policy;
  if (auto last = state_.last(f.path); last && !held_back_by_min_size(f)) {
    const std::string period = f.calendar ? to_string(f.calendar->period) : "";
    if (calendar_last_in_the_future(f, *last, now))
      return period + ": the last rotation is recorded in the future (" + format_local(*last) + ")";
    if (auto d = interval_due(f, *last); d && *d <= now) return "interval: due " + format_local(*d);
    if (auto d = calendar_due(f, *last); d && *d <= now) return period + ": due " + format_local(*d);
  }
  if (f.max_size) {
    auto size = hooks_.size_of(f);
    if (size && *size > *f.max_size)
      return "size: " + std::to_string(*size) + " bytes > " + std::to_string(*f.max_size);
  }
  return std::nullopt;
}

run_summary scheduler::run_once(bool force) {
  files_.clear();
  for (const file_policy& f : config_.files) files_.push_back(std::make_unique<watched>(f));
  wall_time now = wall_now();
  baseline(now);
  run_summary before = totals_;
  std::vector<weft::task<void>> jobs;
  for (auto& w : files_) {
    std::optional<std::string> reason = force ? std::optional<std::string>("forced") : due_reason(*w, now);
    if (!reason) {
      log::debug("not due: " + w->policy.path);
      continue;
    }
    watched* p = w.get();
    jobs.push_back(weft::spawn([this, p, reason = *reason, now] {
      std::lock_guard guard(p->lock);
      rotate_now(*p, reason, now);
    }));
  }
  for (auto& j : jobs) {
    try {
      j.join();
    } catch (const std::exception& e) {
      log::error(std::string("rotation task failed: ") + e.what());
      ++totals_.failed;
    }
  }
  return {totals_.rotated - before.rotated, totals_.skipped - before.skipped, totals_.failed - before.failed};
}

}  // namespace rotated
