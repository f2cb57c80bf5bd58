#include "loop/loop_core.hpp"
#include "weft/fd_wait.hpp"

namespace weft {

namespace {

bool wait_fd(int fd, detail::io_direction dir, std::optional<loop::duration> timeout) {
  detail::task_base& t = detail::running_task();
  detail::loop_core& core = *t.loop;
  core.reactor.watch(fd, dir, &t);
  struct unwatch_on_exit {
    detail::loop_core& core;
    int fd;
    detail::io_direction dir;
    ~unwatch_on_exit() { core.reactor.unwatch(fd, dir); }
  } guard{core, fd, dir};
  detail::wait_kind kind = dir == detail::io_direction::read ? detail::wait_kind::readable : detail::wait_kind::writable;
  detail::loop_time deadline = timeout ? core.now() + *timeout : detail::no_deadline;
  switch (detail::park({kind, "", "", fd}, deadline)) {
    case detail::wake_reason::woken: return true;
    case detail::wake_reason::timed_out: return false;
    case detail::wake_reason::cancelled: break;
  }
  throw cancelled();
}

}  // namespace

bool wait_readable(int fd, std::optional<loop::duration> timeout) {
  return wait_fd(fd, detail::io_direction::read, timeout);
}

bool wait_writable(int fd, std::optional<loop::duration> timeout) {
  return wait_fd(fd, detail::io_direction::write, timeout);
}

}  // namespace weft
