// The loop's reactor on Linux: an epoll instance, the per-fd record of which
// task waits to read and which to write, and an eventfd that other threads
// write to wake the loop.
//
// Registration is level-triggered with the union of the directions someone
// waits for; a direction nobody waits for any more is removed, and an fd
// nobody waits on leaves the epoll set, so a closed fd never lingers. At
// most one task may wait per fd and direction (a second gets invalid_state).
//
// Timeouts are passed to epoll_pwait2 with nanosecond resolution (Linux
// 5.11+); where the kernel lacks it, epoll_wait with the timeout rounded up
// to the next millisecond.
//
// Loop thread only, except wake().
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "weft/detail/loop/task_state.hpp"

namespace weft::detail {

enum class io_direction : unsigned char { read, write };

class reactor_epoll {
 public:
  reactor_epoll();
  ~reactor_epoll();
  reactor_epoll(const reactor_epoll&) = delete;
  reactor_epoll& operator=(const reactor_epoll&) = delete;

  // Throws invalid_state if another task already waits on fd for dir, or
  // std::system_error if epoll refuses the fd (EBADF, EPERM for regular
  // files, which are always ready).
  void watch(int fd, io_direction dir, task_base* task);
  void unwatch(int fd, io_direction dir) noexcept;
  // How many (fd, direction) waits are registered.
  std::size_t watched() const noexcept { return watched_; }

  // Waits for readiness up to `timeout` (nullopt: until something happens;
  // zero: just look) and appends to `ready` every waiting task whose fd is
  // ready for its direction (or has an error or hangup, which its next
  // read/write will report). Returns true if anything happened, a wake()
  // included.
  bool poll(std::optional<std::chrono::nanoseconds> timeout, std::vector<task_base*>& ready);

  // Any thread: interrupts a poll in progress (or the next one).
  void wake() noexcept;

 private:
  struct fd_state {
    task_base* reader = nullptr;
    task_base* writer = nullptr;
    std::uint32_t events = 0;  // registered with epoll; 0 = not in the set
  };
  void update(int fd, fd_state& s);
  int wait(std::optional<std::chrono::nanoseconds> timeout);
  void drain_wake_fd() noexcept;

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::size_t watched_ = 0;
  std::vector<fd_state> fds_;
  std::vector<unsigned char> events_;  // storage for epoll_event[event_capacity]
};

}  // namespace weft::detail
