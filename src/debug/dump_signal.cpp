// The fiber dump on a signal (loop_options::dump_signal).
//
// The handler allocates nothing and takes no lock. For every loop that asked
// for the signal it sets the loop's dump_requested flag and wakes the loop
// through its reactor's eventfd (a write(2)); the loop writes its dump at
// the start of its next turn, on its own thread. Lock-free atomics and
// write(2) are all the handler touches, both async-signal-safe.
//
// A loop's table slot may be cleared while a handler on another thread is
// still looking at it. release_dump_slot() therefore clears the slot and
// then waits until no handler is running: a handler increments
// handlers_running before it reads any slot, so one that read the loop
// before it was cleared has announced itself by then (every access is
// sequentially consistent).
#include <csignal>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

#include <unistd.h>

#include "annotated_mutex.hpp"
#include "debug/registry.hpp"
#include "loop/loop_core.hpp"
#include "weft/error.hpp"

namespace weft::detail {

namespace {

std::atomic<loop_registration*> slots[max_dump_loops];
std::atomic<int> handlers_running{0};

// Guards the rest. Per signal number: how many loops use it and what its
// action was before the first of them installed the handler.
constinit annotated_mutex table_mutex;
int users[NSIG] WEFT_GUARDED_BY(table_mutex);
struct sigaction previous[NSIG] WEFT_GUARDED_BY(table_mutex);

extern "C" void on_dump_signal(int signal) {
  int saved_errno = errno;
  handlers_running.fetch_add(1);
  for (auto& slot : slots) {
    loop_registration* r = slot.load();
    if (r != nullptr && r->dump_signal == signal) {
      r->dump_requested.store(true, std::memory_order_relaxed);
      r->core->reactor.wake();
    }
  }
  handlers_running.fetch_sub(1);
  errno = saved_errno;
}

void write_all(const char* data, std::size_t size) noexcept {
  while (size > 0) {
    ssize_t n = ::write(STDERR_FILENO, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

}  // namespace

int claim_dump_slot(loop_registration* r) {
  int signal = r->dump_signal;
  if (signal <= 0 || signal >= NSIG)
    throw std::invalid_argument("weft: loop_options::dump_signal " + std::to_string(signal) + " is not a signal");
  // These belong to faults (and SIGSEGV to the stack-overflow report):
  // taking them over would hide crashes.
  if (signal == SIGSEGV || signal == SIGBUS || signal == SIGILL || signal == SIGFPE)
    throw std::invalid_argument("weft: loop_options::dump_signal must not be a fault signal");
  lock_guard lock(table_mutex);
  int slot = 0;
  while (slot < max_dump_loops && slots[slot].load() != nullptr) ++slot;
  if (slot == max_dump_loops)
    throw invalid_state("weft: more than " + std::to_string(max_dump_loops) + " loops with a dump_signal");
  if (users[signal] == 0) {
    struct sigaction action {};
    action.sa_handler = &on_dump_signal;
    action.sa_flags = SA_RESTART;  // other threads' blocking calls go on undisturbed
    sigemptyset(&action.sa_mask);
    if (::sigaction(signal, &action, &previous[signal]) != 0)
      throw std::system_error(errno, std::generic_category(), "weft: loop_options::dump_signal");
  }
  ++users[signal];
  slots[slot].store(r);
  return slot;
}

void release_dump_slot(int slot, int signal) noexcept {
  lock_guard lock(table_mutex);
  slots[slot].store(nullptr);
  while (handlers_running.load() != 0) std::this_thread::yield();
  if (--users[signal] == 0) ::sigaction(signal, &previous[signal], nullptr);
}

void loop_registration::write_dump() noexcept {
  dump_requested.store(false, std::memory_order_relaxed);
  try {
    char head[160];
    std::snprintf(head, sizeof head, "weft: dump of loop %p on signal %d (%s), %zu tasks\n", static_cast<void*>(core),
                  dump_signal, ::strsignal(dump_signal), core->tasks.size());
    std::string text = head + core->dump();
    write_all(text.data(), text.size());
  } catch (const std::bad_alloc&) {
    static constexpr char out_of_memory[] = "weft: dump on signal: out of memory\n";
    write_all(out_of_memory, sizeof out_of_memory - 1);
  }
}

}  // namespace weft::detail
