// Serving a listener with one task per connection (asyncio start_server).
//
//   auto srv = weft::net::serve(std::move(listener), [](weft::net::tcp_stream& c) { echo(c); },
//                               {.max_connections = 1000, .idle_timeout = 30s});
//   stop.wait();
//   std::size_t cancelled = srv.shutdown(5s);
//
// Each accepted connection runs handler(stream) in its own task, closed when
// the handler returns. A handler ending by timeout_error, end_of_stream or
// std::system_error (a peer that vanished, a timeout) just ends its
// connection; any other exception is reported through the loop's exception
// handler.
//
// At max_connections, accepting pauses until a connection ends (the kernel's
// backlog holds the rest). When accept fails for lack of descriptors or
// memory (EMFILE, ENFILE, ENOBUFS, ENOMEM), the listener is kept and accepting
// pauses for accept_backoff, then retries: no busy loop; the first failure of
// an episode (until an accept succeeds again) is reported once through the
// loop's exception handler.
//
// Slow clients: idle_timeout bounds every single wait for data or buffer
// space on a connection (a client silent that long is dropped); read_timeout,
// if set, replaces it for reads. A client that trickles bytes just fast
// enough is the protocol's to bound: wrap reading a request in
// weft::with_timeout.
//
// Loop thread only: make, use and destroy a server in tasks of one loop.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>

#include "weft/net/tcp.hpp"

namespace weft::net {

struct server_options {
  std::size_t max_connections = 10000;
  std::optional<loop::duration> idle_timeout = std::nullopt;
  std::optional<loop::duration> read_timeout = std::nullopt;
  loop::duration accept_backoff = std::chrono::milliseconds(100);
};

class server {
 public:
  using handler = std::function<void(tcp_stream&)>;
  // Starts accepting on the running loop; see serve().
  server(tcp_listener listener, handler h, server_options options = {});
  // Serves the connections that `next` returns, instead of a listener's:
  // the acceptor task calls it for each (e.g. receiving streams another
  // loop accepted, from a cross_channel), and stops at the first stream
  // that is not open. local_address() is then that of no socket.
  using source = std::function<tcp_stream()>;
  server(source next, handler h, server_options options = {});
  // Stops at once if shutdown() was not called: cancels every connection,
  // without waiting for them.
  ~server();
  server(server&&) noexcept = default;
  server& operator=(server&&) = delete;
  server(const server&) = delete;

  address local_address() const;
  // Connections being served now.
  std::size_t connections() const noexcept;
  // Connections accepted so far.
  std::size_t accepted() const noexcept;

  // Graceful shutdown: stops accepting (closes the listener), lets the
  // connections in flight finish for up to `grace`, then cancels the rest
  // and waits until they have ended. Returns how many were cancelled. A
  // suspension point; calling it again returns 0.
  std::size_t shutdown(loop::duration grace);

  struct state;  // internal: src/net/server.cpp

 private:
  std::shared_ptr<state> state_;
};

// Starts serving `listener` (asyncio start_server). Call from a task.
inline server serve(tcp_listener listener, server::handler h, server_options options = {}) {
  return server(std::move(listener), std::move(h), options);
}

}  // namespace weft::net
