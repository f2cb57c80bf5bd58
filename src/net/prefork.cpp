// weft::net::prefork_supervisor and prefork_worker (include/weft/net/prefork.hpp).
//
// Why one listening socket shared by every worker, and not one SO_REUSEPORT
// socket per worker. The accept queue belongs to the socket. With a socket
// per worker, the kernel hashes each new connection to one worker's queue;
// when that worker dies (kill -9) or closes its socket to stop accepting (a
// graceful replacement), the connections still queued there are reset,
// unless net.ipv4.tcp_migrate_req is 1 (Linux 5.14: they then move to
// another socket of the group). That sysctl is per network namespace, 0 by
// default, and only root may set it, so a library cannot count on it; and a
// worker that stalls without closing strands its queue either way. With one
// socket held by the supervisor for its whole life, a connection the kernel
// has completed waits in the one queue until some worker accepts it,
// whichever workers die, stop or start meanwhile: replacing or killing a
// worker loses only the connections that worker had accepted itself. The
// price: each idle worker's epoll wakes for a new connection and the first
// accept4 wins (a thundering herd of N, cheap for N = cores), and the kernel
// does not spread connections evenly (a busy worker accepts fewer, which
// also keeps them off its queue). nginx's master binds and shares its
// sockets the same way unless told `reuseport`.
//
// Ownership: `state` is shared by the supervisor object and the watcher task
// of every worker not yet reaped (the watcher waits for the worker's ready
// byte, then for its exit through the pidfd). A slot has at most one
// `current` worker, the one that serves, and one `pending` replacement
// started by reload() and not ready yet; workers told to stop stay in
// `live` until reaped. Everything runs on the supervisor's loop thread.
#include "weft/net/prefork.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>

#include "net/restart_backoff.hpp"
#include "net/socket_io.hpp"
#include "weft/error.hpp"
#include "weft/process.hpp"
#include "weft/signal.hpp"
#include "weft/sync/event.hpp"
#include "weft/task.hpp"
#include "weft/timer.hpp"

extern char** environ;

namespace weft::net {

namespace {

// A worker's descriptors: the shared listener and its end of the control
// socket (systemd's numbering: passed descriptors start at 3).
constexpr int listener_fd = 3;
constexpr int control_fd = 4;
constexpr std::string_view env_prefix = "WEFT_PREFORK_";
constexpr const char* env_slot = "WEFT_PREFORK_SLOT";
constexpr const char* env_generation = "WEFT_PREFORK_GENERATION";
constexpr const char* env_supervisor = "WEFT_PREFORK_SUPERVISOR";

using detail::throw_errno;

std::size_t usable_cpus() {
  cpu_set_t set;
  if (::sched_getaffinity(0, sizeof set, &set) != 0) throw_errno(errno, "weft::prefork_supervisor: sched_getaffinity");
  return static_cast<std::size_t>(CPU_COUNT(&set));
}

}  // namespace

struct prefork_supervisor::state : std::enable_shared_from_this<state> {
  struct worker {
    std::size_t slot = 0;
    std::uint64_t generation = 0;
    std::optional<process> proc;
    unix_stream control;  // the supervisor's end; the worker writes one byte when ready
    loop::time_point started{};
    bool exited = false;
    bool stopping = false;    // SIGTERM (or SIGKILL) sent
    timer_handle kill_timer;  // SIGKILL once stop_grace has passed
    task<void> watcher;
  };
  struct slot_state {
    std::shared_ptr<worker> current;
    std::shared_ptr<worker> pending;
    detail::restart_backoff backoff;
    timer_handle restart;
    bool restart_armed = false;
  };

  tcp_listener listener;
  std::vector<std::string> argv;
  prefork_options options;
  std::vector<slot_state> slots;
  std::vector<std::shared_ptr<worker>> live;
  std::uint64_t generation = 1;
  bool ran = false;
  bool stopping = false;
  event all_exited{"prefork_supervisor::run"};

  state(tcp_listener l, std::vector<std::string> a, prefork_options o)
      : listener(std::move(l)), argv(std::move(a)), options(std::move(o)) {}

  void emit(prefork_event::kind what, const worker& w, int returncode = 0) {
    if (options.on_event) options.on_event({what, w.slot, w.generation, w.proc ? w.proc->pid() : -1, returncode});
  }

  std::vector<std::string> environment(std::size_t index) const {
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e)
      if (std::string_view(*e).substr(0, env_prefix.size()) != env_prefix) env.emplace_back(*e);
    env.push_back(std::string(env_slot) + "=" + std::to_string(index));
    env.push_back(std::string(env_generation) + "=" + std::to_string(generation));
    env.push_back(std::string(env_supervisor) + "=" + std::to_string(::getpid()));
    return env;
  }

