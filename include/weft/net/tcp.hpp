// TCP over IPv4 and IPv6 (asyncio open_connection / start_server's sockets).
//
//   auto listener = weft::net::tcp_listener::bind(weft::net::address::ipv4("127.0.0.1", 0));
//   auto conn = weft::net::tcp_stream::connect("localhost", listener.local_address().port(), 2s);
//
// Thread rules and errors as for every weft socket (weft/net/socket.hpp).
#pragma once

#include <cstdint>
#include <string_view>

#include "weft/net/socket.hpp"

namespace weft::net {

class tcp_stream : public stream_socket {
 public:
  using stream_socket::stream_socket;

  // Connects to `a`; `t` bounds the handshake (timeout_error).
  static tcp_stream connect(const address& a, timeout t = {});
  // Resolves host (numeric hosts skip the resolver; names go through
  // weft::resolve on the loop's executor) and tries each address in turn
  // until one connects; `t` bounds the whole (timeout_error). If every
  // address fails, rethrows the last failure.
  static tcp_stream connect(std::string_view host, std::uint16_t port, timeout t = {});

  void set_nodelay(bool on);
  void set_keepalive(bool on);
};

struct listen_options {
  bool reuse_address = true;  // SO_REUSEADDR: rebind while old connections linger
  bool reuse_port = false;    // SO_REUSEPORT: several listeners share the port
  int backlog = SOMAXCONN;
};

class tcp_listener : public listener_socket<tcp_stream> {
 public:
  using listener_socket::listener_socket;
  // Binds and listens; port 0 picks a free port (see local_address()).
  static tcp_listener bind(const address& a, listen_options options = {});
};

}  // namespace weft::net
