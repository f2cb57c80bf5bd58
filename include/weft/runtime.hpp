// A runtime of N loops, one per thread: thread-per-core, shared nothing,
// explicit messages (docs/multicore.md).
//
//   weft::runtime rt;                       // one loop per CPU this process may use
//   int v = rt.run([&] {                     // main, a task of loop 0
//     auto t = weft::spawn_on(rt.loop_at(1), [] { return 41; });
//     return t.join() + 1;
//   });
//
// Loop 0 belongs to the thread that makes the runtime; loops 1 … N-1 each
// get a thread of their own, started by the constructor. Their tasks never
// migrate: a fiber stays on the thread of the loop that spawned it, since
// compilers cache thread-local addresses across calls and the C++ runtime
// keeps exception state per thread. Loops share nothing; they talk through
// the structures of weft/cross/ (cross_task and spawn_on, cross_channel,
// cross_event, cross_semaphore) and loop::call_soon_threadsafe, whose
// wake-ups go through each loop's eventfd, one per burst.
//
// run(main) runs main as the task "main" of loop 0, then shuts every loop
// down: each loop, on its own thread and all at once, cancels the tasks it
// still has, gives them their close_grace to clean up, unwinds the
// stragglers and reports the exceptions nobody retrieved (loop::close()).
// Only when every loop has closed are the loops destroyed, so a message in
// flight never reaches a destroyed loop. run() then returns main's result or
// rethrows its exception; if main succeeded, an exception that escaped a
// loop's own run or close is rethrown instead. The destructor shuts down a
// runtime whose run() was never called.
//
// The loops hold a keep_alive while they run: a task waiting for another
// loop is not a deadlock, so deadlock_error is never raised here.
//
// Threads: make, run and destroy a runtime on one thread (it becomes loop
// 0's). size() and loop_at() may be called from any thread; on a loop other
// than one's own, use only call_soon_threadsafe (and keep_alive), which is
// what spawn_on and the cross_ structures do. current() and
// current_index() answer for the calling thread.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "weft/cross/channel.hpp"
#include "weft/cross/event.hpp"
#include "weft/cross/semaphore.hpp"
#include "weft/cross/task.hpp"
#include "weft/loop.hpp"

namespace weft {

// A plain value, like loop_options: any thread.
struct runtime_options {
  // How many loops; 0: one per CPU the process may run on
  // (sched_getaffinity), at least 1.
  std::size_t loops = 0;
  // Pin loop i's thread to the i-th CPU of the process's affinity mask
  // (round robin when there are more loops than CPUs). Loop 0's thread is
  // the caller's: its pinning outlasts the runtime.
  bool pin = false;
  // Options of every loop.
  loop_options loop = {};
  // Installed on every loop, and called on that loop's thread: it must be
  // safe to call from several threads at once. Empty: the default handler
  // (one line to stderr).
  std::function<void(const exception_report&)> exception_handler = {};
};

// The CPUs this process may run on (sched_getaffinity), at least 1. Any
// thread.
std::size_t available_cpus();

class runtime {
 public:
  explicit runtime(runtime_options options = {});
  ~runtime();
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  std::size_t size() const noexcept { return loops_.size(); }
  // Loop i (0 ≤ i < size()); std::out_of_range otherwise.
  weft::loop& loop_at(std::size_t i) const { return *loops_.at(i); }

  // Runs main as a task of loop 0, then shuts every loop down; returns
  // main's result or rethrows its exception. Once per runtime
  // (invalid_state after), on the thread that made it.
  template <class F>
    requires std::invocable<std::decay_t<F>&>
  auto run(F&& main) {
    begin_run();
    struct end_of_run {  // also when main throws
      runtime& rt;
      ~end_of_run() { rt.shutdown(); }
    } ending{*this};
    if constexpr (std::is_void_v<std::invoke_result_t<std::decay_t<F>&>>) {
      loop0_->run_until_complete(std::forward<F>(main));
      shutdown();
      rethrow_loop_error();
    } else {
      auto result = loop0_->run_until_complete(std::forward<F>(main));
      shutdown();
      rethrow_loop_error();
      return result;
    }
  }

  // The runtime whose loop runs on this thread, or null; and that loop's
  // index (invalid_state if there is none).
  static runtime* current() noexcept;
  static std::size_t current_index();

 private:
  struct shared;
  void begin_run();
  // Stops every loop, closes them all at once, destroys them; idempotent.
  void shutdown() noexcept;
  void rethrow_loop_error();
  void loop_thread(std::size_t index);

  runtime_options options_;
  std::unique_ptr<shared> shared_;
  std::unique_ptr<weft::loop> loop0_;
  std::vector<weft::loop*> loops_;
  std::vector<std::thread> threads_;
  bool ran_ = false;
  bool shut_down_ = false;
};

}  // namespace weft
