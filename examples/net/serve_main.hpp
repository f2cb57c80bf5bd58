// What the examples/net servers share: --host, --port, --loops and
// --accept, the "listening on HOST:PORT" first line on stdout, serving until
// SIGINT or SIGTERM, then a graceful shutdown and exit status 0.
//
// --loops N serves on N loops of a weft::runtime, one thread each
// (docs/multicore.md). --accept picks how connections reach them:
// "reuseport" gives every loop a listener of its own on the same port
// (SO_REUSEPORT: the kernel spreads the connections); "handoff" has one
// acceptor on loop 0 that hands each connection to the loops in turn,
// through a cross_channel per loop.
#pragma once

#include <weft/loop.hpp>
#include <weft/net/server.hpp>
#include <weft/runtime.hpp>
#include <weft/net/tcp.hpp>
#include <weft/signal.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <memory>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "flags.hpp"

namespace examples {

using flag_list = std::vector<std::pair<std::string, std::pair<std::string, std::string>>>;

// The common flags followed by a program's own.
inline flag_list server_flags(flag_list own) {
  flag_list all = {{"host", {"127.0.0.1", "address to listen on (numeric IPv4 or IPv6)"}},
                   {"port", {"0", "port to listen on; 0 picks a free one"}},
                   {"loops", {"1", "event loops, one thread each"}},
                   {"accept", {"reuseport", "with several loops: reuseport (a listener per loop) or handoff"}}};
  all.insert(all.end(), own.begin(), own.end());
  return all;
}

// Binds --host/--port and prints "listening on HOST:PORT" (the line tests
// and users wait for). Call from a task.
inline weft::net::tcp_listener listen_and_announce(const flags& f) {
  auto listener = weft::net::tcp_listener::bind(
      weft::net::address::parse(f.text("host"), static_cast<std::uint16_t>(f.number("port"))));
  std::printf("listening on %s\n", listener.local_address().to_string().c_str());
  std::fflush(stdout);
  return listener;
}

// Serves on every loop of `rt` until SIGINT or SIGTERM; see the top.
// Handler: a server::handler or a server::connection_handler.
template <class Handler>
void serve_on_loops(weft::runtime& rt, const flags& f, const Handler& handler, weft::net::server_options options,
                    weft::loop::duration grace) {
  using namespace weft::net;
  auto where = address::parse(f.text("host"), static_cast<std::uint16_t>(f.number("port")));
  bool handoff = f.text("accept") == "handoff";
  // Bound here, before "listening on" is printed, and each moved to its
  // loop: a socket belongs to the loop that first waits on it.
  std::vector<tcp_listener> listeners;
  listeners.push_back(tcp_listener::bind(where, {.reuse_port = !handoff && rt.size() > 1}));
  where = listeners[0].local_address();  // the port picked, for the others
  for (std::size_t i = 1; !handoff && i < rt.size(); ++i)
    listeners.push_back(tcp_listener::bind(where, {.reuse_port = true}));
  std::vector<std::shared_ptr<weft::cross_channel<tcp_stream>>> handed;
  for (std::size_t i = 0; handoff && i < rt.size(); ++i)
    handed.push_back(std::make_shared<weft::cross_channel<tcp_stream>>(64, "handoff"));
  weft::cross_event stop("stop");
  std::atomic<std::size_t> cancelled{0};
  std::vector<weft::cross_task<void>> loops;
  for (std::size_t i = 0; i < rt.size(); ++i) {
    server::source next;
    if (handoff) next = [ch = handed[i]] { return ch->receive().value_or(tcp_stream()); };
    tcp_listener own = handoff ? tcp_listener() : std::move(listeners[i]);
    loops.push_back(weft::spawn_on(rt.loop_at(i), [&, next = std::move(next), l = std::move(own)]() mutable {
      server srv = next ? server(std::move(next), handler, options) : serve(std::move(l), handler, options);
      stop.wait();
      cancelled += srv.shutdown(grace);
    }));
  }
  std::printf("listening on %s\n", where.to_string().c_str());
  std::fflush(stdout);
  auto acceptor = weft::spawn([&] {
    if (!handoff) return;
    for (std::size_t next = 0;; next = (next + 1) % handed.size()) handed[next]->send(listeners[0].accept());
  });
  int sig = weft::signal_set({SIGINT, SIGTERM}).wait();
  acceptor.cancel();
  for (auto& ch : handed) ch->close();
  stop.set();
  for (auto& l : loops) l.join();
  std::fprintf(stderr, "%s: shut down, %zu connections cancelled\n", strsignal(sig), cancelled.load());
}

// Runs the server to the end; returns main's exit status. `grace`: how long
// connections in flight may finish after the signal before they are
// cancelled.
template <class Handler>
int serve_until_signal(const flags& f, Handler handler, weft::net::server_options options,
                       weft::loop::duration grace = std::chrono::seconds(5)) {
  if (f.number("loops") < 1 || (f.text("accept") != "reuseport" && f.text("accept") != "handoff")) {
    std::fprintf(stderr, "--loops: at least 1; --accept: reuseport or handoff\n");
    return 2;
  }
  // Before any thread starts, so that the signals reach only the signalfd.
  weft::block_signals({SIGINT, SIGTERM});
  weft::runtime rt({.loops = static_cast<std::size_t>(f.number("loops"))});
  rt.run([&] { serve_on_loops(rt, f, handler, options, grace); });
  return 0;
}

}  // namespace examples
