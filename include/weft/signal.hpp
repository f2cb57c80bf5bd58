// Signals into the loop, through signalfd: a task waits for a signal like
// for any other event, or a callback runs on the loop's thread.
//
//   weft::signal_set stop_on({SIGINT, SIGTERM});
//   int sig = stop_on.wait();   // suspends only this task
//
// signalfd only sees signals that are blocked: a signal_set blocks its
// signals in the calling thread (and the threads it starts afterwards, which
// inherit the mask), and when destroyed unblocks those that it blocked and
// that no other live signal_set of the thread still needs. Threads started
// earlier must block them too, or one of them may take the signal the
// default way: call weft::block_signals({...}) at the start of main, before
// starting threads. The executor's threads block every signal.
// docs/executor-and-signals.md has the details.
#pragma once

#include <csignal>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <vector>

#include "weft/loop.hpp"

namespace weft {

// Blocks these signals in the calling thread (pthread_sigmask), for good:
// a signal_set destroyed later leaves them blocked. std::invalid_argument
// for SIGKILL/SIGSTOP or a number out of range.
void block_signals(std::initializer_list<int> signals);

// Owned by one thread, the one whose loop waits on it: make, wait and
// destroy it there.
class signal_set {
 public:
  // Throws std::system_error (errno) if signalfd fails, std::invalid_argument
  // for SIGKILL/SIGSTOP, a number out of range or an empty list.
  explicit signal_set(std::initializer_list<int> signals);
  // Closes the fd. Signals of the set still pending in the thread or the
  // process are discarded before the set unblocks them, so a late signal
  // does not kill the process by its default action.
  ~signal_set();
  signal_set(const signal_set&) = delete;
  signal_set& operator=(const signal_set&) = delete;

  // Suspends the calling task until one of the signals arrives; returns
  // its number. Signals that arrived before the call are delivered at once,
  // one per call, in the kernel's order: those sent to this thread before
  // those sent to the process, and within each the lowest number first
  // (arrival order is not kept by the kernel; real-time signals of the same
  // number are queued and come in arrival order). Each standard signal
  // counts once while pending. Cancellable.
  int wait();
  // As wait(), but gives up after `timeout` (on the loop's clock).
  std::optional<int> wait_for(loop::duration timeout);
  // A pending signal of the set, without waiting.
  std::optional<int> try_take();

  int fd() const noexcept { return fd_; }

 private:
  int fd_ = -1;
  std::vector<int> signals_;
};

// Runs handler(signal) on the loop's thread each time one of the signals
// arrives (asyncio loop.add_signal_handler), until the returned handle is
// destroyed or cancelled; after either, handler is never called again. An
// exception from handler is reported through the loop's exception handler
// ("Exception in signal handler") and handling goes on. Runs as a task named
// "signal_handler", which close() of the loop ends quietly. That task owns
// the signalfd, so the signals stay blocked until it has ended: at the
// loop's next turn after cancel(), or in close(). Must be called with the
// loop running (from a task; invalid_state otherwise); loop thread only.
class signal_handler {
 public:
  signal_handler(std::initializer_list<int> signals, std::function<void(int)> handler);
  ~signal_handler();
  signal_handler(const signal_handler&) = delete;
  signal_handler& operator=(const signal_handler&) = delete;
  void cancel() noexcept;

 private:
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace weft
