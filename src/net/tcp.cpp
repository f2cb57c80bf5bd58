#include "weft/net/tcp.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <exception>
#include <string>
#include <system_error>

#include "net/socket_io.hpp"
#include "weft/resolve.hpp"
#include "weft/timeout.hpp"

namespace weft::net {

tcp_stream tcp_stream::connect(const address& a, timeout t) {
  tcp_stream s(socket::open(a.family(), SOCK_STREAM));
  s.socket::connect(a, t);
  return s;
}

namespace {

// Numeric hosts as they are; names through the resolver.
std::vector<address> addresses_of(std::string_view host, std::uint16_t port, std::optional<loop::duration> t) {
  try {
    return {address::parse(host, port)};
  } catch (const std::invalid_argument&) {
  }
  auto lookup = [&] { return resolve(host, std::to_string(port), {.socktype = SOCK_STREAM}); };
  std::vector<resolved_address> found = t ? with_timeout(*t, lookup) : lookup();
  std::vector<address> out;
  out.reserve(found.size());
  for (const resolved_address& r : found) out.push_back(address::from_sockaddr(r.sockaddr_ptr(), r.addr_len));
  return out;
}

}  // namespace

tcp_stream tcp_stream::connect(std::string_view host, std::uint16_t port, timeout t) {
  detail::loop_time deadline = detail::deadline_of(t);
  std::exception_ptr last;
  for (const address& a : addresses_of(host, port, t)) {
    std::optional<loop::duration> left;
    if (t) {
      left = deadline - weft::detail::loop_now();
      if (*left <= loop::duration::zero()) throw timeout_error();
    }
    try {
      return connect(a, left);
    } catch (const std::system_error&) {
      last = std::current_exception();  // next address
    }
  }
  if (last) std::rethrow_exception(last);
  std::string what = "weft: no address for ";
  what.append(host);
  throw std::system_error(std::make_error_code(std::errc::host_unreachable), what);
}

void tcp_stream::set_nodelay(bool on) { set_option(IPPROTO_TCP, TCP_NODELAY, on); }
void tcp_stream::set_keepalive(bool on) { set_option(SOL_SOCKET, SO_KEEPALIVE, on); }

tcp_listener tcp_listener::bind(const address& a, listen_options options) {
  tcp_listener l(socket::open(a.family(), SOCK_STREAM));
  if (options.reuse_address) l.set_reuse_address(true);
  if (options.reuse_port) l.set_reuse_port(true);
  if (a.family() == AF_INET6) l.set_option(IPPROTO_IPV6, IPV6_V6ONLY, 1);  // the same on every system
  l.socket::bind(a);
  l.listen(options.backlog);
  return l;
}

}  // namespace weft::net
