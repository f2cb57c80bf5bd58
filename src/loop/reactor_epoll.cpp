#include "loop/reactor_epoll.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <ctime>
#include <system_error>

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
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_fd_;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
    int err = errno;
    ::close(wake_fd_);
    ::close(epoll_fd_);
    throw_errno(err, "weft: epoll_ctl(eventfd)");
  }
}

reactor_epoll::~reactor_epoll() {
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

void reactor_epoll::watch(int fd, io_direction dir, task_base* task) {
  if (fd < 0) throw_errno(EBADF, "weft: wait on a negative file descriptor");
  if (static_cast<std::size_t>(fd) >= fds_.size()) fds_.resize(static_cast<std::size_t>(fd) + 1);
  fd_state& s = fds_[static_cast<std::size_t>(fd)];
  task_base*& slot = dir == io_direction::read ? s.reader : s.writer;
  if (slot != nullptr)
    throw invalid_state(std::string("weft: another task already waits to ") +
                        (dir == io_direction::read ? "read" : "write") + " fd " + std::to_string(fd));
  slot = task;
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
  task_base*& slot = dir == io_direction::read ? s.reader : s.writer;
  if (slot == nullptr) return;
  slot = nullptr;
  --watched_;
  try {
    update(fd, s);
  } catch (const std::system_error&) {
    // The fd was closed while a task waited on it: epoll already forgot it.
    s.events = 0;
  }
}

void reactor_epoll::update(int fd, fd_state& s) {
  std::uint32_t wanted = (s.reader ? read_events : 0) | (s.writer ? std::uint32_t{EPOLLOUT} : 0);
  if (wanted == s.events) return;
  epoll_event ev{};
  ev.events = wanted;
  ev.data.fd = fd;
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

void reactor_epoll::drain_wake_fd() noexcept {
  std::uint64_t count;
  while (::read(wake_fd_, &count, sizeof count) > 0) {
  }
}

bool reactor_epoll::poll(std::optional<std::chrono::nanoseconds> timeout, std::vector<task_base*>& ready) {
  if (timeout && timeout->count() < 0) timeout = std::chrono::nanoseconds::zero();
  int n = wait(timeout);
  epoll_event* events = as_events(events_);
  for (int i = 0; i < n; ++i) {
    int fd = events[i].data.fd;
    if (fd == wake_fd_) {
      drain_wake_fd();
      continue;
    }
    fd_state& s = fds_[static_cast<std::size_t>(fd)];
    std::uint32_t e = events[i].events;
    if (s.reader && (e & (read_events | error_events))) ready.push_back(s.reader);
    if (s.writer && (e & (EPOLLOUT | error_events))) ready.push_back(s.writer);
  }
  return n > 0;
}

void reactor_epoll::wake() noexcept {
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t w = ::write(wake_fd_, &one, sizeof one);
}

}  // namespace weft::detail
