#include "engine.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <thread>

#include "fs.hpp"
#include "gzip.hpp"
#include "journal.hpp"

namespace rotated {

namespace {

// Built by appending: GCC 12 at -O3 warns (-Wrestrict, a known false
// positive) on "." + std::to_string(i).
std::string slot(unsigned i, bool gz) {
  std::string s(".");
  s += std::to_string(i);
  if (gz) s += ".gz";
  return s;
}

const char* kind_of(mode_t m) {
  if (S_ISLNK(m)) return "a symlink";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISDIR(m)) return "a directory";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISCHR(m) || S_ISBLK(m)) return "a device";
  return "not a regular file";
}

bool same_inode(const std::optional<struct stat>& s, std::uint64_t dev, std::uint64_t ino) {
  return s && static_cast<std::uint64_t>(s->st_dev) == dev && static_cast<std::uint64_t>(s->st_ino) == ino;
}

std::string octal(mode_t m) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m & 07777));
  return buf;
}

// Result of looking at the file and its versions before a rotation.
struct inspection {
  outcome status = outcome::rotated;
  std::string reason;
  journal plan;
  struct stat st {};
};

inspection inspect(int dirfd, const file_policy& f, bool as_root, wall_time at) {
  inspection r;
  const std::string name = f.name();
  struct stat dst {};
  if (::fstat(dirfd, &dst) != 0) throw_errno(errno, "fstat " + f.dir());
  if (as_root && (dst.st_mode & S_IWOTH) != 0 && !f.allow_world_writable) {
    r.status = outcome::skipped;
    r.reason = "directory " + f.dir() + " is writable by others (set allow_world_writable = true to allow)";
    return r;
  }
  auto st = stat_at(dirfd, name);
  if (!st) {
    r.status = f.missing_ok ? outcome::skipped : outcome::failed;
    r.reason = f.missing_ok ? "missing (missing_ok)" : "does not exist";
    return r;
  }
  if (!S_ISREG(st->st_mode)) {
    r.status = outcome::skipped;
    r.reason = std::string("is ") + kind_of(st->st_mode) + ", not a regular file; not followed";
    return r;
  }
  if (st->st_nlink != 1) {
    r.status = outcome::skipped;
    r.reason = "has " + std::to_string(st->st_nlink) + " hard links; only a file with a single link is rotated";
    return r;
  }
  if (f.not_if_empty && st->st_size == 0) {
    r.status = outcome::skipped;
    r.reason = "empty (not_if_empty)";
    return r;
  }
  r.st = *st;
  journal& j = r.plan;
  j.path = f.path;
  j.at = at;
  j.keep = f.keep;
  j.compress = f.compress;
  j.copytruncate = f.copytruncate;
  if (!f.copytruncate && f.create.enabled) {
    j.fresh = true;
    j.fresh_mode = f.create.mode.value_or(st->st_mode & 07777);
    j.fresh_uid = f.create.owner.value_or(st->st_uid);
    j.fresh_gid = f.create.group.value_or(st->st_gid);
  }
  // The versions as they are now: [i][gz].
  std::vector<std::array<std::optional<struct stat>, 2>> versions(f.keep + 1);
  for (unsigned i = 1; i <= f.keep; ++i) {
    for (int gz = 0; gz < 2; ++gz) {
      auto s = stat_at(dirfd, name + slot(i, gz != 0));
      if (s && S_ISDIR(s->st_mode)) {
        r.status = outcome::skipped;
        r.reason = name + slot(i, gz != 0) + " is a directory; the versions cannot shift";
        return r;
      }
      versions[i][gz] = s;
    }
  }
  auto add = [&](journal_step::kind_t kind, std::string from, std::string to, const struct stat& s) {
    j.steps.push_back({kind, std::move(from), std::move(to), static_cast<std::uint64_t>(s.st_dev),
                       static_cast<std::uint64_t>(s.st_ino)});
  };
  // The oldest version leaves, then any beyond keep (a smaller keep than
  // before), then each shifts up by one, then the file becomes .1.
  for (int gz = 0; gz < 2; ++gz)
    if (versions[f.keep][gz]) add(journal_step::drop, slot(f.keep, gz != 0), "", *versions[f.keep][gz]);
  for (unsigned i = f.keep + 1; i <= f.keep + 1000; ++i) {
    bool any = false;
    for (int gz = 0; gz < 2; ++gz) {
      auto s = stat_at(dirfd, name + slot(i, gz != 0));
      if (s && !S_ISDIR(s->st_mode)) {
        add(journal_step::drop, slot(i, gz != 0), "", *s);
        any = true;
      }
    }
    if (!any) break;
  }
  for (unsigned i = f.keep - 1; i >= 1; --i)
    for (int gz = 0; gz < 2; ++gz)
      if (versions[i][gz]) add(journal_step::move, slot(i, gz != 0), slot(i + 1, gz != 0), *versions[i][gz]);
  if (!f.copytruncate) add(journal_step::move, "", ".1", *st);
  return r;
}

