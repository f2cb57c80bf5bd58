// Parking a task on an fd: the one implementation behind wait_readable,
// signal_set and the sockets (src/net). Loop thread only; each call must be
// made from a task of the running loop.
#pragma once

#include <string_view>

#include "loop/reactor_epoll.hpp"

namespace weft::detail {

// Suspends the running task until the foreign fd is ready for `dir`, or
// `deadline` passes (false). Raises cancelled, std::system_error
// (operation_canceled) if weft::close_fd closes the fd meanwhile, and what
// reactor_epoll::watch raises.
bool wait_foreign_fd(int fd, io_direction dir, loop_time deadline, wait_kind kind, std::string_view what);

// The running loop's registration for an fd weft owns (reactor_epoll::attach).
io_registration* attach_fd(int fd);

// Suspends the running task until `reg` reports readiness for `dir` (which
// may be spurious: retry the syscall) or `deadline` passes (false). Raises
// cancelled, std::system_error (operation_canceled) if the registration is
// detached meanwhile, and invalid_state from a loop other than its own.
bool wait_registered(io_registration& reg, io_direction dir, loop_time deadline, std::string_view what);

// The error a wait raises when its fd is closed under it.
[[noreturn]] void throw_closed_under_wait();

}  // namespace weft::detail
