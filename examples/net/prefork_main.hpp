// What an examples/net server needs to run as pre-forked processes
// (--processes N, issue 19): the supervisor binds the port, prints
// "listening on HOST:PORT", starts N copies of the same program as workers
// and prints one line per worker event:
//
//   worker SLOT pid PID generation G started|ready|stopping|exited [STATUS]
//
// SIGHUP replaces the workers (new ones ready before the old ones stop),
// SIGTERM or SIGINT stops them all, then the supervisor exits 0. A worker is
// the same program finding itself attached (weft::net::prefork_worker): it
// serves the inherited socket until SIGTERM, then drains like the
// one-process server.
#pragma once

#include <weft/loop.hpp>
#include <weft/net/prefork.hpp>
#include <weft/net/server.hpp>
#include <weft/signal.hpp>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "flags.hpp"
#include "serve_main.hpp"

namespace examples {

// Serves as a worker; returns main's exit status.
inline int serve_as_worker(weft::net::prefork_worker& worker, weft::net::server::connection_handler handler,
                           weft::net::server_options options, weft::loop::duration grace = std::chrono::seconds(5)) {
  weft::loop lp;
  return lp.run_until_complete([&] {
    auto srv = weft::net::serve(worker.take_listener(), std::move(handler), options);
    worker.ready();
    int sig = worker.wait_for_stop();
    std::size_t cancelled = srv.shutdown(grace);
    std::fprintf(stderr, "worker %zu: %s: shut down, %zu connections cancelled\n", worker.slot(), strsignal(sig),
                 cancelled);
    return 0;
  });
}

// Runs the supervisor of `processes` workers, each started with this
// program's own arguments; returns main's exit status.
inline int supervise(const flags& f, std::size_t processes, int argc, char** argv) {
  // Before any thread starts, so that the signals reach only the signalfds.
  weft::block_signals({SIGINT, SIGTERM, SIGHUP});
  std::vector<std::string> worker_argv{"/proc/self/exe"};
  worker_argv.insert(worker_argv.end(), argv + 1, argv + argc);
  weft::loop lp;
  return lp.run_until_complete([&] {
    auto print = [](const weft::net::prefork_event& e) {
      static constexpr const char* names[] = {"started", "ready", "stopping", "exited", "spawn_failed"};
      std::printf("worker %zu pid %d generation %llu %s", e.slot, static_cast<int>(e.pid),
                  static_cast<unsigned long long>(e.generation), names[static_cast<int>(e.what)]);
      if (e.what == weft::net::prefork_event::kind::exited) std::printf(" %d", e.returncode);
      if (e.error) {
        try {
          std::rethrow_exception(e.error);
        } catch (const std::exception& x) {
          std::printf(": %s", x.what());
        }
      }
      std::printf("\n");
      std::fflush(stdout);
    };
    weft::net::prefork_supervisor supervisor(listen_and_announce(f), worker_argv,
                                             {.workers = processes, .on_event = print});
    supervisor.run();
    std::fprintf(stderr, "supervisor: every worker has exited\n");
    return 0;
  });
}

}  // namespace examples