// Performs one journaled step if its entry is still the journaled inode.
// Returns what it did, or an empty string if nothing was left to do.
std::string apply_step(int dirfd, const std::string& name, const journal_step& s) {
  const std::string from = name + s.from;
  auto now = stat_at(dirfd, from);
  if (same_inode(now, s.dev, s.ino)) {
    if (s.kind == journal_step::drop) {
      if (::unlinkat(dirfd, from.c_str(), 0) != 0) throw_errno(errno, "unlink " + from);
      return "dropped " + from;
    }
    const std::string to = name + s.to;
    if (::renameat(dirfd, from.c_str(), dirfd, to.c_str()) != 0) throw_errno(errno, "rename " + from + " -> " + to);
    return from + " -> " + to;
  }
  return {};
}

// The fresh file's temp name; between rotations it holds the spare that
// engine::prepare() made.
std::string spare_name(const std::string& name) { return "." + name + ".rotated-new"; }

// Whether a spare is still exactly what prepare() made: a regular, empty,
// single-link file of ours with mode 0600 (so nobody else can hold it open).
bool is_pristine_spare(const struct stat& st) {
  return S_ISREG(st.st_mode) && st.st_nlink == 1 && st.st_size == 0 && (st.st_mode & 07777) == 0600 &&
         st.st_uid == ::geteuid();
}

// The spare, opened, if it is pristine; -1 otherwise.
int open_spare(int dirfd, const std::string& spare) {
  auto before = stat_at(dirfd, spare);  // never open a FIFO or a device put there
  if (!before || !is_pristine_spare(*before)) return -1;
  int fd = ::openat(dirfd, spare.c_str(), O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return -1;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && is_pristine_spare(st) && st.st_ino == before->st_ino && st.st_dev == before->st_dev)
    return fd;
  ::close(fd);
  return -1;
}

// Creates `name` empty with its final mode and owner, atomically, unless
// the writer recreated it meanwhile. Uses the spare when there is one (no
// inode to allocate at the due instant).
std::string create_fresh(int dirfd, const std::string& name, mode_t mode, uid_t uid, gid_t gid) {
  const std::string temp = spare_name(name);
  int fd = open_spare(dirfd, temp);
  if (fd < 0) {
    ::unlinkat(dirfd, temp.c_str(), 0);  // a leftover of a crash, or not a spare of ours
    fd = ::openat(dirfd, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) throw_errno(errno, "create " + temp);
  }
  unique_fd guard(fd);
  auto undo = [&](int err, const std::string& what) {
    ::unlinkat(dirfd, temp.c_str(), 0);
    throw_errno(err, what);
  };
  struct stat st {};
  if (::fstat(fd, &st) != 0) undo(errno, "fstat " + temp);
  if ((st.st_uid != uid || st.st_gid != gid) && ::fchown(fd, uid, gid) != 0) {
    if (errno != EPERM) undo(errno, "fchown " + temp);
    // Not root: the file keeps our own ids, as the writer's would.
  }
  if (::fchmod(fd, mode) != 0) undo(errno, "fchmod " + temp);
  guard = unique_fd();
  std::string ids = std::to_string(uid) + ":" + std::to_string(gid);
  if (::renameat2(dirfd, temp.c_str(), dirfd, name.c_str(), RENAME_NOREPLACE) == 0)
    return "created " + name + " (mode " + octal(mode) + ", owner " + ids + ")";
  int err = errno;
  if (err == EINVAL || err == ENOSYS) {  // no RENAME_NOREPLACE here: link() never replaces either
    if (::linkat(dirfd, temp.c_str(), dirfd, name.c_str(), 0) == 0) {
      ::unlinkat(dirfd, temp.c_str(), 0);
      return "created " + name + " (mode " + octal(mode) + ", owner " + ids + ")";
    }
    err = errno;
  }
  ::unlinkat(dirfd, temp.c_str(), 0);
  if (err == EEXIST) return name + " was already recreated by the writer; left as it is";
  throw_errno(err, "rename " + temp + " -> " + name);
}

