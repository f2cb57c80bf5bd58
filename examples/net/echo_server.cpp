// A TCP echo server on weft (issue 15): one task per connection writes back
// what it reads.
//
//   echo_server [--host 127.0.0.1] [--port 0] [--loops 1]
//
// Prints "listening on HOST:PORT" first, serves until SIGINT or SIGTERM,
// lets connections in flight finish (up to 5 s) and exits 0. bench/echo_compare
// measures it against hand-written epoll, Boost.Asio, Go and uvloop.
#include <weft/net/tcp.hpp>

#include <array>
#include <cstddef>

#include "serve_main.hpp"

int main(int argc, char** argv) {
  examples::flags f(argc, argv, examples::server_flags({}));
  return examples::serve_until_signal(f,
                                      [](weft::net::tcp_stream& conn) {
                                        conn.set_nodelay(true);
                                        std::array<std::byte, 64 * 1024> buf;
                                        while (std::size_t n = conn.read_some(buf))
                                          conn.write_all(std::span(buf).first(n));
                                      },
                                      {});
}
