// Unix-domain sockets: stream, listener, datagram, and socketpair. Thread
// rules and errors as for every weft socket (weft/net/socket.hpp).
#pragma once

#include <string_view>
#include <utility>

#include "weft/net/socket.hpp"

namespace weft::net {

class unix_stream : public stream_socket {
 public:
  using stream_socket::stream_socket;
  // ECONNREFUSED when nobody listens; EAGAIN when the listener's backlog
  // is full (Unix sockets do not queue connects).
  static unix_stream connect(std::string_view path, timeout t = {});
};

class unix_listener : public listener_socket<unix_stream> {
 public:
  using listener_socket::listener_socket;
  // Binds to `path` (which must not exist) and listens. The socket file
  // stays after close; remove it yourself.
  static unix_listener bind(std::string_view path, int backlog = SOMAXCONN);
};

class unix_datagram : public datagram_socket {
 public:
  using datagram_socket::datagram_socket;
  static unix_datagram open();
  static unix_datagram bind(std::string_view path);
};

// Two connected Unix stream sockets (socketpair(2)).
std::pair<unix_stream, unix_stream> socketpair();
// Two connected Unix datagram sockets.
std::pair<unix_datagram, unix_datagram> datagram_socketpair();

}  // namespace weft::net
