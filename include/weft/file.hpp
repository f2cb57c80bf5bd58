// Files without blocking the loop (like Python's aiofiles): each call runs
// the blocking system calls on the running loop's default executor
// (weft/executor.hpp) and suspends only the calling task.
//
//   weft::fs::append_file("/var/log/app.log", line);
//   std::string conf = weft::fs::read_file("/etc/app.conf");
//
// Errors are std::system_error carrying errno; the message names the call
// and the path (or fd), e.g. "weft: open '/etc/app.conf': No such file or
// directory". Every call is a suspension point with the executor's
// cancellation rule: a call not yet started is dropped, one already started
// completes and then weft::cancelled is raised. Exceptions: open() closes
// the fd it got if cancelled meanwhile, and close() always closes (a
// cancellation waits for the next suspension point). All must be called
// from a task of a running loop.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace weft::fs {

// The whole file.
std::string read_file(const std::filesystem::path& path);
// Creates or truncates the file (mode 0666 less the umask) and writes data.
void write_file(const std::filesystem::path& path, std::string_view data);
// Creates the file if needed and appends data (O_APPEND: one write(2) per
// chunk, each at the end even with other writers).
void append_file(const std::filesystem::path& path, std::string_view data);

// open(2); O_CLOEXEC is always added. Returns the fd.
int open(const std::filesystem::path& path, int flags, ::mode_t mode = 0666);
// One read(2): up to n bytes, fewer near the end, 0 at end of file.
std::size_t read(int fd, void* buf, std::size_t n);
// All n bytes (write(2) until done).
void write(int fd, const void* buf, std::size_t n);
void write(int fd, std::string_view data);
void fsync(int fd);
void close(int fd);

struct ::stat stat(const std::filesystem::path& path);
void rename(const std::filesystem::path& from, const std::filesystem::path& to);
// unlink(2): removes a file (not a directory).
void remove(const std::filesystem::path& path);

}  // namespace weft::fs
