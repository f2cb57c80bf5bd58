// Pre-forked workers on one port, as nginx runs them: a supervisor process
// keeps N worker processes serving one listening socket, restarts a worker
// that dies, and replaces them all gracefully on SIGHUP. docs/prefork.md
// has the model, the guarantees and their limits.
//
//   // supervisor (main of the program, before any thread starts)
//   weft::block_signals({SIGINT, SIGTERM, SIGHUP});
//   weft::loop lp;
//   lp.run_until_complete([&] {
//     weft::net::prefork_supervisor sup(weft::net::tcp_listener::bind(addr), {"/proc/self/exe", "--worker"},
//                                       {.workers = 4});
//     sup.run();   // until SIGTERM/SIGINT, then every worker has exited
//   });
//
//   // worker (main of the program that argv names)
//   auto w = weft::net::prefork_worker::attach();   // first thing in main
//   weft::loop lp;
//   lp.run_until_complete([&] {
//     auto srv = weft::net::serve(w->take_listener(), handler);
//     w->ready();             // the supervisor may now stop the worker it replaces
//     w->wait_for_stop();     // SIGTERM from the supervisor (or at its death)
//     srv.shutdown(5s);       // drain, then return from main
//   });
//
// One listening socket, bound once by whoever makes the supervisor and
// shared by every worker (inherited as fd 3), not one SO_REUSEPORT socket per
// worker: its accept queue outlives any worker, so a worker that dies or is
// replaced loses only the connections it had accepted itself. Why, and what
// it costs: src/net/prefork.cpp and docs/prefork.md.
//
// Thread and process rules: a prefork_supervisor is bound to the loop on
// which run() is called; run() from a task of it, everything else from that
// loop's thread (a task or a callback). Its workers' parent is that thread,
// which must outlive them (PR_SET_PDEATHSIG follows the parent thread), and
// nothing else in the process may reap children it did not start
// (waitpid(-1) would take a worker's exit from the pidfd). prefork_worker
// is for the worker process: attach() in main before any thread starts,
// the rest from tasks of the worker's loop.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "weft/net/tcp.hpp"
#include "weft/net/unix.hpp"

namespace weft::net {

// Something that happened to a worker; reported through
// prefork_options::on_event on the supervisor's loop thread.
struct prefork_event {
  enum class kind {
    started,       // spawned; not accepting yet
    ready,         // called prefork_worker::ready()
    stopping,      // sent SIGTERM (stop, replaced, or not ready in time: SIGKILL)
    exited,        // reaped; returncode says how
    spawn_failed,  // a restart or replacement could not spawn; `error` says why
  };
  kind what;
  std::size_t slot;          // 0 .. workers-1; a replacement takes its predecessor's slot
  std::uint64_t generation;  // 1, then one more per reload()
  pid_t pid;                 // -1 for spawn_failed
  int returncode = 0;        // exited: the exit status, or -N for signal N
  std::exception_ptr error{};
};

struct prefork_options {
  // Worker processes; 0: one per CPU this process may run on.
  std::size_t workers = 0;
  // A worker that has not called ready() this long after its start is killed
  // (SIGKILL) and counts as a failed start.
  loop::duration ready_timeout = std::chrono::seconds(10);
  // After SIGTERM, how long a worker may drain before SIGKILL.
  loop::duration stop_grace = std::chrono::seconds(10);
  // Restart back-off: a worker that dies is restarted after restart_delay
  // if it had lived at least stable_after, else after twice the previous
  // delay, at most max_restart_delay. Both delays must be positive.
  loop::duration restart_delay = std::chrono::milliseconds(100);
  loop::duration max_restart_delay = std::chrono::seconds(10);
  loop::duration stable_after = std::chrono::seconds(10);
  // run() handles SIGHUP (reload) and SIGTERM, SIGINT (stop) itself.
  bool handle_signals = true;
  // Called on the loop's thread for every event; must not throw.
  std::function<void(const prefork_event&)> on_event{};
};

class prefork_supervisor {
 public:
  // Takes `listener` (bound and listening; it never accepts on it) and
  // keeps it open until destroyed. `worker_argv`: the worker program and its
  // arguments (weft::process::spawn rules); every worker gets the listener
  // as fd 3, its control socket as fd 4, and WEFT_PREFORK_* variables in its
  // environment, which prefork_worker::attach() reads.
  prefork_supervisor(tcp_listener listener, std::vector<std::string> worker_argv, prefork_options options = {});
  // Workers still running (run() cancelled, or never stopped) are killed
  // with SIGKILL and reaped.
  ~prefork_supervisor();
  prefork_supervisor(const prefork_supervisor&) = delete;
  prefork_supervisor& operator=(const prefork_supervisor&) = delete;

  address local_address() const;

  // Starts the workers and supervises them until stop() (or SIGTERM/SIGINT)
  // and every worker has exited. Once per supervisor, from a task. Throws
  // std::system_error when a first worker cannot be spawned (after stopping
  // those that were), and std::invalid_argument for bad options.
  void run();
  // SIGHUP's action: for each slot, starts a worker of a new generation;
  // once it is ready, the one it replaces gets SIGTERM (stops accepting,
  // drains, exits). A replacement that exits or times out before it is
  // ready leaves its predecessor serving. Also restarts at once a slot
  // waiting out its back-off.
  void reload();
  // SIGTERM's action: SIGTERM to every worker, SIGKILL after stop_grace;
  // run() returns once all have exited. No restarts from now on.
  void stop();

  // The pids of the workers alive now (started, not yet reaped).
  std::vector<pid_t> worker_pids() const;

  struct state;  // internal: src/net/prefork.cpp

 private:
  std::shared_ptr<state> state_;
};

// The worker side of the protocol, in a process that a prefork_supervisor
// started.
class prefork_worker {
 public:
  // nullopt when this process was not started by a prefork_supervisor.
  // Else, before anything else in main (no thread may run yet): blocks
  // SIGTERM and SIGINT (for wait_for_stop), ignores SIGHUP (the
  // supervisor's business; a terminal hang-up reaches the whole process
  // group), and asks the kernel for SIGTERM when the supervisor dies
  // (PR_SET_PDEATHSIG); if it has died already, SIGTERM is pending at once.
  // Throws std::system_error if fd 3 is not a listening socket.
  static std::optional<prefork_worker> attach();

  std::size_t slot() const noexcept { return slot_; }
  std::uint64_t generation() const noexcept { return generation_; }
  // The shared listening socket (once; later calls: invalid_state). Any
  // thread; the socket then belongs to the loop that first waits on it.
  tcp_listener take_listener();
  // Tells the supervisor that this worker accepts connections. From a task.
  void ready();
  // Suspends the calling task until the supervisor (or anyone) asks this
  // worker to stop: SIGTERM or SIGINT. Returns the signal. From a task.
  int wait_for_stop();

 private:
  prefork_worker(std::size_t slot, std::uint64_t generation);
  std::size_t slot_;
  std::uint64_t generation_;
  bool listener_taken_ = false;
  unix_stream control_;
};

}  // namespace weft::net
