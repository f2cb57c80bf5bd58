#include "weft/net/udp.hpp"

namespace weft::net {

udp_socket udp_socket::open(int family) { return udp_socket(socket::open(family, SOCK_DGRAM)); }

udp_socket udp_socket::bind(const address& a, bool reuse_address) {
  udp_socket s = open(a.family());
  if (reuse_address) s.set_reuse_address(true);
  s.socket::bind(a);
  return s;
}

}  // namespace weft::net
