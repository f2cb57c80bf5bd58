// The engine's compression and spares: gzip or zstd of versions 2..keep
// through a synced temp file, and the spare (.NAME.rotated-new) that prepare() makes
// and create_fresh() turns into the fresh file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "engine_internal.hpp"
#include "fs.hpp"
#include "gzip.hpp"
#include "zstd.hpp"

namespace rotated {

namespace detail {

std::string spare_name(const std::string& name) { return "." + name + ".rotated-new"; }

bool is_pristine_spare(const struct stat& st) {
  return S_ISREG(st.st_mode) && st.st_nlink == 1 && st.st_size == 0 && (st.st_mode & 07777) == 0600 &&
         st.st_uid == current_fsuid();
}

namespace {

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

}  // namespace

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
  bool placed = false;
  try {
    placed = rename_noreplace(dirfd, temp, name);
  } catch (...) {
    ::unlinkat(dirfd, temp.c_str(), 0);
    throw;
  }
  if (placed) return "created " + name + " (mode " + octal(mode) + ", owner " + ids + ")";
  ::unlinkat(dirfd, temp.c_str(), 0);
  return name + " was already recreated by the writer; left as it is";
}

bool open_elsewhere(int fd) {
  if (::fcntl(fd, F_SETLEASE, F_WRLCK) == 0) {
    ::fcntl(fd, F_SETLEASE, F_UNLCK);
    return false;
  }
  return errno == EAGAIN || errno == EBUSY;
}

}  // namespace detail

using namespace detail;

void engine::prepare(const file_policy& f, directory_handle directory) {
  if (f.copytruncate || !f.create.enabled) return unprepare(f);  // a spare from before a reload
  directory_handle dir = open_directory_of(f, std::move(directory));
  const unique_fd& dirfd = *dir;
  directory_access access = access_for(dirfd.get(), f.dir(), f, options_.as_root);
  if (!access.refusal.empty()) return;  // the rotation says why
  acting_for act(access);
  const std::string spare = spare_name(f.name());
  int fd = ::openat(dirfd.get(), spare.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 && errno != EEXIST) throw_errno(errno, "create " + f.dir() + "/" + spare);
  if (fd >= 0) ::close(fd);
}

void engine::unprepare(const file_policy& f) {
  unique_fd dirfd = open_directory_no_symlinks(f.dir());
  directory_access access = access_for(dirfd.get(), f.dir(), f, options_.as_root);
  if (!access.refusal.empty()) return;
  acting_for act(access);
  const std::string spare = spare_name(f.name());
  auto st = stat_at(dirfd.get(), spare);
  if (!st || !is_pristine_spare(*st)) return;  // none, or not ours to remove
  if (::unlinkat(dirfd.get(), spare.c_str(), 0) != 0 && errno != ENOENT)
    throw_errno(errno, "remove " + f.dir() + "/" + spare);
}

compress_report engine::compress(const file_policy& f, directory_handle versions_dir) {
  compress_report report;
  if (!f.compress) return report;
  const std::string name = f.name();
  directory_handle dir;
  directory_access access;
  try {
    dir = versions_dir ? std::move(versions_dir) : open_directories_of(f).versions;
    access = access_for(dir->get(), f.versions_dir(), f, options_.as_root);
  } catch (const std::exception& e) {
    report.errors.push_back(e.what());
    return report;
  }
  if (!access.refusal.empty()) {
    report.errors.push_back(access.refusal);
    return report;
  }
  acting_for act(access);
  const unique_fd& dirfd = *dir;
  std::vector<std::string> versions;
  try {
    versions = older_versions(dirfd.get(), f);
  } catch (const std::exception& e) {
    report.errors.push_back(e.what());
    return report;
  }
  for (const std::string& version : versions) {
    const std::string plain = name + version;
    const std::string gz = plain + extension_of(f.method);  // or .zst
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
      if (open_elsewhere(in)) {
        report.deferred.push_back(plain + " is still open (a writer that has not reopened?); left uncompressed");
        continue;
      }
      ::unlinkat(dirfd.get(), temp.c_str(), 0);
      int out = ::openat(dirfd.get(), temp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (out < 0) throw_errno(errno, "create " + temp);
      unique_fd out_guard(out);
      gzip_sizes sizes;
      try {
        sizes = f.method == compression_method::zstd ? zstd_fd(in, out, f.compress_level, plain)
                                                     : gzip_fd(in, out, plain, f.compress_level);
        if (current_fsuid() == 0 && ::fchown(out, st.st_uid, st.st_gid) != 0) throw_errno(errno, "fchown " + temp);
        if (::fchmod(out, st.st_mode & 07777) != 0) throw_errno(errno, "fchmod " + temp);
        fsync_fd(out, temp);
      } catch (...) {
        ::unlinkat(dirfd.get(), temp.c_str(), 0);
        throw;
      }
      checkpoint();
      bool placed = false;
      try {
        placed = rename_noreplace(dirfd.get(), temp, gz);
      } catch (...) {
        ::unlinkat(dirfd.get(), temp.c_str(), 0);
        throw;
      }
      if (!placed) {
        ::unlinkat(dirfd.get(), temp.c_str(), 0);
        // NAME.i.gz is there already: the end of a compression a crash
        // interrupted before NAME.i was removed, or another version.
        int old = ::openat(dirfd.get(), gz.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        unique_fd old_guard(old);
        if (old < 0 || !(f.method == compression_method::zstd ? zstd_holds(old, in) : gzip_holds(old, in))) {
          report.errors.push_back(gz + " already exists and holds something else; " + plain + " left uncompressed");
          continue;
        }
      }
      fsync_directory(dirfd.get(), f.versions_dir());
      checkpoint();
      if (same_inode(stat_at(dirfd.get(), plain), static_cast<std::uint64_t>(st.st_dev),
                     static_cast<std::uint64_t>(st.st_ino)) &&
          ::unlinkat(dirfd.get(), plain.c_str(), 0) != 0)
        throw_errno(errno, "unlink " + plain);
      report.done.push_back(plain + " -> " + gz + " (" + std::to_string(sizes.in) + " -> " + std::to_string(sizes.out) +
                            " bytes)");
      checkpoint();
    } catch (const simulated_crash&) {
      throw;
    } catch (const std::exception& e) {
      report.errors.push_back(std::string(e.what()) + "; " + plain + " left uncompressed");
    }
  }
  return report;
}

}  // namespace rotated
