// Name resolution without blocking the loop: getaddrinfo runs on the
// running loop's default executor (weft/executor.hpp) and only the calling
// task waits (asyncio loop.getaddrinfo).
//
//   for (const auto& a : weft::resolve("localhost", "8080", {.socktype = SOCK_STREAM}))
//     try_connect(a);
//
// A suspension point with the executor's cancellation rule. Must be called
// from a task of a running loop.
#pragma once

#include <netdb.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "weft/error.hpp"

namespace weft {

// What getaddrinfo's hints say; zero means "any".
struct resolve_hints {
  int family = AF_UNSPEC;  // AF_INET, AF_INET6
  int socktype = 0;        // SOCK_STREAM, SOCK_DGRAM
  int protocol = 0;
  int flags = 0;  // AI_NUMERICHOST, AI_PASSIVE, AI_ADDRCONFIG, ...
};

// One result of getaddrinfo, ready for socket()/connect()/bind().
struct resolved_address {
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  int family = 0;
  int socktype = 0;
  int protocol = 0;

  const sockaddr* sockaddr_ptr() const noexcept { return reinterpret_cast<const sockaddr*>(&addr); }
  // The numeric host ("127.0.0.1", "::1") and the port.
  std::string host() const;
  std::uint16_t port() const noexcept;
  // "127.0.0.1:80", "[::1]:80".
  std::string to_string() const;
};

// Addresses for host and service (either may be empty, not both), in
// getaddrinfo's order.
std::vector<resolved_address> resolve(std::string_view host, std::string_view service, resolve_hints hints = {});

}  // namespace weft
