// The echo server over TLS (issue 15): one task per connection, each a
// tls_stream over the accepted tcp_stream, writing back what it reads.
//
//   tls_echo_server --cert cert.pem --key key.pem [--host 127.0.0.1] [--port 0] [--loops 1]
//
// Prints "listening on HOST:PORT" first, serves until SIGINT or SIGTERM,
// lets connections in flight finish (up to 5 s) and exits 0; exits 2 if the
// certificate or key cannot be loaded. A client whose TLS fails (bad
// handshake, no close_notify) is reported on stderr and dropped.
#include <weft/net/tcp.hpp>

#include <array>
#include <cstddef>
#include <cstdio>
#include <optional>
#include <span>

#include "serve_main.hpp"
#include "tls_stream.hpp"

int main(int argc, char** argv) {
  examples::flags f(argc, argv,
                    examples::server_flags(
                        {{"cert", {"", "certificate chain (PEM), leaf first"}}, {"key", {"", "private key (PEM)"}}}));
  auto ctx = [&]() -> std::optional<examples::tls_context> {
    try {
      return examples::tls_context::server(f.text("cert"), f.text("key"));
    } catch (const examples::tls_error& e) {
      std::fprintf(stderr, "tls_echo_server: %s\n", e.what());
      return std::nullopt;
    }
  }();
  if (!ctx) return 2;
  return examples::serve_until_signal(f,
                                      [&](weft::net::tcp_stream& conn) {
                                        conn.set_nodelay(true);
                                        examples::tls_stream tls(conn, *ctx);
                                        try {
                                          std::array<std::byte, 16 * 1024> buf;
                                          while (std::size_t n = tls.read_some(buf))
                                            weft::write_all(tls, std::span(buf).first(n));
                                          tls.close();
                                        } catch (const examples::tls_error& e) {
                                          std::fprintf(stderr, "tls_echo_server: %s: %s\n",
                                                       conn.peer_address().to_string().c_str(), e.what());
                                        }
                                      },
                                      {});
}
