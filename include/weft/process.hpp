// Subprocesses on the loop, as asyncio's create_subprocess_exec: a program
// run from an argv (never through a shell), its stdin, stdout and stderr
// optionally pipes whose parent ends are streams (read_some / write_some /
// close, docs/net-api's shape), and its exit waited for through a pidfd on
// the loop, so waiting suspends only the calling task.
//
// The child starts with an empty signal mask and default dispositions for
// every signal (the loop's thread blocks the ones it handles), and with
// every descriptor of the parent closed but the three it is given and those
// of process_options::pass_fds.
//
// Thread: a process and its pipes are bound to the loop of the task that
// spawned them; call them from that loop's tasks only.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "weft/loop.hpp"

namespace weft {

// The parent's end of a pipe to a child: non-blocking, close-on-exec,
// move-only, closed on destruction. read_some returns 0 only at end of
// stream (the child closed its end or exited); a write to a child that
// closed its end throws std::system_error (EPIPE). Both throw
// weft::timeout_error when `timeout` passes first, weft::cancelled when the
// task is cancelled.
class pipe_stream {
 public:
  pipe_stream() noexcept = default;
  explicit pipe_stream(int fd) noexcept : fd_(fd) {}
  pipe_stream(pipe_stream&& o) noexcept;
  pipe_stream& operator=(pipe_stream&& o) noexcept;
  ~pipe_stream();
  pipe_stream(const pipe_stream&) = delete;
  pipe_stream& operator=(const pipe_stream&) = delete;

  std::size_t read_some(std::span<std::byte> into, std::optional<loop::duration> timeout = std::nullopt);
  std::size_t write_some(std::span<const std::byte> from, std::optional<loop::duration> timeout = std::nullopt);
  void close() noexcept;
  bool is_open() const noexcept { return fd_ >= 0; }
  int native_handle() const noexcept { return fd_; }

 private:
  int fd_ = -1;
};

struct process_options {
  // Each stream is a pipe (reachable through process::stdin_pipe() ...) or
  // else the parent's own descriptor, inherited.
  bool pipe_stdin = false;
  bool pipe_stdout = false;
  bool pipe_stderr = false;
  // The child's whole environment ("KEY=VALUE" each); unset: the parent's.
  std::optional<std::vector<std::string>> env{};
  // Descriptors of the parent that the child gets as 3, 4, 5 ... in this
  // order (systemd's socket-activation numbering), without close-on-exec.
  // They share their open file description with the parent's (a listening
  // socket passed this way is the same socket in both).
  std::vector<int> pass_fds{};
};

class process {
 public:
  // Starts argv[0] (searched in PATH when it has no '/') with argv. Throws
  // std::system_error: ENOENT when there is no such program, or the spawn's
  // or pidfd's own error. std::invalid_argument for an empty argv.
  static process spawn(const std::vector<std::string>& argv, const process_options& options = {});

  process(process&& o) noexcept;
  process& operator=(process&& o) noexcept;
  // A child not yet waited for is killed (SIGKILL) and reaped here, so none
  // outlives its handle as a zombie; this blocks the thread for as long as
  // the kernel takes to end it.
  ~process();
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  pid_t pid() const noexcept { return pid_; }
  // The pipes asked for in process_options (an empty stream otherwise).
  pipe_stream& stdin_pipe() noexcept { return stdin_; }
  pipe_stream& stdout_pipe() noexcept { return stdout_; }
  pipe_stream& stderr_pipe() noexcept { return stderr_; }

  // Waits for the child to exit and returns its return code: the exit
  // status, or -N when signal N ended it (asyncio's returncode). Suspends
  // only the calling task. Throws weft::cancelled when it is cancelled.
  int wait();
  // As wait(), but gives up after `timeout`: nullopt when the child is
  // still running (the caller may then kill() it and wait() again).
  std::optional<int> wait_for(loop::duration timeout);
  // The return code once wait() has seen the exit.
  std::optional<int> returncode() const noexcept { return returncode_; }
  // Sends `signal` through the pidfd (never to a reused pid). Nothing once
  // the child has been waited for. Throws std::system_error otherwise.
  void kill(int signal);

 private:
  process() = default;
  bool reap();  // true once exited (returncode_ set)

  pid_t pid_ = -1;
  int pidfd_ = -1;
  std::optional<int> returncode_;
  pipe_stream stdin_, stdout_, stderr_;
};

}  // namespace weft