  std::shared_ptr<worker> start(std::size_t index) {
    auto [mine, theirs] = socketpair();
    auto w = std::make_shared<worker>();
    w->slot = index;
    w->generation = generation;
    w->proc.emplace(process::spawn(
        argv, {.env = environment(index), .pass_fds = {listener.native_handle(), theirs.native_handle()}}));
    theirs.close();  // the worker's end lives only in the worker, so its exit reads as end of stream
    w->control = std::move(mine);
    w->started = loop::current()->now();
    live.push_back(w);
    emit(prefork_event::kind::started, *w);
    w->watcher = weft::spawn([self = shared_from_this(), w] { self->watch(w); }, {.name = "prefork_worker_watch"});
    return w;
  }

  void watch(const std::shared_ptr<worker>& w) {
    std::byte ready_byte[1];
    bool ready = false;
    bool timed_out = false;
    try {
      ready = w->control.read_some(ready_byte, options.ready_timeout) > 0;
    } catch (const timeout_error&) {
      timed_out = true;
    } catch (const std::system_error&) {  // reset: the worker is exiting
    }
    w->control.close();
    // End of stream without a word: the worker is exiting (its exit status
    // is the report, so it is not killed), or it closed fd 4 and gets
    // ready_timeout more to exit.
    if (!ready && !timed_out) timed_out = !w->proc->wait_for(options.ready_timeout);
    if (ready) {
      became_ready(w);
    } else if (timed_out && !w->stopping) {
      w->stopping = true;  // a failed start
      emit(prefork_event::kind::stopping, *w);
      w->proc->kill(SIGKILL);
    }
    int returncode = w->proc->wait();
    exited(w, returncode);
  }

  void became_ready(const std::shared_ptr<worker>& w) {
    emit(prefork_event::kind::ready, *w);
    slot_state& s = slots[w->slot];
    if (s.pending != w) return;
    std::shared_ptr<worker> old = std::exchange(s.current, w);
    s.pending.reset();
    if (old) terminate(old);
  }

  // SIGTERM now, SIGKILL after stop_grace.
  void terminate(const std::shared_ptr<worker>& w) {
    if (w->stopping || w->exited) return;
    w->stopping = true;
    emit(prefork_event::kind::stopping, *w);
    w->proc->kill(SIGTERM);
    std::weak_ptr<worker> weak = w;  // the timer lives in the worker: no cycle
    w->kill_timer = call_later(options.stop_grace, [weak] {
      if (auto w = weak.lock(); w && !w->exited) w->proc->kill(SIGKILL);
    });
  }

  void exited(const std::shared_ptr<worker>& w, int returncode) {
    w->exited = true;
    w->kill_timer.cancel();
    emit(prefork_event::kind::exited, *w, returncode);
    live.erase(std::find(live.begin(), live.end(), w));
    slot_state& s = slots[w->slot];
    if (s.current == w) s.current.reset();
    if (s.pending == w) s.pending.reset();  // a failed replacement: its predecessor serves on
    if (!stopping && !s.current && !s.pending && !s.restart_armed)
      schedule_restart(w->slot, loop::current()->now() - w->started);
    if (stopping && live.empty()) all_exited.set();
  }

  void schedule_restart(std::size_t i, loop::duration lived) {
    slot_state& s = slots[i];
    s.restart_armed = true;
    std::weak_ptr<state> weak = weak_from_this();
    s.restart = call_later(s.backoff.after_exit(lived), [weak, i] {
      if (auto self = weak.lock()) self->restart(i);
    });
  }

  void restart(std::size_t i) {
    slot_state& s = slots[i];
    s.restart_armed = false;
    if (stopping || s.current || s.pending) return;
    try {
      s.current = start(i);
    } catch (const std::exception&) {
      report_spawn_failure(i);
      schedule_restart(i, loop::duration::zero());
    }
  }

  void report_spawn_failure(std::size_t i) {
    if (options.on_event)
      options.on_event({prefork_event::kind::spawn_failed, i, generation, -1, 0, std::current_exception()});
  }

  void cancel_restart(slot_state& s) {
    s.restart.cancel();
    s.restart_armed = false;
  }

  void reload() {
    if (!ran || stopping) return;
    ++generation;
    for (std::size_t i = 0; i < slots.size(); ++i) {
      slot_state& s = slots[i];
      if (s.pending) terminate(std::exchange(s.pending, nullptr));  // superseded before it was ready
      try {
        if (s.current) {
          s.pending = start(i);
        } else {
          cancel_restart(s);
          s.current = start(i);
        }
      } catch (const std::exception&) {
        report_spawn_failure(i);
        if (!s.current) schedule_restart(i, loop::duration::zero());
      }
    }
  }

  void stop() {
    if (stopping) return;
    stopping = true;
    for (slot_state& s : slots) cancel_restart(s);
    for (const std::shared_ptr<worker>& w : std::vector(live)) terminate(w);
    if (live.empty()) all_exited.set();
  }

