// signal_set, signal_handler and block_signals (include/weft/signal.hpp).
//
// Masks are per thread. Each thread keeps a count of the live signal_sets
// holding each signal, and whether the signal must stay blocked when the
// last one goes (it was blocked before the first took it, or
// block_signals() asked for it), so that overlapping sets, destroyed in any
// order, never unblock a signal another set still reads.
#include "weft/signal.hpp"

#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <stdexcept>
#include <string>
#include <system_error>

#include "loop/fd_wait.hpp"
#include "loop/loop_core.hpp"
#include "weft/error.hpp"
#include "weft/fiber.hpp"
#include "weft/task.hpp"

namespace weft {

namespace {

struct thread_signal_holds {
  int count[NSIG] = {};
  bool keep_blocked[NSIG] = {};
};
constinit thread_local thread_signal_holds holds;

void check_signal(int s) {
  if (s <= 0 || s >= NSIG) throw std::invalid_argument("weft: signal number " + std::to_string(s) + " out of range");
  if (s == SIGKILL || s == SIGSTOP)
    throw std::invalid_argument("weft: signal " + std::to_string(s) + " (SIGKILL/SIGSTOP) cannot be caught");
}

[[noreturn]] void throw_errno(int err, const char* what) {
  throw std::system_error(err, std::generic_category(), what);
}

// Gives up this thread's holds on `signals`; discards what is pending of
// those no longer held, then unblocks them (unless they must stay blocked).
void release_holds(const std::vector<int>& signals) noexcept {
  sigset_t unblock;
  sigemptyset(&unblock);
  bool any = false;
  for (int s : signals)
    if (--holds.count[s] == 0 && !holds.keep_blocked[s]) {
      sigaddset(&unblock, s);
      any = true;
    }
  if (!any) return;
  timespec zero{};
  for (;;) {
    int taken = ::sigtimedwait(&unblock, nullptr, &zero);
    if (taken > 0 || (taken < 0 && errno == EINTR)) continue;
    break;  // EAGAIN: nothing left pending
  }
  ::pthread_sigmask(SIG_UNBLOCK, &unblock, nullptr);
}

// Suspends the running task until fd is readable or the deadline passes
// (false). Raises cancelled.
bool wait_signal_fd(int fd, detail::loop_time deadline) {
  return detail::wait_foreign_fd(fd, detail::io_direction::read, deadline, detail::wait_kind::signal, "signal_set");
}

// wait() is a suspension point even when a signal is pending: a pending
// cancellation comes first.
void cancellation_point() {
  detail::task_base& t = detail::running_task();
  if (t.cancel_requested && t.shield_depth == 0) {
    t.cancel_requested = false;
    throw cancelled();
  }
}

}  // namespace

void block_signals(std::initializer_list<int> signals) {
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : signals) {
    check_signal(s);
    sigaddset(&mask, s);
  }
  if (int err = ::pthread_sigmask(SIG_BLOCK, &mask, nullptr); err != 0) throw_errno(err, "weft: pthread_sigmask");
  for (int s : signals) holds.keep_blocked[s] = true;
}

signal_set::signal_set(std::initializer_list<int> signals) {
  if (signals.size() == 0) throw std::invalid_argument("weft: signal_set of no signals");
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : signals) {
    check_signal(s);
    if (sigismember(&mask, s) == 0) signals_.push_back(s);
    sigaddset(&mask, s);
  }
  sigset_t previous;
  if (int err = ::pthread_sigmask(SIG_BLOCK, &mask, &previous); err != 0) throw_errno(err, "weft: pthread_sigmask");
  for (int s : signals_)
    if (holds.count[s]++ == 0) holds.keep_blocked[s] = sigismember(&previous, s) == 1;
  fd_ = ::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd_ < 0) {
    int err = errno;
    release_holds(signals_);
    throw_errno(err, "weft: signalfd");
  }
}

signal_set::~signal_set() {
  ::close(fd_);
  release_holds(signals_);
}

std::optional<int> signal_set::try_take() {
  signalfd_siginfo info;
  for (;;) {
    ssize_t n = ::read(fd_, &info, sizeof info);
    if (n == static_cast<ssize_t>(sizeof info)) return static_cast<int>(info.ssi_signo);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return std::nullopt;
    throw_errno(n < 0 ? errno : EIO, "weft: read(signalfd)");
  }
}

int signal_set::wait() {
  cancellation_point();
  for (;;) {
    if (auto s = try_take()) return *s;
    wait_signal_fd(fd_, detail::no_deadline);
  }
}

std::optional<int> signal_set::wait_for(loop::duration timeout) {
  cancellation_point();
  detail::loop_time deadline = detail::loop_now() + timeout;
  for (;;) {
    if (auto s = try_take()) return s;
    if (!wait_signal_fd(fd_, deadline)) return try_take();
  }
}

// --- signal_handler -------------------------------------------------------

namespace {

// What the handler's task works with; the handle reaches it weakly.
struct handler_shared {
  handler_shared(std::initializer_list<int> signals, std::function<void(int)> fn)
      : set(signals), handler(std::move(fn)) {}
  signal_set set;
  std::function<void(int)> handler;
  bool cancelled = false;  // loop thread only: no more calls
};

void run_handler(handler_shared& shared) {
  while (!shared.cancelled) {
    int s = shared.set.wait();
    if (shared.cancelled) return;
    try {
      shared.handler(s);
    } catch (const forced_unwind&) {
      throw;  // the loop is tearing this task down
    } catch (const cancelled&) {
      throw;  // the handle was cancelled while the handler waited
    } catch (...) {
      detail::running_task().loop->report({"Exception in signal handler", "signal_handler", std::current_exception()});
    }
  }
}

}  // namespace

// The task owns the shared part (and so the signalfd); the handle only
// looks at it while the task lives.
struct signal_handler::state {
  std::weak_ptr<handler_shared> shared;
  task<void> runner;
};

signal_handler::signal_handler(std::initializer_list<int> signals, std::function<void(int)> handler) {
  if (!handler) throw std::invalid_argument("weft: empty signal handler");
  loop* lp = loop::current();
  if (lp == nullptr) throw invalid_state("weft: signal_handler outside a running loop");
  auto shared = std::make_shared<handler_shared>(signals, std::move(handler));
  auto runner = lp->spawn([shared] { run_handler(*shared); }, {.name = "signal_handler"});
  state_ = std::make_unique<state>(state{shared, std::move(runner)});
}

signal_handler::~signal_handler() { cancel(); }

void signal_handler::cancel() noexcept {
  if (!state_) return;
  if (auto shared = state_->shared.lock()) shared->cancelled = true;
  state_->runner.cancel();
}

}  // namespace weft