// copytruncate: NAME is copied to NAME.1 (through a temp, synced) and then
// truncated in place. Lines written between the end of the copy and the
// truncation are lost: that is why it is opt-in.
std::string copy_and_truncate(int dirfd, const std::string& name, const struct stat& expected, bool as_root) {
  int in = ::openat(dirfd, name.c_str(), O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
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
    if (as_root && ::fchown(out, st.st_uid, st.st_gid) != 0) throw_errno(errno, "fchown " + temp);
    if (::fchmod(out, st.st_mode & 07777) != 0) throw_errno(errno, "fchmod " + temp);
    fsync_fd(out, temp);
    const std::string to = name + ".1";
    if (::renameat(dirfd, temp.c_str(), dirfd, to.c_str()) != 0) throw_errno(errno, "rename " + temp + " -> " + to);
  } catch (...) {
    ::unlinkat(dirfd, temp.c_str(), 0);
    throw;
  }
  fsync_fd(dirfd, "directory of " + name);
  if (::ftruncate(in, 0) != 0) throw_errno(errno, "truncate " + name);
  return "copied " + name + " -> " + name + ".1 (" + std::to_string(copied) + " bytes) and truncated " + name;
}

// A directory removed since it was changed has nothing left to sync.
void fsync_directory_if_present(const std::string& dir) {
  unique_fd dirfd;
  try {
    dirfd = open_directory(dir);
  } catch (const std::system_error& e) {
    if (e.code().value() == ENOENT) return;
    throw;
  }
  fsync_directory(dirfd.get(), dir);
}

void sleep_for(std::chrono::microseconds d) {
  if (d.count() > 0) std::this_thread::sleep_for(d);
}

}  // namespace

const char* to_string(outcome o) noexcept {
  switch (o) {
    case outcome::rotated: return "rotated";
    case outcome::skipped: return "skipped";
    case outcome::failed: return "failed";
  }
  return "?";
}

engine::engine(engine_options options)
    : options_(std::move(options)), log_(std::make_unique<journal_log>(options_.state_dir + "/journal.log")) {}

engine::~engine() = default;

void engine::checkpoint() {
  sleep_for(options_.step_delay);
  ++steps_done_;
  if (options_.crash_after_steps >= 0 && steps_done_ > options_.crash_after_steps) throw simulated_crash();
}

