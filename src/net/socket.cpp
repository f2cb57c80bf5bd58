#include "weft/net/socket.hpp"

#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "loop/reactor_epoll.hpp"
#include "net/socket_io.hpp"
#include "net/syscalls.hpp"
#include "weft/stream.hpp"

namespace weft::net {

namespace detail {

constinit thread_local io_budget_state budget;

void spend_budget(const void* task) {
  budget.spent = 0;
  yield_now();
  budget = {task, 0};
}

loop_time deadline_of(timeout t) { return t ? weft::detail::loop_now() + *t : weft::detail::no_deadline; }

namespace {

// Blocks SIGPIPE in this thread for a scope (sendfile has no MSG_NOSIGNAL).
// After an EPIPE, take_raised() takes the SIGPIPE the call raised, unless
// the thread had SIGPIPE blocked already (then a pending one may be its own).
class sigpipe_blocked {
 public:
  sigpipe_blocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~sigpipe_blocked() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  sigpipe_blocked(const sigpipe_blocked&) = delete;
  sigpipe_blocked& operator=(const sigpipe_blocked&) = delete;

  void take_raised() noexcept {
    if (sigismember(&old_, SIGPIPE) == 1) return;
    int saved = errno;
    timespec zero{};
    while (sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {
    }
    errno = saved;
  }

 private:
  sigset_t pipe_;
  sigset_t old_;
};

}  // namespace
}  // namespace detail

using detail::io_direction;
using detail::socket_io;
using detail::sys;

// --- socket -----------------------------------------------------------------

socket::socket(socket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      reg_(std::exchange(other.reg_, nullptr)),
      read_timeout_(other.read_timeout_),
      write_timeout_(other.write_timeout_) {}

socket& socket::operator=(socket&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    reg_ = std::exchange(other.reg_, nullptr);
    read_timeout_ = other.read_timeout_;
    write_timeout_ = other.write_timeout_;
  }
  return *this;
}

socket::~socket() { close(); }

void socket::close() noexcept {
  if (fd_ < 0) return;
  // Waiters wake and the fd leaves the epoll set before its number is free.
  weft::detail::reactor_epoll::detach(std::exchange(reg_, nullptr));
  ::close(std::exchange(fd_, -1));  // Linux frees the fd even when close reports an error
}

socket socket::open(int family, int type, int protocol) {
  int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) detail::throw_errno(errno, "weft: socket");
  return socket(fd);
}

void socket::bind(const address& a) {
  if (::bind(fd_, a.data(), a.size()) != 0) detail::throw_errno(errno, "weft: bind");
}

void socket::listen(int backlog) {
  if (::listen(fd_, backlog) != 0) detail::throw_errno(errno, "weft: listen");
}

void socket::connect(const address& a, timeout t) {
  detail::loop_time deadline = detail::deadline_of(t);
  int rc = sys.connect(fd_, a.data(), a.size());
  if (rc == 0) return;
  // EINTR: the handshake goes on in the background, as for EINPROGRESS.
  if (errno != EINPROGRESS && errno != EINTR) detail::throw_errno(errno, "weft: connect");
  for (;;) {
    socket_io::wait(*this, io_direction::write, deadline);
    int err = get_option(SOL_SOCKET, SO_ERROR);
    if (err != 0) detail::throw_errno(err, "weft: connect");
    sockaddr_storage peer;
    socklen_t len = sizeof peer;
    if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&peer), &len) == 0) return;
    if (errno != ENOTCONN) detail::throw_errno(errno, "weft: connect");
    // A wake-up before the handshake finished: wait for the next edge.
  }
}

int socket::accept_fd(timeout t) {
  return socket_io::run(*this, io_direction::read, detail::deadline_of(t ? t : read_timeout_), "weft: accept",
                        [](int fd) {
                          for (;;) {
                            int c = sys.accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                            if (c >= 0 || errno != ECONNABORTED)
                              return c;  // a connection reset before we took it: next
                          }
                        });
}

namespace {
address query_address(int fd, int (*query)(int, sockaddr*, socklen_t*), const char* what) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (query(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) detail::throw_errno(errno, what);
  return address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}
}  // namespace

address socket::local_address() const { return query_address(fd_, &::getsockname, "weft: getsockname"); }
address socket::peer_address() const { return query_address(fd_, &::getpeername, "weft: getpeername"); }

void socket::set_option(int level, int name, int value) {
  if (::setsockopt(fd_, level, name, &value, sizeof value) != 0) detail::throw_errno(errno, "weft: setsockopt");
}

int socket::get_option(int level, int name) const {
  int value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(fd_, level, name, &value, &len) != 0) detail::throw_errno(errno, "weft: getsockopt");
  return value;
}

void socket::set_linger(bool on, int seconds) {
  linger l{on ? 1 : 0, seconds};
  if (::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l) != 0) detail::throw_errno(errno, "weft: setsockopt");
}

// --- stream_socket ----------------------------------------------------------

