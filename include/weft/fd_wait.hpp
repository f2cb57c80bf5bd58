// Waiting for a file descriptor, the base on which sockets, pipes, signalfd
// and inotify are built: suspends only the calling task until the fd is
// readable or writable.
//
// Readiness means the next read()/write() will not block, or will report an
// error or end of file (a hangup or error counts as ready). Level-triggered:
// wait, then read until EAGAIN, then wait again. One task per fd and
// direction at a time.
#pragma once

#include <optional>

#include "weft/loop.hpp"

namespace weft {

// Return true when ready, false when `timeout` passed first. Raise
// weft::cancelled if the task is cancelled meanwhile, invalid_state if
// another task already waits on the fd in that direction, std::system_error
// if epoll refuses the fd (EBADF; EPERM for regular files, always ready).
bool wait_readable(int fd, std::optional<loop::duration> timeout = std::nullopt);
bool wait_writable(int fd, std::optional<loop::duration> timeout = std::nullopt);

}  // namespace weft
