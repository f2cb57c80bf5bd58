// Async file helpers (include/weft/file.hpp): the system calls run on the
// default executor. Each job does its own retries (EINTR, short writes)
// and throws std::system_error, which the executor rethrows in the task.
#include "weft/file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "weft/error.hpp"
#include "weft/executor.hpp"
#include "weft/task.hpp"

namespace weft::fs {

namespace {

[[noreturn]] void throw_path_error(int err, const char* call, const std::filesystem::path& path) {
  throw std::system_error(err, std::generic_category(), std::string("weft: ") + call + " '" + path.string() + "'");
}

[[noreturn]] void throw_fd_error(int err, const char* call, int fd) {
  throw std::system_error(err, std::generic_category(), std::string("weft: ") + call + " fd " + std::to_string(fd));
}

int open_blocking(const std::filesystem::path& path, int flags, ::mode_t mode) {
  for (;;) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd >= 0) return fd;
    if (errno != EINTR) throw_path_error(errno, "open", path);
  }
}

// Writes everything; returns 0 or the errno of the failing write.
int write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    ssize_t done = ::write(fd, data, n);
    if (done < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += done;
    n -= static_cast<std::size_t>(done);
  }
  return 0;
}

// Closes fd on scope exit (errors ignored: the operation already failed
// or its own close is checked separately).
struct fd_closer {
  int fd;
  ~fd_closer() {
    if (fd >= 0) ::close(fd);
  }
};

void put_file(const std::filesystem::path& path, std::string_view data, int flags, const char* call) {
  run_in_executor([&] {
    fd_closer file{open_blocking(path, O_WRONLY | O_CREAT | flags, 0666)};
    if (int err = write_all(file.fd, data.data(), data.size()); err != 0) throw_path_error(err, call, path);
    int fd = std::exchange(file.fd, -1);
    if (::close(fd) != 0 && errno != EINTR) throw_path_error(errno, call, path);
  });
}

}  // namespace

std::string read_file(const std::filesystem::path& path) {
  return run_in_executor([&] {
    fd_closer file{open_blocking(path, O_RDONLY, 0)};
    std::string out;
    struct ::stat st {};
    if (::fstat(file.fd, &st) == 0 && st.st_size > 0) out.reserve(static_cast<std::size_t>(st.st_size));
    char buf[16384];
    for (;;) {
      ssize_t n = ::read(file.fd, buf, sizeof buf);
      if (n > 0) out.append(buf, static_cast<std::size_t>(n));
      else if (n == 0) break;
      else if (errno != EINTR) throw_path_error(errno, "read", path);
    }
    return out;
  });
}

void write_file(const std::filesystem::path& path, std::string_view data) { put_file(path, data, O_TRUNC, "write"); }

void append_file(const std::filesystem::path& path, std::string_view data) { put_file(path, data, O_APPEND, "append"); }

int open(const std::filesystem::path& path, int flags, ::mode_t mode) {
  int fd = -1;
  try {
    run_in_executor([&] { fd = open_blocking(path, flags, mode); });
  } catch (const cancelled&) {
    if (fd >= 0) ::close(fd);  // opened, but nobody will get it
    throw;
  }
  return fd;
}

std::size_t read(int fd, void* buf, std::size_t n) {
  return run_in_executor([&] {
    for (;;) {
      ssize_t got = ::read(fd, buf, n);
      if (got >= 0) return static_cast<std::size_t>(got);
      if (errno != EINTR) throw_fd_error(errno, "read", fd);
    }
  });
}

void write(int fd, const void* buf, std::size_t n) {
  run_in_executor([&] {
    if (int err = write_all(fd, static_cast<const char*>(buf), n); err != 0) throw_fd_error(err, "write", fd);
  });
}

void write(int fd, std::string_view data) { write(fd, data.data(), data.size()); }

void fsync(int fd) {
  run_in_executor([&] {
    if (::fsync(fd) != 0) throw_fd_error(errno, "fsync", fd);
  });
}

void close(int fd) {
  cancellation_shield shield;  // a half-done close would leak the fd
  run_in_executor([&] {
    // Linux releases the fd even when close reports EINTR: never retry.
    if (::close(fd) != 0 && errno != EINTR) throw_fd_error(errno, "close", fd);
  });
}

struct ::stat stat(const std::filesystem::path& path) {
  return run_in_executor([&] {
    struct ::stat st {};
    if (::stat(path.c_str(), &st) != 0) throw_path_error(errno, "stat", path);
    return st;
  });
}

void rename(const std::filesystem::path& from, const std::filesystem::path& to) {
  run_in_executor([&] {
    if (::rename(from.c_str(), to.c_str()) != 0)
      throw std::system_error(errno, std::generic_category(),
                              "weft: rename '" + from.string() + "' to '" + to.string() + "'");
  });
}

void remove(const std::filesystem::path& path) {
  run_in_executor([&] {
    if (::unlink(path.c_str()) != 0) throw_path_error(errno, "unlink", path);
  });
}

}  // namespace weft::fs
