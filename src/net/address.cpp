#include "weft/net/address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstring>
#include <stdexcept>

namespace weft::net {

address address::ipv4(std::string_view ip, std::uint16_t port) {
  address a;
  auto* in = reinterpret_cast<sockaddr_in*>(&a.storage_);
  in->sin_family = AF_INET;
  in->sin_port = htons(port);
  if (::inet_pton(AF_INET, std::string(ip).c_str(), &in->sin_addr) != 1)
    throw std::invalid_argument("weft: not an IPv4 address: " + std::string(ip));
  a.size_ = sizeof(sockaddr_in);
  return a;
}

address address::ipv6(std::string_view ip, std::uint16_t port) {
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  address a;
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.storage_);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(port);
  if (::inet_pton(AF_INET6, std::string(ip).c_str(), &in6->sin6_addr) != 1)
    throw std::invalid_argument("weft: not an IPv6 address: " + std::string(ip));
  a.size_ = sizeof(sockaddr_in6);
  return a;
}

address address::unix_path(std::string_view path) {
  address a;
  auto* un = reinterpret_cast<sockaddr_un*>(&a.storage_);
  if (path.empty() || path.size() >= sizeof un->sun_path)
    throw std::invalid_argument("weft: bad Unix socket path length: " + std::string(path));
  un->sun_family = AF_UNIX;
  std::memcpy(un->sun_path, path.data(), path.size());
  a.size_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return a;
}

address address::parse(std::string_view host, std::uint16_t port) {
  if (host.find(':') != std::string_view::npos) return ipv6(host, port);
  return ipv4(host, port);
}

address address::from_sockaddr(const sockaddr* sa, socklen_t len) {
  address a;
  if (len > sizeof a.storage_) len = sizeof a.storage_;
  std::memcpy(&a.storage_, sa, len);
  a.size_ = len;
  return a;
}

std::string address::host() const {
  char text[INET6_ADDRSTRLEN] = {};
  switch (family()) {
    case AF_INET:
      ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, text, sizeof text);
      return text;
    case AF_INET6:
      ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, text, sizeof text);
      return text;
    case AF_UNIX: {
      const auto* un = reinterpret_cast<const sockaddr_un*>(&storage_);
      std::size_t max = size_ > offsetof(sockaddr_un, sun_path) ? size_ - offsetof(sockaddr_un, sun_path) : 0;
      return std::string(un->sun_path, ::strnlen(un->sun_path, max));
    }
    default: return "";
  }
}

std::uint16_t address::port() const noexcept {
  switch (family()) {
    case AF_INET: return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
    case AF_INET6: return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
    default: return 0;
  }
}

std::string address::to_string() const {
  switch (family()) {
    case AF_INET: return host() + ":" + std::to_string(port());
    case AF_INET6: return "[" + host() + "]:" + std::to_string(port());
    default: return host();
  }
}

bool operator==(const address& a, const address& b) noexcept {
  return a.size_ == b.size_ && std::memcmp(&a.storage_, &b.storage_, a.size_) == 0;
}

}  // namespace weft::net
