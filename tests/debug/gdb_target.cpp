// The program tests/debug/gdb_test.cpp debugs: a loop whose named tasks are
// suspended in functions of their own (a sleep, a pipe read, a join, an
// event, a semaphore), then a stop for the debugger: the task "main" raises
// SIGTRAP while the others wait. Run outside gdb it dies of that SIGTRAP.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>

#include "weft/loop.hpp"
#include "weft/fd_wait.hpp"
#include "weft/sync/event.hpp"
#include "weft/sync/semaphore.hpp"

namespace {

// Each waiting function keeps a frame of its own: noinline, and code after
// the wait so that the wait is not a tail call. weft-bt must name them.
#define WEFT_KEEP_FRAME() __asm__ volatile("" ::: "memory")

[[gnu::noinline]] void sleeper_waits_on_timer() {
  weft::sleep_for(std::chrono::hours(1));
  WEFT_KEEP_FRAME();
}

[[gnu::noinline]] void reader_waits_on_pipe(int fd) {
  weft::wait_readable(fd);
  WEFT_KEEP_FRAME();
}

[[gnu::noinline]] void joiner_waits_on_sleeper(weft::task<void>& sleeper) {
  sleeper.join();
  WEFT_KEEP_FRAME();
}

[[gnu::noinline]] void waiter_waits_on_event(weft::event& never) {
  never.wait();
  WEFT_KEEP_FRAME();
}

[[gnu::noinline]] void acquirer_waits_on_semaphore(weft::semaphore& empty) {
  empty.acquire();
  WEFT_KEEP_FRAME();
}

[[gnu::noinline]] void stop_for_debugger() {
  std::raise(SIGTRAP);
  WEFT_KEEP_FRAME();
}

}  // namespace

int main() {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) {
    std::perror("pipe");
    return 1;
  }
  weft::event never("never set");
  weft::semaphore empty(0, "no permits");
  weft::loop lp;
  auto sleeper = lp.spawn(sleeper_waits_on_timer, {.name = "sleeper"});
  lp.spawn([&] { reader_waits_on_pipe(pipe_fds[0]); }, {.name = "reader"});
  lp.spawn([&] { joiner_waits_on_sleeper(sleeper); }, {.name = "joiner"});
  lp.spawn([&] { waiter_waits_on_event(never); }, {.name = "waiter"});
  lp.spawn([&] { acquirer_waits_on_semaphore(empty); }, {.name = "acquirer"});
  lp.run_until_complete([] {
    weft::yield_now();  // every other task runs to its wait
    stop_for_debugger();
  });
  return 0;
}
