// A socket address: IPv4, IPv6 or a Unix path. A value type, usable from
// any thread.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace weft::net {

class address {
 public:
  address() = default;  // empty: family() is AF_UNSPEC
  // Numeric addresses only (names go through weft::resolve);
  // std::invalid_argument if `ip` does not parse or a path is too long.
  static address ipv4(std::string_view ip, std::uint16_t port);
  static address ipv6(std::string_view ip, std::uint16_t port);
  static address unix_path(std::string_view path);
  // A numeric IPv4 or IPv6 host ("127.0.0.1", "::1", "[::1]").
  static address parse(std::string_view host, std::uint16_t port);
  // Copies what the kernel wrote (accept, getsockname, recvfrom).
  static address from_sockaddr(const sockaddr* sa, socklen_t len);

  // "127.0.0.1:8080", "[::1]:8080", "/run/x.sock"; "" when empty.
  std::string to_string() const;
  // The numeric host without the port ("127.0.0.1", "::1"), or the path.
  std::string host() const;
  std::uint16_t port() const noexcept;  // 0 for Unix paths
  int family() const noexcept { return storage_.ss_family; }

  const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t size() const noexcept { return size_; }

  friend bool operator==(const address& a, const address& b) noexcept;

 private:
  sockaddr_storage storage_{};
  socklen_t size_ = 0;
};

}  // namespace weft::net
