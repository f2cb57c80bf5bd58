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
// Graceful shutdown and idle connections: the server cannot tell a
// connection waiting for its next request (an HTTP keep-alive connection
// between requests) from one in the middle of a request. A handler that
// takes a server_connection& as well says so: it marks the wait for the
// next request after an answer idle, and shutdown() closes idle
// connections at once while the others finish within the grace.
//
//   auto srv = weft::net::serve(std::move(listener), [](tcp_stream& c, server_connection& sc) {
//     for (bool answered = false;; answered = true) {
//       std::size_t n;
//       if (answered) {
//         auto idle = sc.idle();  // between two requests
//         n = c.read_some(buf);
//       } else {
//         n = c.read_some(buf);  // a new client is about to send its first
//       }
//       ...read the rest of the request and answer it: not idle...
//     }
//   });
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

class server_connection;

struct server_options {
  std::size_t max_connections = 10000;
  std::optional<loop::duration> idle_timeout = std::nullopt;
  std::optional<loop::duration> read_timeout = std::nullopt;
  loop::duration accept_backoff = std::chrono::milliseconds(100);
};

class server {
 public:
  using handler = std::function<void(tcp_stream&)>;
  // A handler that can mark its connection idle (server_connection below).
  using connection_handler = std::function<void(tcp_stream&, server_connection&)>;
  // Starts accepting on the running loop; see serve().
  server(tcp_listener listener, handler h, server_options options = {});
  server(tcp_listener listener, connection_handler h, server_options options = {});
  // Serves the connections that `next` returns, instead of a listener's:
  // the acceptor task calls it for each (e.g. receiving streams another
  // loop accepted, from a cross_channel), and stops at the first stream
  // that is not open. local_address() is then that of no socket.
  using source = std::function<tcp_stream()>;
  server(source next, handler h, server_options options = {});
  server(source next, connection_handler h, server_options options = {});
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

  // Graceful shutdown: stops accepting (closes the listener), cancels at
  // once the connections whose handler marked them idle, lets the others
  // finish for up to `grace` (one that turns idle meanwhile ends then),
  // then cancels the rest and waits until they have ended. Returns how
  // many were cancelled at the end of the grace: idle connections closed
  // lose no request and are not counted. A suspension point; calling it
  // again returns 0.
  std::size_t shutdown(loop::duration grace);

  struct state;  // internal: src/net/server.cpp

 private:
  std::shared_ptr<state> state_;
};

// A connection as its server sees it, handed to a connection_handler by
// reference, valid while the handler runs. Used by that connection's task
// only.
class server_connection {
 public:
  // While alive, the connection counts as idle. Not nested.
  class [[nodiscard]] idle_scope {
   public:
    ~idle_scope() { connection_.idle_ = false; }
    idle_scope(const idle_scope&) = delete;
    idle_scope& operator=(const idle_scope&) = delete;

   private:
    friend class server_connection;
    explicit idle_scope(server_connection& c) noexcept : connection_(c) { connection_.idle_ = true; }
    server_connection& connection_;
  };

  // Marks the connection idle until the scope ends: a shutdown starting
  // meanwhile cancels the connection's task (the wait raises
  // weft::cancelled and the connection closes). Once a shutdown has
  // started, raises weft::cancelled at once instead. Put in it only the
  // wait for the next request after an answer: a request partly read, or
  // an answer not yet written, would be lost, and so would the first
  // request of a new connection, whose client may not retry it.
  idle_scope idle();
  // True once the server is shutting down: the handler may tell its peer
  // (HTTP's "Connection: close") and end after the current request.
  bool stopping() const noexcept;

  server_connection(const server_connection&) = delete;
  server_connection& operator=(const server_connection&) = delete;

 private:
  friend struct server::state;
  explicit server_connection(const server::state& s) noexcept : server_(s) {}
  const server::state& server_;
  bool idle_ = false;
};

// Starts serving `listener` (asyncio start_server). Call from a task.
inline server serve(tcp_listener listener, server::handler h, server_options options = {}) {
  return server(std::move(listener), std::move(h), options);
}
inline server serve(tcp_listener listener, server::connection_handler h, server_options options = {}) {
  return server(std::move(listener), std::move(h), options);
}

}  // namespace weft::net
