// Small POSIX file helpers for rotated. Failures throw std::system_error
// carrying errno, with the path in the message.
#pragma once

#include <dirent.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace rotated {

// Owns a file descriptor; closes it on destruction.
class unique_fd {
 public:
  unique_fd() noexcept = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  unique_fd(unique_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& o) noexcept;
  ~unique_fd();
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

// A directory stream (opendir, fdopendir), closed on destruction.
struct dir_closer {
  void operator()(DIR* d) const noexcept { ::closedir(d); }
};
using dir_stream = std::unique_ptr<DIR, dir_closer>;

[[noreturn]] void throw_errno(int err, const std::string& what);

// For its scope, the calling thread's file-system identity (setfsuid,
// setfsgid; Linux keeps them per thread) is uid:gid, which drops root's
// file-system capabilities; the previous identity comes back after.
// Thread: the thread that made it, on its own stack.
class fs_identity_scope {
 public:
  fs_identity_scope(uid_t uid, gid_t gid);
  ~fs_identity_scope();
  fs_identity_scope(const fs_identity_scope&) = delete;
  fs_identity_scope& operator=(const fs_identity_scope&) = delete;

 private:
  uid_t old_uid_;
  gid_t old_gid_;
};
// The calling thread's file-system uid.
uid_t current_fsuid() noexcept;

// Opens a directory (following symlinks in `path` itself) for *at() calls.
unique_fd open_directory(const std::string& path);
// Opens a directory for *at() calls without following a symlink anywhere
// in `path` (each component opened O_NOFOLLOW | O_DIRECTORY from its
// parent): a component swapped for a symlink makes it fail (ELOOP or
// ENOTDIR), never lands elsewhere. For the watched files' directories.
unique_fd open_directory_no_symlinks(const std::string& path);
void fsync_fd(int fd, const std::string& what);

// fsync of a directory with group commit: concurrent callers for the same
// directory share one fsync when it began after their request (it then
// covers their changes), so N rotations in one directory finishing at
// once cost a few fsyncs, not N. Thread-safe.
void fsync_directory(int dirfd, const std::string& what);

// Writes `content` to dirfd/name through a temp file in the same
// directory: write, fsync, fchmod(mode), rename over name, fsync the
// directory. Readers see the old or the new content, never a mix.
void write_file_atomic(int dirfd, const std::string& name, std::string_view content, mode_t mode,
                       const std::string& what);

// Reads a whole regular file (not following a final symlink); nullopt if
// it does not exist.
std::optional<std::string> read_file_at(int dirfd, const std::string& name);
void write_all(int fd, const char* data, std::size_t size, const std::string& what);
// One read(2), retried on EINTR; 0 at the end. Throws naming `what`.
std::size_t read_some(int fd, void* buf, std::size_t size, const std::string& what);

// Takes flock(LOCK_EX) on a directory, held while the returned descriptor
// stays open (and by nobody else: it is close-on-exec). Returns an empty
// unique_fd when another process holds it.
unique_fd try_lock_directory(const std::string& path);

// mkdir -p with `mode` for the directories it creates.
void make_directories(const std::string& path, mode_t mode);

// lstat-like at a directory fd; nullopt for ENOENT.
std::optional<struct stat> stat_at(int dirfd, const std::string& name);

// What tells one file from another where inode numbers are reused (ext4
// hands a freed number to the next file it creates): the inode, its birth
// time (0 where the file system keeps none), and size and mtime, which a
// rename leaves alone.
struct file_identity {
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  std::int64_t btime_ns = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
};
// statx without following a final symlink; nullopt for ENOENT.
std::optional<file_identity> identity_at(int dirfd, const std::string& name);

// Renames dirfd/from to dirfd/to unless `to` exists (RENAME_NOREPLACE, or
// link + unlink where the file system lacks it). Returns false when `to`
// exists; throws on any other failure.
bool rename_noreplace(int dirfd, const std::string& from, const std::string& to);
// The same from one directory to another (of the same filesystem).
bool rename_noreplace(int from_dirfd, const std::string& from, int to_dirfd, const std::string& to);

}  // namespace rotated
