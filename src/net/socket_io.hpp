// The one retry loop behind every socket operation: try the syscall, retry
// EINTR, on EAGAIN register the fd (once) and wait for readiness, then
// retry; and the fairness budget (weft::net::io_budget). Loop thread only.
#pragma once

#include <cerrno>
#include <system_error>

#include "loop/fd_wait.hpp"
#include "weft/error.hpp"
#include "weft/net/socket.hpp"

namespace weft::net::detail {

using weft::detail::io_direction;
using weft::detail::loop_time;

[[noreturn]] inline void throw_errno(int err, const char* what) {
  throw std::system_error(err, std::generic_category(), what);
}

// The task whose operations are being counted, and how many completed in a
// row without waiting. Another task's operation starts a new count.
struct io_budget_state {
  const void* task = nullptr;
  unsigned spent = 0;
};
extern constinit thread_local io_budget_state budget;

// Before an operation's first syscall: yields if the running task has spent
// its budget (before, so a cancellation there loses no data).
void charge_budget();

loop_time deadline_of(timeout t);

struct socket_io {
  // Runs op(fd) (a syscall returning -1 with errno on failure) until it
  // succeeds; returns its result. EAGAIN waits for `dir` until `deadline`.
  template <class Op>
  static auto run(socket& s, io_direction dir, loop_time deadline, const char* what, Op&& op) {
    charge_budget();
    for (;;) {
      if (s.fd_ < 0) throw_errno(EBADF, what);
      auto n = op(s.fd_);
      if (n >= 0) {
        ++budget.spent;
        return n;
      }
      int err = errno;
      if (err == EINTR) continue;
      if (err != EAGAIN && err != EWOULDBLOCK) throw_errno(err, what);
      wait(s, dir, deadline, what);
    }
  }

  // Waits once for readiness: timeout_error when `deadline` passes,
  // operation_canceled if the socket is closed meanwhile.
  static void wait(socket& s, io_direction dir, loop_time deadline, const char* what) {
    if (s.reg_ == nullptr) s.reg_ = weft::detail::attach_fd(s.fd_);
    budget.spent = 0;
    if (!weft::detail::wait_registered(*s.reg_, dir, deadline, what)) throw timeout_error();
    // Woken by readiness, then closed by another task before running.
    if (s.fd_ < 0) weft::detail::throw_closed_under_wait();
  }
};

}  // namespace weft::net::detail
