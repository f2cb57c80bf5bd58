// The one retry loop behind every socket operation: try the syscall, retry
// EINTR, on EAGAIN register the fd (once) and wait for readiness, then
// retry; and the fairness budget (weft::net::io_budget). Once registered, an
// operation whose direction was found empty with no edge since
// (io_registration::readable/writable) waits first: the syscall would only
// answer EAGAIN. Loop thread only.
#pragma once

#include <cerrno>
#include <system_error>

#include "loop/fd_wait.hpp"
#include "net/syscalls.hpp"
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

// The running task has spent its budget: yields, then starts a new count.
void spend_budget(const void* task);

// Before an operation's first syscall: yields if the running task has spent
// its budget (before, so a cancellation there loses no data). Inline, and
// the yield out of line, so that the common case is a few loads.
inline void charge_budget() {
  auto* sched = weft::detail::current_scheduler;
  const void* t = sched != nullptr ? sched->running : nullptr;
  if (t == nullptr) return;  // outside a task nothing can wait, nor yield
  if (budget.task != t) {
    budget = {t, 0};
    return;
  }
  if (budget.spent >= io_budget) [[unlikely]]
    spend_budget(t);
}

loop_time deadline_of(timeout t);

struct socket_io {
  // Runs op(fd) (a syscall returning -1 with errno on failure) until it
  // succeeds; returns its result. EAGAIN waits for `dir` until `deadline`.
  template <class Op>
  static auto run(socket& s, io_direction dir, loop_time deadline, const char* what, Op&& op) {
    charge_budget();
    for (;;) {
      if (s.fd_ < 0) throw_errno(EBADF, what);
      if (s.reg_ != nullptr && !ready(*s.reg_, dir)) {
        wait(s, dir, deadline);
        continue;
      }
      auto n = op(s.fd_);
      if (n >= 0) {
        ++budget.spent;
        return n;
      }
      int err = errno;
      if (err == EINTR) continue;
      if (err != EAGAIN && err != EWOULDBLOCK) throw_errno(err, what);
      wait(s, dir, deadline);
    }
  }

  // Waits once for readiness: timeout_error when `deadline` passes,
  // operation_canceled if the socket is closed meanwhile. Dumps show it as
  // "fd readable socket fd N".
  static void wait(socket& s, io_direction dir, loop_time deadline) {
    if (s.reg_ == nullptr) s.reg_ = weft::detail::attach_fd(s.fd_);
    ready(*s.reg_, dir) = false;
    budget.spent = 0;
    if (!weft::detail::wait_registered(*s.reg_, dir, deadline, "socket")) throw timeout_error();
    // Woken by readiness, then closed by another task before running.
    if (s.fd_ < 0) weft::detail::throw_closed_under_wait();
  }

  // A read of a stream socket returned `got` of the `wanted` bytes. Fewer
  // (but some) means the kernel's receive queue was empty when it returned:
  // Linux's TCP and Unix stream recv stop short of the buffer only there,
  // at end of stream, at an error or urgent mark (short_read_empties says
  // whether one of those was seen), or, on Unix sockets, at a message
  // carrying file descriptors or (with SO_PASSCRED) another sender's
  // credentials, which weft's streams neither send nor ask for. Then the
  // next read waits for the next edge instead of making a recv that would
  // answer EAGAIN.
  static void after_stream_read(socket& s, std::size_t got, std::size_t wanted) noexcept {
    if (got > 0 && got < wanted && s.reg_ != nullptr && s.reg_->short_read_empties && sys.short_recv_empties)
      s.reg_->readable = false;
  }

 private:
  static bool& ready(weft::detail::io_registration& reg, io_direction dir) noexcept {
    return dir == io_direction::read ? reg.readable : reg.writable;
  }
};

}  // namespace weft::net::detail
