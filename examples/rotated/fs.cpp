#include "fs.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <system_error>
#include <vector>

namespace rotated {

unique_fd& unique_fd::operator=(unique_fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

unique_fd::~unique_fd() {
  if (fd_ >= 0) ::close(fd_);
}

void throw_errno(int err, const std::string& what) { throw std::system_error(err, std::generic_category(), what); }

unique_fd open_directory(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_errno(errno, "open directory " + path);
  return unique_fd(fd);
}

fs_identity_scope::fs_identity_scope(uid_t uid, gid_t gid)
    : old_uid_(current_fsuid()), old_gid_(static_cast<gid_t>(::setfsgid(static_cast<gid_t>(-1)))) {
  ::setfsgid(gid);
  ::setfsuid(uid);
  // setfsuid reports no error: check that it took.
  if (current_fsuid() != uid || static_cast<gid_t>(::setfsgid(static_cast<gid_t>(-1))) != gid) {
    ::setfsuid(old_uid_);
    ::setfsgid(old_gid_);
    throw_errno(EPERM, "act as " + std::to_string(uid) + ":" + std::to_string(gid));
  }
}

fs_identity_scope::~fs_identity_scope() {
  ::setfsuid(old_uid_);
  ::setfsgid(old_gid_);
}

uid_t current_fsuid() noexcept { return static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1))); }

unique_fd open_directory_no_symlinks(const std::string& path) {
  if (path.empty() || path[0] != '/') throw_errno(EINVAL, "open directory " + path + ": not absolute");
  std::vector<std::string> parts;
  for (std::size_t i = 0, j; i < path.size(); i = j + 1) {
    j = std::min(path.find('/', i), path.size());
    if (j > i) parts.push_back(path.substr(i, j - i));
  }
  unique_fd at(::open("/", (parts.empty() ? O_RDONLY : O_PATH) | O_DIRECTORY | O_CLOEXEC));
  if (!at) throw_errno(errno, "open directory /");
  for (std::size_t k = 0; k < parts.size(); ++k) {
    int flags = (k + 1 == parts.size() ? O_RDONLY : O_PATH) | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int fd = ::openat(at.get(), parts[k].c_str(), flags);
    if (fd < 0) {
      int err = errno;
      throw_errno(
          err, "open directory " + path +
                   (err == ELOOP || err == ENOTDIR ? " (" + parts[k] + " is not a directory; symlinks are not followed)"
                                                   : ""));
    }
    at = unique_fd(fd);
  }
  return at;
}

void fsync_fd(int fd, const std::string& what) {
  if (::fsync(fd) != 0) throw_errno(errno, "fsync " + what);
}

namespace {

// One per directory (device, inode): requests are numbered; a sync started
// when `requested` was R covers every request up to R.
struct dir_sync_state {
  std::mutex mutex;
  std::condition_variable changed;
  std::uint64_t requested = 0;
  std::uint64_t done = 0;
  bool syncing = false;
  struct failure {
    std::uint64_t first, last;  // the requests a failed sync covered
    int error;
  };
  std::vector<failure> failures;  // rare (EIO): kept for every caller to see
};

dir_sync_state& dir_state(const struct stat& st) {
  static std::mutex registry_mutex;
  static std::map<std::pair<dev_t, ino_t>, std::unique_ptr<dir_sync_state>> registry;
  std::lock_guard lock(registry_mutex);
  auto& slot = registry[{st.st_dev, st.st_ino}];
  if (!slot) slot = std::make_unique<dir_sync_state>();
  return *slot;
}

}  // namespace

void fsync_directory(int dirfd, const std::string& what) {
  struct stat st {};
  if (::fstat(dirfd, &st) != 0) throw_errno(errno, "fstat " + what);
  dir_sync_state& d = dir_state(st);
  std::unique_lock lock(d.mutex);
  std::uint64_t mine = ++d.requested;
  while (d.done < mine) {
    if (d.syncing) {
      d.changed.wait(lock);
      continue;
    }
    d.syncing = true;
    std::uint64_t first = d.done + 1, target = d.requested;
    lock.unlock();
    int err = ::fsync(dirfd) == 0 ? 0 : errno;
    lock.lock();
    d.syncing = false;
    d.done = target;
    if (err != 0) d.failures.push_back({first, target, err});
    d.changed.notify_all();
  }
  for (const auto& f : d.failures)
    if (f.first <= mine && mine <= f.last) throw_errno(f.error, "fsync " + what);
}

