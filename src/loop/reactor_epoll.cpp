#include "loop/reactor_epoll.hpp"

#include <linux/futex.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <ctime>
#include <system_error>

#include "weft/detail/loop/park.hpp"
#include "weft/detail/sanitizer.hpp"
#include "weft/error.hpp"

namespace weft::detail {

namespace {

constexpr int event_capacity = 256;
constexpr std::uint32_t read_events = EPOLLIN | EPOLLRDHUP | EPOLLPRI;
constexpr std::uint32_t error_events = EPOLLERR | EPOLLHUP;

[[noreturn]] void throw_errno(int err, const char* what) {
  throw std::system_error(err, std::generic_category(), what);
}

// epoll's data word for a foreign fd; a registration's address has its low
// bit clear.
constexpr std::uint64_t foreign_tag(int fd) { return (static_cast<std::uint64_t>(fd) << 1) | 1; }

epoll_event* as_events(std::vector<unsigned char>& raw) { return reinterpret_cast<epoll_event*>(raw.data()); }

// epoll_pwait2 exists from Linux 5.11; remember a refusal so we ask once.
// Under ThreadSanitizer it is never used: GCC 12's TSan runtime does not
// intercept it, and TSan defers a signal that arrives in a call it does not
// know to block until the thread's next intercepted call. A loop blocked in
// epoll_pwait2 would then sleep through a dump or shutdown signal.
#if defined(WEFT_TSAN)
std::atomic<bool> have_pwait2{false};
#else
std::atomic<bool> have_pwait2{true};
#endif

// The futex sleep is off under ThreadSanitizer for the same reason: a raw
// futex syscall is a call TSan does not know, so a deferred dump signal
// would never run its handler, whose wake() the sleeper waits for.
#if defined(WEFT_TSAN)
constexpr bool futex_sleep = false;
#else
constexpr bool futex_sleep = true;
#endif

std::uint32_t* futex_word(std::atomic<std::uint32_t>& a) noexcept {
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  return reinterpret_cast<std::uint32_t*>(&a);
}

}  // namespace

reactor_epoll::reactor_epoll() : events_(sizeof(epoll_event) * event_capacity) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw_errno(errno, "weft: epoll_create1");
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    int err = errno;
    ::close(epoll_fd_);
    throw_errno(err, "weft: eventfd");
  }
  // Edge-triggered and never read: every write to an eventfd wakes its
  // wait queue, so it makes a new edge even while the count is non-zero,
  // and a wake-up costs the writer's write and nothing on this side but
  // the poll (two syscalls per cross-thread hand-off, as a bare eventfd
  // read/write pair). The count cannot reach its limit (2^64 - 2 writes).
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLET;
  ev.data.u64 = foreign_tag(wake_fd_);
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
    int err = errno;
    ::close(wake_fd_);
    ::close(epoll_fd_);
    throw_errno(err, "weft: epoll_ctl(eventfd)");
  }
}

reactor_epoll::~reactor_epoll() {
  // Sockets may outlive their loop: their registrations forget it.
  while (io_registration* reg = registrations_.pop_front()) reg->reactor = nullptr;
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

io_registration* reactor_epoll::attach(int fd) {
  auto* reg = new io_registration;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLET;  // EPOLLPRI: see short_read_empties
  ev.data.ptr = reg;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    int err = errno;
    delete reg;
    throw_errno(err, "weft: epoll_ctl(ADD)");
  }
  reg->reactor = this;
  reg->fd = fd;
  registrations_.push_back(reg);
  return reg;
}

void reactor_epoll::detach(io_registration* reg) noexcept {
  if (reg == nullptr) return;
  if (reactor_epoll* r = reg->reactor) {
    r->abort_all(reg->readers);
    r->abort_all(reg->writers);
    epoll_event ev{};
    ::epoll_ctl(r->epoll_fd_, EPOLL_CTL_DEL, reg->fd, &ev);  // fails only if the fd is already gone
    r->registrations_.erase(reg);
  }
  delete reg;
}

void reactor_epoll::add_waiter(io_registration& reg, io_direction dir, io_waiter& w) noexcept {
  (dir == io_direction::read ? reg.readers : reg.writers).push_back(&w);
  ++watched_;
}