namespace {

std::size_t recv_some(socket& s, std::span<std::byte> into, detail::loop_time deadline) {
  return static_cast<std::size_t>(socket_io::run(s, io_direction::read, deadline, "weft: recv",
                                                 [into](int fd) { return sys.recv(fd, into.data(), into.size(), 0); }));
}

std::size_t send_some(socket& s, std::span<const std::byte> data, detail::loop_time deadline) {
  return static_cast<std::size_t>(socket_io::run(s, io_direction::write, deadline, "weft: send", [data](int fd) {
    return sys.send(fd, data.data(), data.size(), MSG_NOSIGNAL);
  }));
}

// A stream read: recv_some, then the short-read rule (socket_io::after_stream_read).
std::size_t stream_recv(socket& s, std::span<std::byte> into, detail::loop_time deadline) {
  std::size_t n = recv_some(s, into, deadline);
  socket_io::after_stream_read(s, n, into.size());
  return n;
}

}  // namespace

std::size_t stream_socket::read_some(std::span<std::byte> into, timeout t) {
  return stream_recv(*this, into, detail::deadline_of(t ? t : read_timeout_));
}

std::size_t stream_socket::write_some(std::span<const std::byte> data, timeout t) {
  return send_some(*this, data, detail::deadline_of(t ? t : write_timeout_));
}

void stream_socket::read_exact(std::span<std::byte> into, timeout t) {
  detail::loop_time deadline = detail::deadline_of(t ? t : read_timeout_);
  std::size_t got = 0;
  while (got < into.size()) {
    std::size_t n = stream_recv(*this, into.subspan(got), deadline);
    if (n == 0) throw end_of_stream(got);
    got += n;
  }
}

void stream_socket::write_all(std::span<const std::byte> data, timeout t) {
  detail::loop_time deadline = detail::deadline_of(t ? t : write_timeout_);
  while (!data.empty()) data = data.subspan(send_some(*this, data, deadline));
}

std::size_t stream_socket::writev(std::span<const iovec> buffers, timeout t) {
  detail::loop_time deadline = detail::deadline_of(t ? t : write_timeout_);
  // A copy of the iovecs, advanced past what each sendmsg took.
  std::vector<iovec> rest(buffers.begin(), buffers.end());
  std::size_t first = 0;
  std::size_t total = 0;
  for (;;) {
    while (first < rest.size() && rest[first].iov_len == 0) ++first;
    if (first == rest.size()) return total;
    msghdr msg{};
    msg.msg_iov = rest.data() + first;
    msg.msg_iovlen = rest.size() - first;
    auto n = static_cast<std::size_t>(socket_io::run(*this, io_direction::write, deadline, "weft: sendmsg",
                                                     [&msg](int fd) { return sys.sendmsg(fd, &msg, MSG_NOSIGNAL); }));
    total += n;
    while (n > 0) {
      std::size_t take = std::min(n, rest[first].iov_len);
      rest[first].iov_base = static_cast<char*>(rest[first].iov_base) + take;
      rest[first].iov_len -= take;
      n -= take;
      if (rest[first].iov_len == 0) ++first;
    }
  }
}

std::size_t stream_socket::sendfile(int file_fd, off_t& offset, std::size_t count, timeout t) {
  detail::loop_time deadline = detail::deadline_of(t ? t : write_timeout_);
  std::size_t sent = 0;
  while (sent < count) {
    auto n = socket_io::run(*this, io_direction::write, deadline, "weft: sendfile", [&](int fd) {
      detail::sigpipe_blocked no_sigpipe;
      ssize_t n = sys.sendfile(fd, file_fd, &offset, count - sent);
      if (n < 0 && errno == EPIPE) no_sigpipe.take_raised();
      return n;
    });
    if (n == 0) break;  // the file ended
    sent += static_cast<std::size_t>(n);
  }
  return sent;
}

void stream_socket::shutdown_write() {
  if (::shutdown(fd_, SHUT_WR) != 0) detail::throw_errno(errno, "weft: shutdown");
}

void stream_socket::shutdown_read() {
  if (::shutdown(fd_, SHUT_RD) != 0) detail::throw_errno(errno, "weft: shutdown");
}

// --- datagram_socket --------------------------------------------------------

std::size_t datagram_socket::send_to(std::span<const std::byte> data, const address& to, timeout t) {
  return static_cast<std::size_t>(socket_io::run(
      *this, io_direction::write, detail::deadline_of(t ? t : write_timeout_), "weft: sendto",
      [&](int fd) { return sys.sendto(fd, data.data(), data.size(), MSG_NOSIGNAL, to.data(), to.size()); }));
}

datagram datagram_socket::receive_from(std::span<std::byte> into, timeout t) {
  sockaddr_storage from{};
  socklen_t len = 0;
  auto n = socket_io::run(
      *this, io_direction::read, detail::deadline_of(t ? t : read_timeout_), "weft: recvfrom", [&](int fd) {
        len = sizeof from;
        return sys.recvfrom(fd, into.data(), into.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
      });
  return {static_cast<std::size_t>(n), address::from_sockaddr(reinterpret_cast<sockaddr*>(&from), len)};
}

std::size_t datagram_socket::send(std::span<const std::byte> data, timeout t) {
  return send_some(*this, data, detail::deadline_of(t ? t : write_timeout_));
}

std::size_t datagram_socket::receive(std::span<std::byte> into, timeout t) {
  return recv_some(*this, into, detail::deadline_of(t ? t : read_timeout_));
}

}  // namespace weft::net