rotation_report engine::rotate(const file_policy& f, wall_time at) {
  rotation_report report;
  steps_done_ = 0;
  try {
    unique_fd dirfd = open_directory(f.dir());
    inspection ins = inspect(dirfd.get(), f, options_.as_root, at);
    if (ins.status != outcome::rotated) {
      report.status = ins.status;
      report.reason = ins.reason;
      return report;
    }
    const std::string name = f.name();
    // The intent, durable before the first rename.
    make_directories(options_.state_dir, 0700);
    report.journal = std::to_string(log_->begin(ins.plan));
    checkpoint();
    for (const journal_step& s : ins.plan.steps) {
      std::string did = apply_step(dirfd.get(), name, s);
      if (!did.empty()) report.actions.push_back(std::move(did));
      checkpoint();
    }
    if (f.copytruncate) {
      report.actions.push_back(copy_and_truncate(dirfd.get(), name, ins.st, options_.as_root));
      checkpoint();
    }
    if (ins.plan.fresh) {
      report.actions.push_back(
          create_fresh(dirfd.get(), name, ins.plan.fresh_mode, ins.plan.fresh_uid, ins.plan.fresh_gid));
      checkpoint();
    }
    changed_directory(f.dir());
    report.status = outcome::rotated;
  } catch (const simulated_crash&) {
    throw;
  } catch (const std::exception& e) {
    if (!report.journal.empty()) changed_directory(f.dir());  // renames may have been done
    report.status = outcome::failed;
    report.reason = e.what();
  }
  return report;
}

void engine::prepare(const file_policy& f) {
  if (f.copytruncate || !f.create.enabled) return unprepare(f);  // a spare from before a reload
  unique_fd dirfd = open_directory(f.dir());
  const std::string spare = spare_name(f.name());
  int fd = ::openat(dirfd.get(), spare.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 && errno != EEXIST) throw_errno(errno, "create " + f.dir() + "/" + spare);
  if (fd >= 0) ::close(fd);
}

void engine::unprepare(const file_policy& f) {
  unique_fd dirfd = open_directory(f.dir());
  const std::string spare = spare_name(f.name());
  auto st = stat_at(dirfd.get(), spare);
  if (!st || !is_pristine_spare(*st)) return;  // none, or not ours to remove
  if (::unlinkat(dirfd.get(), spare.c_str(), 0) != 0 && errno != ENOENT)
    throw_errno(errno, "remove " + f.dir() + "/" + spare);
}