  // The supervisor object goes away with workers still running: kill them;
  // each is reaped by ~process once its watcher has unwound.
  void abandon() {
    stopping = true;
    for (slot_state& s : slots) cancel_restart(s);
    for (const std::shared_ptr<worker>& w : live) {
      w->proc->kill(SIGKILL);
      w->watcher.cancel();
    }
  }
};

prefork_supervisor::prefork_supervisor(tcp_listener listener, std::vector<std::string> worker_argv,
                                       prefork_options options)
    : state_(std::make_shared<state>(std::move(listener), std::move(worker_argv), std::move(options))) {}

prefork_supervisor::~prefork_supervisor() {
  if (state_) state_->abandon();
}

address prefork_supervisor::local_address() const { return state_->listener.local_address(); }

void prefork_supervisor::run() {
  state& st = *state_;
  if (st.ran) throw invalid_state("weft::prefork_supervisor::run: called twice");
  st.ran = true;
  const prefork_options& o = st.options;
  if (o.restart_delay <= loop::duration::zero() || o.max_restart_delay <= loop::duration::zero())
    throw std::invalid_argument("weft::prefork_supervisor: restart delays must be positive");
  if (st.argv.empty()) throw std::invalid_argument("weft::prefork_supervisor: empty worker argv");
  std::size_t n = o.workers != 0 ? o.workers : usable_cpus();
  for (std::size_t i = 0; i < n; ++i)
    st.slots.push_back({nullptr, nullptr, detail::restart_backoff(o.restart_delay, o.max_restart_delay, o.stable_after),
                        timer_handle(), false});
  if (st.stopping) return;

  std::optional<signal_handler> reload_on, stop_on;
  if (o.handle_signals) {
    reload_on.emplace(std::initializer_list<int>{SIGHUP}, [&st](int) { st.reload(); });
    stop_on.emplace(std::initializer_list<int>{SIGTERM, SIGINT}, [&st](int) { st.stop(); });
  }
  try {
    for (std::size_t i = 0; i < n; ++i) st.slots[i].current = st.start(i);
  } catch (const std::system_error&) {
    st.stop();
    st.all_exited.wait();
    throw;
  }
  st.all_exited.wait();
}

void prefork_supervisor::reload() { state_->reload(); }

void prefork_supervisor::stop() { state_->stop(); }

std::vector<pid_t> prefork_supervisor::worker_pids() const {
  std::vector<pid_t> pids;
  for (const auto& w : state_->live) pids.push_back(w->proc->pid());
  return pids;
}

prefork_worker::prefork_worker(std::size_t slot, std::uint64_t generation)
    : slot_(slot), generation_(generation), control_(socket(control_fd)) {}

std::optional<prefork_worker> prefork_worker::attach() {
  const char* slot = std::getenv(env_slot);
  const char* generation = std::getenv(env_generation);
  const char* supervisor = std::getenv(env_supervisor);
  if (slot == nullptr || generation == nullptr || supervisor == nullptr) return std::nullopt;
  prefork_worker w(std::strtoull(slot, nullptr, 10), std::strtoull(generation, nullptr, 10));
  auto supervisor_pid = static_cast<pid_t>(std::strtol(supervisor, nullptr, 10));
  // Not inherited by what this worker may start in turn.
  ::unsetenv(env_slot);
  ::unsetenv(env_generation);
  ::unsetenv(env_supervisor);

  block_signals({SIGTERM, SIGINT});
  ::signal(SIGHUP, SIG_IGN);
  if (::prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) throw_errno(errno, "weft::prefork_worker: prctl(PR_SET_PDEATHSIG)");
  // The supervisor may have died before the prctl: then nobody would send it.
  if (::getppid() != supervisor_pid) ::kill(::getpid(), SIGTERM);

  int listening = 0;
  socklen_t size = sizeof listening;
  if (::getsockopt(listener_fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0)
    throw_errno(errno, "weft::prefork_worker: fd 3 (the shared listener)");
  if (listening == 0) throw_errno(EINVAL, "weft::prefork_worker: fd 3 is not listening");
  for (int fd : {listener_fd, control_fd}) {
    // The supervisor's dup2 cleared close-on-exec; the shared file status
    // flags are already non-blocking on the listener, not on fd 4.
    if (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) != 0)
      throw_errno(errno, "weft::prefork_worker: fcntl");
  }
  return w;
}

tcp_listener prefork_worker::take_listener() {
  if (listener_taken_) throw invalid_state("weft::prefork_worker::take_listener: taken already");
  listener_taken_ = true;
  return tcp_listener(socket(listener_fd));
}

void prefork_worker::ready() {
  const std::byte ready_byte[1] = {std::byte{1}};
  try {
    control_.write_all(ready_byte);
  } catch (const std::system_error& e) {
    // EPIPE: the supervisor is gone, and its death signal is on its way.
    if (e.code() != std::errc::broken_pipe && e.code() != std::errc::connection_reset) throw;
  }
}

int prefork_worker::wait_for_stop() {
  signal_set stop({SIGTERM, SIGINT});
  return stop.wait();
}

}  // namespace weft::net
