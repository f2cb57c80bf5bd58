// Helpers shared by the socket tests: loopback pairs and byte spans.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "weft/net/tcp.hpp"

namespace weft::net::testing {

inline std::span<const std::byte> bytes(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }
inline std::span<std::byte> bytes(std::string& s) { return std::as_writable_bytes(std::span(s.data(), s.size())); }

// `size` bytes of a pattern whose period (a prime) is no power of two, so
// that a lost, doubled or misplaced chunk of a transfer shows.
inline std::string patterned(std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>(i * 7 % 251);
  return out;
}

// A connected loopback TCP pair: {client, server side}. Call from a task.
inline std::pair<tcp_stream, tcp_stream> tcp_pair(const char* host = "127.0.0.1") {
  auto listener = tcp_listener::bind(address::parse(host, 0));
  auto client = tcp_stream::connect(listener.local_address());
  return {std::move(client), listener.accept()};
}

}  // namespace weft::net::testing
