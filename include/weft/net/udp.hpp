// UDP over IPv4 and IPv6. Thread rules and errors as for every weft socket
// (weft/net/socket.hpp).
#pragma once

#include <sys/socket.h>

#include "weft/net/socket.hpp"

namespace weft::net {

class udp_socket : public datagram_socket {
 public:
  using datagram_socket::datagram_socket;
  // An unbound socket of that family (AF_INET, AF_INET6).
  static udp_socket open(int family = AF_INET);
  // Bound to `a` (port 0: any free port).
  static udp_socket bind(const address& a, bool reuse_address = false);
};

}  // namespace weft::net
