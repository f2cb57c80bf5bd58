#include "weft/net/unix.hpp"

#include <sys/socket.h>

#include "net/socket_io.hpp"

namespace weft::net {

unix_stream unix_stream::connect(std::string_view path, timeout t) {
  unix_stream s(socket::open(AF_UNIX, SOCK_STREAM));
  s.socket::connect(address::unix_path(path), t);
  return s;
}

unix_listener unix_listener::bind(std::string_view path, int backlog) {
  unix_listener l(socket::open(AF_UNIX, SOCK_STREAM));
  l.socket::bind(address::unix_path(path));
  l.listen(backlog);
  return l;
}

unix_datagram unix_datagram::open() { return unix_datagram(socket::open(AF_UNIX, SOCK_DGRAM)); }

unix_datagram unix_datagram::bind(std::string_view path) {
  unix_datagram s = open();
  s.socket::bind(address::unix_path(path));
  return s;
}

namespace {
template <class S>
std::pair<S, S> make_pair(int type) {
  int fds[2];
  if (::socketpair(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0)
    detail::throw_errno(errno, "weft: socketpair");
  return {S(socket(fds[0])), S(socket(fds[1]))};
}
}  // namespace

std::pair<unix_stream, unix_stream> socketpair() { return make_pair<unix_stream>(SOCK_STREAM); }
std::pair<unix_datagram, unix_datagram> datagram_socketpair() { return make_pair<unix_datagram>(SOCK_DGRAM); }

}  // namespace weft::net
