// What the examples/net servers share: --host, --port and --loops, the
// "listening on HOST:PORT" first line on stdout, serving until SIGINT or
// SIGTERM, then a graceful shutdown and exit status 0.
#pragma once

#include <weft/loop.hpp>
#include <weft/net/server.hpp>
#include <weft/net/tcp.hpp>
#include <weft/signal.hpp>

#include <chrono>
#include <csignal>
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
                   {"loops", {"1", "event loops (1 until thread-per-core lands)"}}};
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

// Runs the server to the end; returns main's exit status. `grace`: how long
// connections in flight may finish after the signal before they are
// cancelled.
inline int serve_until_signal(const flags& f, weft::net::server::handler handler, weft::net::server_options options,
                              weft::loop::duration grace = std::chrono::seconds(5)) {
  if (f.number("loops") != 1) {
    std::fprintf(stderr, "--loops: only 1 for now (several loops come with thread-per-core, issue 19)\n");
    return 2;
  }
  // Before any thread starts, so that the signals reach only the signalfd.
  weft::block_signals({SIGINT, SIGTERM});
  weft::loop lp;
  return lp.run_until_complete([&] {
    auto srv = weft::net::serve(listen_and_announce(f), std::move(handler), options);
    weft::signal_set stop({SIGINT, SIGTERM});
    int sig = stop.wait();
    std::size_t cancelled = srv.shutdown(grace);
    std::fprintf(stderr, "%s: shut down, %zu connections cancelled\n", strsignal(sig), cancelled);
    return 0;
  });
}

}  // namespace examples
