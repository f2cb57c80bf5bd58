// Waiting for a file descriptor that weft does not own (a pipe, an inotify
// fd, a device): suspends only the calling task until the fd is readable or
// writable. weft's own sockets (weft/net/) do not use these: they are
// registered with the reactor once for their lifetime, and closing one wakes
// its waiters (docs/networking.md).
//
// Readiness means the next read()/write() will not block, or will report an
// error or end of file (a hangup or error counts as ready). Level-triggered:
// wait, then read until EAGAIN, then wait again. One task per fd and
// direction at a time. Each wait adds the fd to the loop's epoll set and
// takes it out again (two epoll_ctl calls).
//
// Closing an fd while a task waits on it: close it with weft::close_fd, on
// the loop's thread, and the waiters wake at once with std::system_error
// (std::errc::operation_canceled). A plain ::close() under a waiter is not
// seen by the loop: epoll forgets the fd silently, the waiter stays parked
// until its timeout or cancellation, and until then no other task can wait
// on a new fd that gets the same number (invalid_state).
#pragma once

#include <optional>

#include "weft/loop.hpp"

namespace weft {

// Return true when ready, false when `timeout` passed first. Raise
// weft::cancelled if the task is cancelled meanwhile, invalid_state if
// another task already waits on the fd in that direction, std::system_error
// if epoll refuses the fd (EBADF; EPERM for regular files, always ready) or
// (operation_canceled) if close_fd closes it meanwhile.
bool wait_readable(int fd, std::optional<loop::duration> timeout = std::nullopt);
bool wait_writable(int fd, std::optional<loop::duration> timeout = std::nullopt);

// Closes fd, first waking every task of this thread's running loop that
// waits on it through wait_readable/wait_writable (they raise
// std::system_error with operation_canceled when they next run, in the
// loop's next batch). From any thread; outside a running loop it only
// closes. std::system_error (EBADF...) if close() fails.
void close_fd(int fd);

}  // namespace weft
