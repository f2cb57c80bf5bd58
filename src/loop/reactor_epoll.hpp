// The loop's reactor on Linux: an epoll instance, the tasks waiting on fds,
// and an eventfd that other threads write to wake the loop.
//
// Two kinds of fd:
//  - An fd weft owns (a socket) has an io_registration: it joins the epoll
//    set once, edge-triggered for EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLPRI, at
//    its first wait, and leaves it once, when closed. Waits on it cost no
//    epoll_ctl.
//    Edge-triggered is what makes that possible: a persistent level-triggered
//    EPOLLOUT would report a writable socket at every poll, so level needs an
//    EPOLL_CTL_MOD per wait. Edges are never lost because every user tries
//    its syscall first and waits only after EAGAIN: the next edge comes with
//    the next change. Any number of tasks may wait per direction; an edge
//    wakes them all (each retries its syscall). Closing the registration
//    wakes every waiter at once with `aborted` set.
//  - A foreign fd (wait_readable/wait_writable, signalfd): level-triggered
//    with the union of the directions someone waits for; a direction nobody
//    waits for any more is removed, and an fd nobody waits on leaves the
//    epoll set. At most one task per fd and direction (a second gets
//    invalid_state). abort_foreign() (weft::close_fd) wakes its waiters.
//
// epoll's data word tells the two apart: an io_registration's address
// (aligned, low bit 0) or (fd << 1) | 1.
//
// Timeouts are passed to epoll_pwait2 with nanosecond resolution (Linux
// 5.11+); where the kernel lacks it, epoll_wait with the timeout rounded up
// to the next millisecond.
//
// Loop thread only, except wake().
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "weft/detail/intrusive_list.hpp"
#include "weft/detail/loop/task_state.hpp"

namespace weft::detail {

enum class io_direction : unsigned char { read, write };

class reactor_epoll;

// A task waiting on an fd; lives on its stack for the duration of the wait.
// Unlinked (or taken out of its foreign slot) by whoever wakes it.
struct io_waiter : list_hook {
  task_base* task = nullptr;
  bool aborted = false;  // the fd was closed under the wait
};

// The epoll membership of an fd weft owns, held by the object that owns the
// fd (a socket) from its first wait until it closes the fd. Heap-allocated:
// epoll holds its address. Detached (reactor null) if the loop is destroyed
// first, so that closing the fd later touches nothing of the loop.
//
// `readable`/`writable`: false once an operation found the kernel side empty
// (EAGAIN, or a short read on a stream socket, src/net/socket_io.hpp) and no
// edge has come since; every edge poll() sees sets them, waiters or not, so
// an edge that comes while no task waits is not lost. An operation that
// finds its flag false waits for the next edge instead of making the syscall
// that would answer EAGAIN (nginx's `ready`).
//
// `short_read_empties`: true until an edge reports end of stream, an error
// or urgent data (EPOLLRDHUP, EPOLLHUP, EPOLLERR, EPOLLPRI). Each of those
// can end a read short while the next recv still has something to say (0,
// the error, the bytes past the urgent mark) and no new edge will come for
// it, so from then on a short read no longer clears `readable` (nginx's
// `pending_eof`).
struct io_registration : list_hook {  // list_hook: the reactor's registrations
  reactor_epoll* reactor = nullptr;
  int fd = -1;
  bool readable = true;
  bool writable = true;
  bool short_read_empties = true;
  list<io_waiter> readers;
  list<io_waiter> writers;
};

class reactor_epoll {
 public:
  reactor_epoll();
  ~reactor_epoll();
  reactor_epoll(const reactor_epoll&) = delete;
  reactor_epoll& operator=(const reactor_epoll&) = delete;

  // --- fds weft owns ---
  // Adds fd to the epoll set for good. std::system_error if epoll refuses it.
  io_registration* attach(int fd);
  // Wakes every waiter with `aborted`, removes the fd from the epoll set
  // (before it is closed: a dup'd or inherited fd would keep it there) and
  // frees the registration. Also for a registration whose loop is gone.
  static void detach(io_registration* reg) noexcept;
  void add_waiter(io_registration& reg, io_direction dir, io_waiter& w) noexcept;
  // A waiter that woke by timeout or cancellation takes itself out.
  void remove_waiter(io_registration& reg, io_direction dir, io_waiter& w) noexcept;

  // --- foreign fds ---
  // Throws invalid_state if another task already waits on fd for dir, or
  // std::system_error if epoll refuses the fd (EBADF, EPERM for regular
  // files, which are always ready).
  void watch(int fd, io_direction dir, io_waiter& w);
  void unwatch(int fd, io_direction dir) noexcept;
  // The fd is about to be closed: wakes its waiters with `aborted` and
  // takes it out of the epoll set.
  void abort_foreign(int fd) noexcept;

  // How many waits (either kind) are registered.
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
    io_waiter* reader = nullptr;
    io_waiter* writer = nullptr;
    std::uint32_t events = 0;  // registered with epoll; 0 = not in the set
  };
  void update(int fd, fd_state& s);
  int wait(std::optional<std::chrono::nanoseconds> timeout);
  void take_all(list<io_waiter>& waiters, std::vector<task_base*>& ready) noexcept;
  void abort_all(list<io_waiter>& waiters) noexcept;

  bool sleep_on_futex(std::optional<std::chrono::nanoseconds> timeout) noexcept;

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  // A loop with no fd waited on sleeps on a futex instead of in epoll
  // (waking a futex waiter is the cheaper kernel path). Every wake() counts
  // in wakes_ first, then wakes the futex if in_futex_ says the loop may
  // sleep there, else the eventfd; the ordering is argued at wake().
  std::atomic<std::uint32_t> wakes_{0};
  std::atomic<bool> in_futex_{false};
  std::uint32_t wakes_seen_ = 0;  // loop thread only: wakes_ at the last futex sleep
  std::size_t watched_ = 0;
  std::vector<fd_state> fds_;
  list<io_registration> registrations_;
  std::vector<unsigned char> events_;  // storage for epoll_event[event_capacity]
};

}  // namespace weft::detail
