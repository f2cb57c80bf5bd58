// The byte-stream concept that sockets, pipes and buffered wrappers share
// (asyncio's StreamReader/StreamWriter pair, as one object), and the two
// helpers every stream gets from it.
//
//   template <weft::stream S> void echo(S& s) {
//     std::array<std::byte, 4096> buf;
//     while (std::size_t n = s.read_some(buf)) weft::write_all(s, std::span(buf).first(n));
//   }
//
// A stream's operations suspend only the calling task. read_some returns 0
// only at end of stream; errors throw std::system_error (errno); every
// operation throws weft::cancelled when the task is cancelled and
// weft::timeout_error when a timeout it was given passes. Thread rules are
// the stream type's (weft's sockets: the loop that made them).
#pragma once

#include <concepts>
#include <cstddef>
#include <span>

#include "weft/error.hpp"

namespace weft {

template <class S>
concept stream = requires(S& s, std::span<std::byte> in, std::span<const std::byte> out) {
  { s.read_some(in) } -> std::same_as<std::size_t>;
  { s.write_some(out) } -> std::same_as<std::size_t>;
  s.close();
};

// Fills `into` completely; end_of_stream if the stream ends first.
template <stream S>
void read_exact(S& s, std::span<std::byte> into) {
  std::size_t got = 0;
  while (got < into.size()) {
    std::size_t n = s.read_some(into.subspan(got));
    if (n == 0) throw end_of_stream(got);
    got += n;
  }
}

// Writes all of `data`, however many write_some calls it takes.
template <stream S>
void write_all(S& s, std::span<const std::byte> data) {
  while (!data.empty()) data = data.subspan(s.write_some(data));
}

}  // namespace weft
