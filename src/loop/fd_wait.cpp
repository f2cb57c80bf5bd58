#include "loop/fd_wait.hpp"

#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "loop/loop_core.hpp"
#include "weft/fd_wait.hpp"

namespace weft {

namespace detail {

namespace {

wait_kind kind_of(io_direction dir) { return dir == io_direction::read ? wait_kind::readable : wait_kind::writable; }

// The outcome of a park on an fd.
bool woken(wake_reason why, const io_waiter& w) {
  if (w.aborted) throw_closed_under_wait();
  switch (why) {
    case wake_reason::woken: return true;
    case wake_reason::timed_out: return false;
    case wake_reason::cancelled: break;
  }
  throw cancelled();
}

}  // namespace

void throw_closed_under_wait() {
  throw std::system_error(std::make_error_code(std::errc::operation_canceled), "weft: fd closed while waiting on it");
}

bool wait_foreign_fd(int fd, io_direction dir, loop_time deadline, wait_kind kind, std::string_view what) {
  task_base& t = running_task();
  loop_core& core = *t.loop;
  io_waiter w;
  w.task = &t;
  core.reactor.watch(fd, dir, w);
  struct unwatch_on_exit {
    loop_core& core;
    int fd;
    io_direction dir;
    ~unwatch_on_exit() { core.reactor.unwatch(fd, dir); }
  } guard{core, fd, dir};
  return woken(park({kind, what, "", fd}, deadline), w);
}

io_registration* attach_fd(int fd) { return running_task().loop->reactor.attach(fd); }

bool wait_registered(io_registration& reg, io_direction dir, loop_time deadline, std::string_view what) {
  task_base& t = running_task();
  reactor_epoll& reactor = t.loop->reactor;
  if (reg.reactor != &reactor)
    throw invalid_state("weft: a socket is used from a loop other than the one that made it");
  io_waiter w;
  w.task = &t;
  reactor.add_waiter(reg, dir, w);
  struct remove_on_exit {
    reactor_epoll& reactor;
    io_registration& reg;
    io_direction dir;
    io_waiter& w;
    ~remove_on_exit() {
      if (!w.aborted) reactor.remove_waiter(reg, dir, w);  // an aborted wait's reg may be gone
    }
  } guard{reactor, reg, dir, w};
  return woken(park({kind_of(dir), what, "", reg.fd}, deadline), w);
}

}  // namespace detail

bool wait_readable(int fd, std::optional<loop::duration> timeout) {
  detail::loop_time deadline = timeout ? detail::loop_now() + *timeout : detail::no_deadline;
  return detail::wait_foreign_fd(fd, detail::io_direction::read, deadline, detail::wait_kind::readable, "");
}

bool wait_writable(int fd, std::optional<loop::duration> timeout) {
  detail::loop_time deadline = timeout ? detail::loop_now() + *timeout : detail::no_deadline;
  return detail::wait_foreign_fd(fd, detail::io_direction::write, deadline, detail::wait_kind::writable, "");
}

void close_fd(int fd) {
  if (detail::current_core != nullptr) detail::current_core->reactor.abort_foreign(fd);
  if (::close(fd) != 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "weft: close");
}

}  // namespace weft