void engine::changed_directory(const std::string& dir) {
  std::lock_guard lock(unsynced_mutex_);
  unsynced_.insert(dir);
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

compress_report engine::compress(const file_policy& f) {
  compress_report report;
  if (!f.compress) return report;
  const std::string name = f.name();
  unique_fd dirfd;
  try {
    dirfd = open_directory(f.dir());
  } catch (const std::exception& e) {
    report.errors.push_back(e.what());
    return report;
  }
  for (unsigned i = 2; i <= f.keep; ++i) {
    const std::string plain = name + slot(i, false);
    const std::string gz = name + slot(i, true);
    const std::string temp = "." + gz + ".rotated-tmp";
    try {
      auto s = stat_at(dirfd.get(), plain);
      if (!s) continue;
      if (!S_ISREG(s->st_mode)) {
        report.errors.push_back(plain + " is " + kind_of(s->st_mode) + "; not compressed");
        continue;
      }
      int in = ::openat(dirfd.get(), plain.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
      if (in < 0) throw_errno(errno, "open " + plain);
      unique_fd in_guard(in);
      struct stat st {};
      if (::fstat(in, &st) != 0) throw_errno(errno, "fstat " + plain);
      if (!S_ISREG(st.st_mode) || st.st_ino != s->st_ino) throw_errno(ESTALE, plain + " changed");
      ::unlinkat(dirfd.get(), temp.c_str(), 0);
      int out = ::openat(dirfd.get(), temp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (out < 0) throw_errno(errno, "create " + temp);
      unique_fd out_guard(out);
      gzip_sizes sizes;
      try {
        sizes = gzip_fd(in, out, plain);
        if (options_.as_root && ::fchown(out, st.st_uid, st.st_gid) != 0) throw_errno(errno, "fchown " + temp);
        if (::fchmod(out, st.st_mode & 07777) != 0) throw_errno(errno, "fchmod " + temp);
        fsync_fd(out, temp);
      } catch (...) {
        ::unlinkat(dirfd.get(), temp.c_str(), 0);
        throw;
      }
      checkpoint();
      bool placed = ::renameat2(dirfd.get(), temp.c_str(), dirfd.get(), gz.c_str(), RENAME_NOREPLACE) == 0;
      if (!placed && (errno == EINVAL || errno == ENOSYS)) {
        placed = ::linkat(dirfd.get(), temp.c_str(), dirfd.get(), gz.c_str(), 0) == 0;
        if (placed) ::unlinkat(dirfd.get(), temp.c_str(), 0);
      }
      if (!placed) {
        int err = errno;
        ::unlinkat(dirfd.get(), temp.c_str(), 0);
        if (err != EEXIST) throw_errno(err, "rename " + temp + " -> " + gz);
        // NAME.i.gz is there already: the end of a compression a crash
        // interrupted before NAME.i was removed, or another version.
        int old = ::openat(dirfd.get(), gz.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        unique_fd old_guard(old);
        if (old < 0 || !gzip_holds(old, in)) {
          report.errors.push_back(gz + " already exists and holds something else; " + plain + " left uncompressed");
          continue;
        }
      }
      fsync_directory(dirfd.get(), f.dir());
      checkpoint();
      if (same_inode(stat_at(dirfd.get(), plain), static_cast<std::uint64_t>(st.st_dev),
                     static_cast<std::uint64_t>(st.st_ino)) &&
          ::unlinkat(dirfd.get(), plain.c_str(), 0) != 0)
        throw_errno(errno, "unlink " + plain);
      report.done.push_back(plain + " -> " + gz + " (" + std::to_string(sizes.in) + " -> " +
                            std::to_string(sizes.out) + " bytes)");
      checkpoint();
    } catch (const simulated_crash&) {
      throw;
    } catch (const std::exception& e) {
      report.errors.push_back(std::string(e.what()) + "; " + plain + " left uncompressed");
    }
  }
  return report;
}

std::vector<std::string> engine::describe(const file_policy& f) {
  std::vector<std::string> lines;
  try {
    unique_fd dirfd = open_directory(f.dir());
    inspection ins = inspect(dirfd.get(), f, options_.as_root, wall_clock::now());
    if (ins.status != outcome::rotated) {
      lines.push_back(std::string("would be ") + to_string(ins.status) + ": " + ins.reason);
      return lines;
    }
    const std::string name = f.name();
    for (const journal_step& s : ins.plan.steps) {
      if (s.kind == journal_step::drop) lines.push_back("would drop " + name + s.from);
      else lines.push_back("would rename " + name + s.from + " -> " + name + s.to);
    }
    if (f.copytruncate) lines.push_back("would copy " + name + " -> " + name + ".1 and truncate " + name);
    if (ins.plan.fresh)
      lines.push_back("would create " + name + " (mode " + octal(ins.plan.fresh_mode) + ", owner " +
                      std::to_string(ins.plan.fresh_uid) + ":" + std::to_string(ins.plan.fresh_gid) + ")");
    if (f.compress && f.keep >= 2) lines.push_back("would compress " + name + ".2 -> " + name + ".2.gz");
  } catch (const std::exception& e) {
    lines.push_back(std::string("would fail: ") + e.what());
  }
  return lines;
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
    const std::string name = f.name();
    try {
      unique_fd dirfd = open_directory(f.dir());
      for (const journal_step& s : j.steps) {
        std::string did = apply_step(dirfd.get(), name, s);
        if (!did.empty()) r.actions.push_back("completed: " + did);
      }
      for (const std::string& temp : {spare_name(name), "." + name + ".1.rotated-tmp"})
        if (::unlinkat(dirfd.get(), temp.c_str(), 0) == 0) r.actions.push_back("removed the leftover " + temp);
      if (j.fresh && !stat_at(dirfd.get(), name))
        r.actions.push_back("completed: " + create_fresh(dirfd.get(), name, j.fresh_mode, j.fresh_uid, j.fresh_gid));
      fsync_directory(dirfd.get(), f.dir());
      compress_report c = compress(f);
      for (auto& s : c.done) r.actions.push_back("completed: compressed " + s);
      for (auto& s : c.errors) r.actions.push_back("error: " + s);
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