void reactor_epoll::remove_waiter(io_registration& reg, io_direction dir, io_waiter& w) noexcept {
  if (!w.linked()) return;
  (dir == io_direction::read ? reg.readers : reg.writers).erase(&w);
  --watched_;
}

void reactor_epoll::take_all(list<io_waiter>& waiters, std::vector<task_base*>& ready) noexcept {
  while (io_waiter* w = waiters.pop_front()) {
    --watched_;
    ready.push_back(w->task);
  }
}

void reactor_epoll::abort_all(list<io_waiter>& waiters) noexcept {
  while (io_waiter* w = waiters.pop_front()) {
    --watched_;
    w->aborted = true;
    unpark(w->task);
  }
}

void reactor_epoll::watch(int fd, io_direction dir, io_waiter& w) {
  if (fd < 0) throw_errno(EBADF, "weft: wait on a negative file descriptor");
  if (static_cast<std::size_t>(fd) >= fds_.size()) fds_.resize(static_cast<std::size_t>(fd) + 1);
  fd_state& s = fds_[static_cast<std::size_t>(fd)];
  io_waiter*& slot = dir == io_direction::read ? s.reader : s.writer;
  if (slot != nullptr)
    throw invalid_state(std::string("weft: another task already waits to ") +
                        (dir == io_direction::read ? "read" : "write") + " fd " + std::to_string(fd));
  slot = &w;
  try {
    update(fd, s);
  } catch (...) {
    slot = nullptr;
    throw;
  }
  ++watched_;
}

void reactor_epoll::unwatch(int fd, io_direction dir) noexcept {
  fd_state& s = fds_[static_cast<std::size_t>(fd)];
  io_waiter*& slot = dir == io_direction::read ? s.reader : s.writer;
  if (slot == nullptr) return;  // woken by abort_foreign()
  slot = nullptr;
  --watched_;
  try {
    update(fd, s);
  } catch (const std::system_error&) {
    // The fd was closed while a task waited on it: epoll already forgot it.
    s.events = 0;
  }
}

void reactor_epoll::abort_foreign(int fd) noexcept {
  if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return;
  fd_state& s = fds_[static_cast<std::size_t>(fd)];
  for (io_waiter** slot : {&s.reader, &s.writer}) {
    if (*slot == nullptr) continue;
    (*slot)->aborted = true;
    unpark((*slot)->task);
    *slot = nullptr;
    --watched_;
  }
  if (s.events != 0) {
    epoll_event ev{};
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, &ev);
    s.events = 0;
  }
}

void reactor_epoll::update(int fd, fd_state& s) {
  std::uint32_t wanted = (s.reader ? read_events : 0) | (s.writer ? std::uint32_t{EPOLLOUT} : 0);
  if (wanted == s.events) return;
  epoll_event ev{};
  ev.events = wanted;
  ev.data.u64 = foreign_tag(fd);
  int op = wanted == 0 ? EPOLL_CTL_DEL : s.events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
  int rc = ::epoll_ctl(epoll_fd_, op, fd, &ev);
  if (rc != 0 && op == EPOLL_CTL_ADD && errno == EEXIST) rc = ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
  if (rc != 0 && op == EPOLL_CTL_MOD && errno == ENOENT) rc = ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  if (rc != 0 && !(op == EPOLL_CTL_DEL && (errno == ENOENT || errno == EBADF))) throw_errno(errno, "weft: epoll_ctl");
  s.events = wanted;
}