void write_all(int fd, const char* data, std::size_t size, const std::string& what) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno(errno, "write " + what);
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

std::size_t read_some(int fd, void* buf, std::size_t size, const std::string& what) {
  for (;;) {
    ssize_t n = ::read(fd, buf, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno(errno, "read " + what);
    return static_cast<std::size_t>(n);
  }
}

void write_file_atomic(int dirfd, const std::string& name, std::string_view content, mode_t mode,
                       const std::string& what) {
  std::string temp = "." + name + ".tmp";
  ::unlinkat(dirfd, temp.c_str(), 0);  // a leftover of a crash
  int fd = ::openat(dirfd, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0600);
  if (fd < 0) throw_errno(errno, "create " + what + " (temp)");
  unique_fd guard(fd);
  try {
    write_all(fd, content.data(), content.size(), what);
    if (::fchmod(fd, mode) != 0) throw_errno(errno, "fchmod " + what);
    fsync_fd(fd, what);
  } catch (...) {
    ::unlinkat(dirfd, temp.c_str(), 0);
    throw;
  }
  if (::renameat(dirfd, temp.c_str(), dirfd, name.c_str()) != 0) {
    int err = errno;
    ::unlinkat(dirfd, temp.c_str(), 0);
    throw_errno(err, "rename " + what);
  }
  fsync_fd(dirfd, what + " (directory)");
}

std::optional<std::string> read_file_at(int dirfd, const std::string& name) {
  int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw_errno(errno, "open " + name);
  }
  unique_fd guard(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno(errno, "fstat " + name);
  if (!S_ISREG(st.st_mode)) throw_errno(EINVAL, name + " is not a regular file");
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno(errno, "read " + name);
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

unique_fd try_lock_directory(const std::string& path) {
  unique_fd fd = open_directory(path);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return fd;
  if (errno == EWOULDBLOCK) return {};
  throw_errno(errno, "lock " + path);
}

void make_directories(const std::string& path, mode_t mode) {
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    std::string part = path.substr(0, pos);
    if (part.empty()) continue;
    if (::mkdir(part.c_str(), mode) != 0 && errno != EEXIST) throw_errno(errno, "mkdir " + part);
  }
}

std::optional<struct stat> stat_at(int dirfd, const std::string& name) {
  struct stat st {};
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return std::nullopt;
    throw_errno(errno, "stat " + name);
  }
  return st;
}

std::optional<file_identity> identity_at(int dirfd, const std::string& name) {
  struct statx sx {};
  if (::statx(dirfd, name.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_BTIME, &sx) != 0) {
    if (errno == ENOENT) return std::nullopt;
    throw_errno(errno, "statx " + name);
  }
  auto ns = [](const struct statx_timestamp& t) { return std::int64_t{t.tv_sec} * 1000000000 + t.tv_nsec; };
  file_identity id;
  id.dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);  // as stat() gives st_dev
  id.ino = sx.stx_ino;
  id.btime_ns = (sx.stx_mask & STATX_BTIME) != 0 ? ns(sx.stx_btime) : 0;
  id.size = sx.stx_size;
  id.mtime_ns = ns(sx.stx_mtime);
  return id;
}

bool rename_noreplace(int dirfd, const std::string& from, const std::string& to) {
  return rename_noreplace(dirfd, from, dirfd, to);
}

bool rename_noreplace(int from_dirfd, const std::string& from, int to_dirfd, const std::string& to) {
  if (::renameat2(from_dirfd, from.c_str(), to_dirfd, to.c_str(), RENAME_NOREPLACE) == 0) return true;
  int err = errno;
  if (err == EINVAL || err == ENOSYS) {  // no RENAME_NOREPLACE here: link() never replaces either
    if (::linkat(from_dirfd, from.c_str(), to_dirfd, to.c_str(), 0) == 0) {
      if (::unlinkat(from_dirfd, from.c_str(), 0) != 0) throw_errno(errno, "unlink " + from);
      return true;
    }
    err = errno;
  }
  if (err == EEXIST) return false;
  throw_errno(err, "rename " + from + " -> " + to);
}

}  // namespace rotated
