// What every weft socket shares: an owned, non-blocking, close-on-exec fd
// and its registration with the loop's reactor, made at the socket's first
// wait and kept until close, so that waiting costs no epoll_ctl.
//
// Every operation tries its syscall first and suspends the calling task only
// on EAGAIN; EINTR is retried. Errors are std::system_error with errno;
// `timeout` (on the loop's clock) raises weft::timeout_error when it passes;
// cancellation raises weft::cancelled. SIGPIPE never fires (MSG_NOSIGNAL,
// and a blocked SIGPIPE around sendfile).
//
// Fairness: a task whose socket operations keep completing without waiting
// yields to the loop before its (io_budget + 1)-th such operation in a row,
// so one always-ready connection cannot starve the others.
//
// Thread rules: a socket is bound to the loop of the task that first waits on
// it; use it from that loop's tasks only (invalid_state from another loop).
// Distinct sockets are independent. Destroy or close sockets on the loop's
// thread; one that outlives its loop can still be closed.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <optional>
#include <span>
#include <sys/types.h>

#include "weft/loop.hpp"
#include "weft/net/address.hpp"

namespace weft::detail {
struct io_registration;
}

namespace weft::net {

// How many socket operations in a row a task may complete without waiting
// before the next one yields to the loop first (Tokio: 128).
inline constexpr unsigned io_budget = 128;

using timeout = std::optional<loop::duration>;

namespace detail {
struct socket_io;  // src/net/socket_io.hpp
}

class socket {
 public:
  socket() noexcept = default;
  // Adopts fd, which must be a non-blocking socket.
  explicit socket(int fd) noexcept : fd_(fd) {}
  socket(socket&& other) noexcept;
  socket& operator=(socket&& other) noexcept;
  socket(const socket&) = delete;
  socket& operator=(const socket&) = delete;
  ~socket();

  // Closes the fd. Tasks waiting on it wake at once with std::system_error
  // (std::errc::operation_canceled); later operations raise EBADF. The fd
  // number may be reused straight away. Idempotent.
  void close() noexcept;
  bool is_open() const noexcept { return fd_ >= 0; }
  int native_handle() const noexcept { return fd_; }

  address local_address() const;
  address peer_address() const;

  // setsockopt/getsockopt with an int value; std::system_error on failure.
  void set_option(int level, int name, int value);
  int get_option(int level, int name) const;
  void set_reuse_address(bool on) { set_option(SOL_SOCKET, SO_REUSEADDR, on); }
  void set_reuse_port(bool on) { set_option(SOL_SOCKET, SO_REUSEPORT, on); }
  void set_send_buffer_size(int bytes) { set_option(SOL_SOCKET, SO_SNDBUF, bytes); }
  void set_receive_buffer_size(int bytes) { set_option(SOL_SOCKET, SO_RCVBUF, bytes); }
  int send_buffer_size() const { return get_option(SOL_SOCKET, SO_SNDBUF); }
  int receive_buffer_size() const { return get_option(SOL_SOCKET, SO_RCVBUF); }
  // The timeout that reads (writes) get when their call gives none: how
  // long one wait for data (for buffer space) may last. nullopt: none.
  void set_read_timeout(timeout t) noexcept { read_timeout_ = t; }
  void set_write_timeout(timeout t) noexcept { write_timeout_ = t; }
  // SO_LINGER: on with 0 seconds makes close() send a reset.
  void set_linger(bool on, int seconds);

  // Opens a socket of that family and type (non-blocking, close-on-exec are
  // added). std::system_error on failure.
  static socket open(int family, int type, int protocol = 0);
  void bind(const address& a);
  void listen(int backlog);
  // Connects, waiting up to `t` for the handshake.
  void connect(const address& a, timeout t = {});

 protected:
  friend struct detail::socket_io;
  int accept_fd(timeout t);  // what listener_socket::accept adopts

  int fd_ = -1;
  weft::detail::io_registration* reg_ = nullptr;
  timeout read_timeout_;
  timeout write_timeout_;
};

// A connected byte stream (TCP, Unix stream); satisfies weft::stream.
class stream_socket : public socket {
 public:
  using socket::socket;
  explicit stream_socket(socket&& s) noexcept : socket(std::move(s)) {}

  // Some bytes, or 0 at end of stream.
  std::size_t read_some(std::span<std::byte> into, timeout t = {});
  std::size_t write_some(std::span<const std::byte> data, timeout t = {});
  // `t` bounds the whole operation. read_exact: weft::end_of_stream if the
  // peer closes first.
  void read_exact(std::span<std::byte> into, timeout t = {});
  void write_all(std::span<const std::byte> data, timeout t = {});
  // Gathers and writes all of the buffers (sendmsg); returns the bytes
  // written, their total.
  std::size_t writev(std::span<const iovec> buffers, timeout t = {});
  // Sends `count` bytes of file `fd` from `offset` (advanced as it goes);
  // returns the bytes sent, fewer only if the file ends first.
  std::size_t sendfile(int fd, off_t& offset, std::size_t count, timeout t = {});
  // Sends FIN: the peer reads end of stream; this side can still read.
  void shutdown_write();
  void shutdown_read();
};

// A listening socket; Stream is what accept() returns.
template <class Stream>
class listener_socket : public socket {
 public:
  using socket::socket;
  explicit listener_socket(socket&& s) noexcept : socket(std::move(s)) {}
  // The next connection (accept4, non-blocking, close-on-exec). ECONNABORTED
  // is retried; EMFILE/ENFILE and the rest throw std::system_error.
  Stream accept(timeout t = {}) { return Stream(socket(accept_fd(t))); }
};

// What receive_from returns.
struct datagram {
  std::size_t size = 0;  // bytes stored (the rest of a longer one is lost)
  address from;
};

// A datagram socket (UDP, Unix datagram).
class datagram_socket : public socket {
 public:
  using socket::socket;
  explicit datagram_socket(socket&& s) noexcept : socket(std::move(s)) {}
  std::size_t send_to(std::span<const std::byte> data, const address& to, timeout t = {});
  datagram receive_from(std::span<std::byte> into, timeout t = {});
  // To the connected peer (after connect()).
  std::size_t send(std::span<const std::byte> data, timeout t = {});
  std::size_t receive(std::span<std::byte> into, timeout t = {});
};

}  // namespace weft::net
