// The engine's cascade and recovery: a rotation journaled and performed
// step by step, copytruncate, the bulk directory sync, and the replay of
// what a crash left in the journal.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <thread>

#include "engine_internal.hpp"
#include "fs.hpp"
#include "journal.hpp"

namespace rotated {

using namespace detail;

namespace {

// Performs one journaled step if its source is still the journaled file;
// a move never replaces an entry. Returns what it did, or an empty string
// if nothing was left to do.
std::string apply_step(const directories& d, const std::string& name, const journal_step& s) {
  const std::string from = name + s.from;
  if (!is_journaled_file(s, identity_at(d.of(s.from), from))) return {};
  if (s.kind == journal_step::drop) {
    if (::unlinkat(d.of(s.from), from.c_str(), 0) != 0) throw_errno(errno, "unlink " + from);
    return "dropped " + from;
  }
  const std::string to = name + s.to;
  if (!rename_noreplace(d.of(s.from), from, d.of(s.to), to)) throw_errno(EEXIST, "rename " + from + " -> " + to);
  return from + " -> " + to;
}

// Whether a compressed form of `version` is there (by either method: the
// journal does not record which).
bool compressed_since(int dirfd, const std::string& version) {
  for (std::string_view form : version_forms)
    if (!form.empty() && stat_at(dirfd, version + std::string(form))) return true;
  return false;
}

// Why a record is stale, or an empty string when each of its files is
// where the record says it was or where its step put it (a held version
// may be gone, dropped by the record itself, and a version compressed by
// the rotation's own compression). Only then is it replayed.
std::string stale_reason(const directories& d, const std::string& name, const journal& j) {
  for (const journal_step& s : j.steps) {
    const std::string from = name + s.from;
    if (is_journaled_file(s, identity_at(d.of(s.from), from))) continue;  // not yet done
    if (s.kind == journal_step::drop) {
      if (!stat_at(d.of(s.from), from)) continue;  // done
      return from + " is another file than the one journaled";
    }
    auto there = identity_at(d.of(s.to), name + s.to);
    if (is_journaled_file(s, there)) continue;  // done
    if (!there && (is_held(s.to) || (j.compress && compressed_since(d.of(s.to), name + s.to))))
      continue;  // and dropped, or compressed
    return "the file journaled as " + from + " is neither there nor at " + name + s.to;
  }
  return {};
}

struct undo {
  bool complete = true;
  std::string text;
};

// Renames back, last first, the moves a failed cascade did, each only
// while its destination still holds the inode it moved.
undo undo_moves(const directories& d, const std::string& name, const std::vector<journal_step>& moved) {
  undo u;
  std::string failed;
  for (auto it = moved.rbegin(); it != moved.rend(); ++it) {
    const std::string from = name + it->to, to = name + it->from;
    std::string why;
    try {
      if (!is_journaled_file(*it, identity_at(d.of(it->to), from))) why = "no longer there";
      else if (!rename_noreplace(d.of(it->to), from, d.of(it->from), to)) why = to + " exists";
    } catch (const std::exception& e) {
      why = e.what();
    }
    if (!why.empty()) {
      u.complete = false;
      failed += (failed.empty() ? "" : ", ") + from + " -> " + to + " (" + why + ")";
    }
  }
  if (moved.empty()) u.text = "nothing had moved";
  else if (u.complete) u.text = "undone: every version is back where it was";
  else u.text = "could not undo " + failed + "; the next start completes the rotation";
  return u;
}

// copytruncate: NAME is copied to NAME.1 (through a temp, synced) and then
// truncated in place. Lines written between the end of the copy and the
// truncation are lost: that is why it is opt-in.
// `lost` receives the bytes appended between the copy and the truncation
// (at least: a write between the count and ftruncate is lost uncounted);
// `between` runs there (a step of the crash tests).
// The copy is made in the versions' directory (olddir, where there is one).
std::string copy_and_truncate(const directories& d, const std::string& name, const struct stat& expected,
                              std::uint64_t& lost, const std::function<void()>& between) {
  const int dirfd = d.versions->get();
  int in = ::openat(d.log->get(), name.c_str(), O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (in < 0) throw_errno(errno, "open " + name);
  unique_fd in_guard(in);
  struct stat st {};
  if (::fstat(in, &st) != 0) throw_errno(errno, "fstat " + name);
  if (st.st_ino != expected.st_ino || st.st_dev != expected.st_dev || !S_ISREG(st.st_mode))
    throw_errno(ESTALE, name + " changed during the rotation");
  const std::string temp = "." + name + ".1.rotated-tmp";
  ::unlinkat(dirfd, temp.c_str(), 0);
  int out = ::openat(dirfd, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0) throw_errno(errno, "create " + temp);
  unique_fd out_guard(out);
  std::uint64_t copied = 0;
  try {
    char buf[128 * 1024];
    for (;;) {
      ssize_t n = ::read(in, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_errno(errno, "read " + name);
      if (n == 0) break;
      write_all(out, buf, static_cast<std::size_t>(n), temp);
      copied += static_cast<std::uint64_t>(n);
    }
    if (current_fsuid() == 0 && ::fchown(out, st.st_uid, st.st_gid) != 0) throw_errno(errno, "fchown " + temp);
    if (::fchmod(out, st.st_mode & 07777) != 0) throw_errno(errno, "fchmod " + temp);
    fsync_fd(out, temp);
    const std::string to = name + ".1";
    if (::renameat(dirfd, temp.c_str(), dirfd, to.c_str()) != 0) throw_errno(errno, "rename " + temp + " -> " + to);
  } catch (...) {
    ::unlinkat(dirfd, temp.c_str(), 0);
    throw;
  }
  fsync_fd(dirfd, "directory of " + name);
  between();
  struct stat now {};
  if (::fstat(in, &now) != 0) throw_errno(errno, "fstat " + name);
  if (::ftruncate(in, 0) != 0) throw_errno(errno, "truncate " + name);
  lost = static_cast<std::uint64_t>(now.st_size) > copied ? static_cast<std::uint64_t>(now.st_size) - copied : 0;
  return "copied " + name + " -> " + name + ".1 (" + std::to_string(copied) + " bytes) and truncated " + name;
}

// A directory removed (or swapped for a symlink) since it was changed has
// nothing reachable left to sync.
void fsync_directory_if_present(const std::string& dir) {
  unique_fd dirfd;
  try {
    dirfd = open_directory_no_symlinks(dir);
  } catch (const std::system_error& e) {
    // Gone, or swapped for a symlink: the directory changed is not there.
    if (e.code().value() == ENOENT || e.code().value() == ELOOP || e.code().value() == ENOTDIR) return;
    throw;
  }
  fsync_directory(dirfd.get(), dir);
}

void sleep_for(std::chrono::microseconds d) {
  if (d.count() > 0) std::this_thread::sleep_for(d);
}

}  // namespace

engine::engine(engine_options options)
    : options_(std::move(options)), log_(std::make_unique<journal_log>(options_.state_dir + "/journal.log")) {}

engine::~engine() = default;

void engine::checkpoint() {
  sleep_for(options_.step_delay);
  if (options_.after_step) options_.after_step();
  ++steps_done_;
  if (options_.crash_after_steps >= 0 && steps_done_ > options_.crash_after_steps) throw simulated_crash();
}

rotation_report engine::rotate(const file_policy& f, wall_time at, unsigned kept_before) {
  rotation_report report;
  steps_done_ = 0;
  try {
    try {
      report.directory = open_directory_of(f);
    } catch (const std::system_error& e) {
      if (e.code().value() != ENOENT || !f.missing_ok) throw;
      report.status = outcome::skipped;  // as for a missing file: no error at every check
      report.reason = "missing (missing_ok)";
      return report;
    }
    const directories dirs = open_directories_of(f, report.directory, true);
    report.versions = dirs.versions;
    inspection ins = inspect(dirs, f, options_.as_root, at, kept_before);
    if (ins.status != outcome::rotated) {
      report.status = ins.status;
      report.reason = ins.reason;
      return report;
    }
    const std::string name = f.name();
    // The intent, durable before the first rename.
    make_directories(options_.state_dir, 0700);
    report.journal = std::to_string(log_->begin(ins.plan));
    acting_for act(ins.access);  // the journal aside, the work in the directory
    checkpoint();
    // Up to the file's own step, a failure is undone (inspect() planned
    // the cascade so that nothing is unlinked before that step).
    std::vector<journal_step> moved;
    try {
      for (const journal_step& s : ins.plan.steps) {
        if (s.kind != journal_step::move) continue;
        if (s.from.empty() && options_.fail_final_step != 0) throw_errno(options_.fail_final_step, "rename " + name);
        std::string did = apply_step(dirs, name, s);
        if (!did.empty()) {
          moved.push_back(s);
          report.actions.push_back(std::move(did));
        }
        checkpoint();
      }
      if (f.copytruncate) {
        if (options_.fail_final_step != 0) throw_errno(options_.fail_final_step, "copy " + name);
        std::uint64_t lost = 0;
        report.actions.push_back(copy_and_truncate(dirs, name, ins.st, lost, [this] { checkpoint(); }));
        if (lost > 0)
          report.warnings.push_back("copytruncate lost " + std::to_string(lost) + " bytes of " + name +
                                    " written between the copy and the truncation");
        checkpoint();
      }
    } catch (const simulated_crash&) {
      throw;
    } catch (const std::exception& e) {
      changed_directories(f);
      undo u = undo_moves(dirs, name, moved);
      // Undone, the record has nothing left to replay; otherwise a restart
      // completes the rotation as after a crash.
      if (u.complete) log_->finish(std::stoull(report.journal));
      report.journal.clear();
      std::string reason = std::string(e.what()) + "; " + u.text;
      report.actions.clear();
      throw std::runtime_error(reason);
    }
    for (const journal_step& s : ins.plan.steps) {
      if (s.kind != journal_step::drop) continue;
      unique_fd held_fd(
          ::openat(dirs.of(s.from), (name + s.from).c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
      if (held_fd && open_elsewhere(held_fd.get()))
        report.warnings.push_back("dropped " + name + s.from.substr(0, s.from.size() - held_tail.size()) +
                                  " while a process still had it open (a writer that has not reopened?): what it "
                                  "writes there now is lost");
      held_fd = unique_fd();
      std::string did = apply_step(dirs, name, s);
      if (!did.empty()) report.actions.push_back(std::move(did));
      checkpoint();
    }
    if (ins.plan.fresh) {
      report.actions.push_back(
          create_fresh(dirs.log->get(), name, ins.plan.fresh_mode, ins.plan.fresh_uid, ins.plan.fresh_gid));
      checkpoint();
    }
    // Not journaled: an unlink completes or not, and a version it removed
    // is one no replay needs (the cascade's steps are all done by now).
    for (const std::string& suffix : aged_versions(dirs.versions->get(), f, at)) {
      // The rotation is done whatever happens here: a failure is a warning.
      if (::unlinkat(dirs.versions->get(), (name + suffix).c_str(), 0) == 0)
        report.actions.push_back("removed " + name + suffix + " (older than max_age " + format_duration(*f.max_age) +
                                 ")");
      else if (errno != ENOENT)
        report.warnings.push_back("cannot remove " + name + suffix + " (older than max_age): " + std::strerror(errno));
    }
    changed_directories(f);
    report.status = outcome::rotated;
  } catch (const simulated_crash&) {
    throw;
  } catch (const std::exception& e) {
    if (!report.journal.empty()) changed_directories(f);  // renames may have been done
    report.status = outcome::failed;
    report.reason = e.what();
  }
  return report;
}

void engine::changed_directories(const file_policy& f) {
  std::lock_guard lock(unsynced_mutex_);
  unsynced_.insert(f.dir());
  unsynced_.insert(f.versions_dir());
}

void engine::sync_directories() {
  std::set<std::string> dirs;
  {
    std::lock_guard lock(unsynced_mutex_);
    dirs.swap(unsynced_);
  }
  for (auto it = dirs.begin(); it != dirs.end(); it = dirs.erase(it)) {
    try {
      fsync_directory_if_present(*it);
    } catch (...) {
      std::lock_guard lock(unsynced_mutex_);
      unsynced_.merge(dirs);
      throw;
    }
  }
}

std::size_t engine::unsynced_directories() const {
  std::lock_guard lock(unsynced_mutex_);
  return unsynced_.size();
}

void engine::finish(const std::string& journal) {
  if (journal.empty()) return;
  log_->finish(std::stoull(journal));
}

std::vector<recovered_rotation> engine::recover() {
  std::vector<recovered_rotation> done;
  journal_contents contents = log_->recover();
  if (contents.torn > 0) {
    recovered_rotation r;
    r.actions.push_back("ignored " + std::to_string(contents.torn) + " torn record(s) at the end of " + log_->path() +
                        " (their rotations had not started)");
    done.push_back(std::move(r));
  }
  for (const journal& j : contents.pending) {
    recovered_rotation r;
    r.journal = std::to_string(j.id);
    r.path = j.path;
    r.at = j.at;
    file_policy f;
    f.path = j.path;
    f.keep = j.keep;
    f.compress = j.compress;
    f.method = j.method;
    f.dateext = j.dateext;
    f.olddir = j.olddir;
    const std::string name = f.name();
    try {
      const directories dirs = open_directories_of(f);
      const int dirfd = dirs.log->get();
      directory_access access = access_for(dirs, f, options_.as_root);
      if (!access.refusal.empty()) throw std::runtime_error(access.refusal);
      acting_for act(access);
      if (std::string why = stale_reason(dirs, name, j); !why.empty()) {
        r.actions.push_back("not replayed, the files have moved on since: " + why);
        done.push_back(std::move(r));
        continue;
      }
      const journal_step* own = nullptr;  // the file's own rename to .1
      for (const journal_step& s : j.steps) {
        if (s.from.empty()) own = &s;
        std::string did = apply_step(dirs, name, s);
        if (!did.empty()) r.actions.push_back("completed: " + did);
      }
      if (::unlinkat(dirfd, spare_name(name).c_str(), 0) == 0)
        r.actions.push_back("removed the leftover " + spare_name(name));
      if (const std::string temp = "." + name + ".1.rotated-tmp";
          ::unlinkat(dirs.versions->get(), temp.c_str(), 0) == 0)
        r.actions.push_back("removed the leftover " + temp);
      // The file moved (to .1, or with keep = 0 to its hold name and then
      // dropped): its fresh successor may still be missing.
      if (j.fresh && own != nullptr &&
          (is_held(own->to) || is_journaled_file(*own, identity_at(dirs.of(own->to), name + own->to))) &&
          !stat_at(dirfd, name))
        r.actions.push_back("completed: " + create_fresh(dirfd, name, j.fresh_mode, j.fresh_uid, j.fresh_gid));
      fsync_directory(dirfd, f.dir());
      if (!f.olddir.empty()) fsync_directory(dirs.versions->get(), f.olddir);
      compress_report c = compress(f, dirs.versions);
      for (auto& s : c.done) r.actions.push_back("completed: compressed " + s);
      for (auto& s : c.errors) r.actions.push_back("error: " + s);
      for (auto& s : c.deferred) r.actions.push_back("deferred: " + s);
    } catch (const simulated_crash&) {
      throw;
    } catch (const std::exception& e) {
      r.actions.push_back(std::string("error: ") + e.what());
    }
    done.push_back(std::move(r));
  }
  return done;
}

}  // namespace rotated