int reactor_epoll::wait(std::optional<std::chrono::nanoseconds> timeout) {
  epoll_event* events = as_events(events_);
  for (;;) {
    int n;
    if (have_pwait2.load(std::memory_order_relaxed)) {
      timespec ts{};
      if (timeout) {
        ts.tv_sec = static_cast<time_t>(timeout->count() / 1'000'000'000);
        ts.tv_nsec = static_cast<long>(timeout->count() % 1'000'000'000);
      }
      n = ::epoll_pwait2(epoll_fd_, events, event_capacity, timeout ? &ts : nullptr, nullptr);
      if (n < 0 && errno == ENOSYS) {
        have_pwait2.store(false, std::memory_order_relaxed);
        continue;
      }
    } else {
      int ms = -1;
      if (timeout) ms = static_cast<int>((timeout->count() + 999'999) / 1'000'000);
      n = ::epoll_wait(epoll_fd_, events, event_capacity, ms);
    }
    if (n >= 0) return n;
    if (errno != EINTR) throw_errno(errno, "weft: epoll_wait");
  }
}

bool reactor_epoll::poll(std::optional<std::chrono::nanoseconds> timeout, std::vector<task_base*>& ready) {
  if (timeout && timeout->count() < 0) timeout = std::chrono::nanoseconds::zero();
  if (futex_sleep && watched_ == 0 && (!timeout || timeout->count() > 0)) return sleep_on_futex(timeout);
  int n = wait(timeout);
  epoll_event* events = as_events(events_);
  for (int i = 0; i < n; ++i) {
    std::uint32_t e = events[i].events;
    std::uint64_t data = events[i].data.u64;
    if ((data & 1) == 0) {
      auto* reg = static_cast<io_registration*>(events[i].data.ptr);
      if (e & (EPOLLRDHUP | EPOLLPRI | error_events)) reg->short_read_empties = false;
      // Most edges find nobody waiting in one direction: no call for it.
      if (e & (read_events | error_events)) {
        reg->readable = true;
        if (!reg->readers.empty()) take_all(reg->readers, ready);
      }
      if (e & (EPOLLOUT | error_events)) {
        reg->writable = true;
        if (!reg->writers.empty()) take_all(reg->writers, ready);
      }
      continue;
    }
    int fd = static_cast<int>(data >> 1);
    if (fd == wake_fd_) continue;
    fd_state& s = fds_[static_cast<std::size_t>(fd)];
    if (s.reader && (e & (read_events | error_events))) ready.push_back(s.reader->task);
    if (s.writer && (e & (EPOLLOUT | error_events))) ready.push_back(s.writer->task);
  }
  return n > 0;
}

// Nothing waits on an fd, so only wake() can end the sleep early. Any
// eventfd write meanwhile stays pending in epoll as an edge: at worst one
// spurious wake-up of a later epoll poll.
bool reactor_epoll::sleep_on_futex(std::optional<std::chrono::nanoseconds> timeout) noexcept {
  in_futex_.store(true, std::memory_order_seq_cst);
  std::uint32_t seen = wakes_.load(std::memory_order_seq_cst);
  if (seen == wakes_seen_) {
    timespec ts{};
    if (timeout) {
      ts.tv_sec = static_cast<time_t>(timeout->count() / 1'000'000'000);
      ts.tv_nsec = static_cast<long>(timeout->count() % 1'000'000'000);
    }
    // EINTR, ETIMEDOUT and EAGAIN (wakes_ moved on) all end the sleep.
    ::syscall(SYS_futex, futex_word(wakes_), FUTEX_WAIT_PRIVATE, seen, timeout ? &ts : nullptr, nullptr, 0);
  }
  in_futex_.store(false, std::memory_order_seq_cst);
  std::uint32_t now = wakes_.load(std::memory_order_seq_cst);
  bool woken = now != wakes_seen_;
  wakes_seen_ = now;
  return woken;
}

// Async-signal-safe (the dump signal's handler calls it). Dekker's pattern
// with sleep_on_futex(), every access seq_cst: wake() counts, then reads
// in_futex_; the sleeper sets in_futex_, then reads the count. Either the
// sleeper's read sees this wake's count (and it does not sleep, or the
// futex's own compare fails), or this read sees in_futex_ and wakes the
// futex. A wake that read in_futex_ true but lands after the sleeper left
// is not lost: its count precedes the sleeper's store of false, so the
// sleeper's last read counts it and poll() reports a wake-up. One that read
// it false writes the eventfd, which an epoll poll sees; a futex sleep
// then sees its count at the next sleep.
void reactor_epoll::wake() noexcept {
  wakes_.fetch_add(1, std::memory_order_seq_cst);
  if (futex_sleep && in_futex_.load(std::memory_order_seq_cst)) {
    ::syscall(SYS_futex, futex_word(wakes_), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
    return;
  }
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t w = ::write(wake_fd_, &one, sizeof one);
}

}  // namespace weft::detail
