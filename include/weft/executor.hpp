// Blocking work off the loop: a bounded pool of threads that runs plain
// functions while only the calling task waits (asyncio.run_in_executor).
//
//   std::string text = weft::run_in_executor([&] { return slurp(path); });
//
// Safety: fn may refer to the calling task's locals, so the task does not
// leave run() before fn has finished, even when cancelled: a job not yet
// started is withdrawn and cancelled is raised at once; a job already
// running is waited for (it cannot be interrupted), then cancelled is raised
// and its result discarded. Even a task unwound by force (close() after its
// grace period) blocks the loop's thread until its running job is done.
//
// Worker threads block every signal, so signals reach signalfd-based
// handlers (weft/signal.hpp) and not a pool thread. While jobs are in
// flight the loop counts as having a wake-up source (no false deadlock).
// docs/executor-and-signals.md has the details.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "weft/loop.hpp"

namespace weft {

namespace detail {
class executor_pool;

// One run() call's work, living on the calling task's stack: call() runs on
// a pool thread, invokes fn and stores its outcome (a value or `error`).
struct executor_work {
  void (*call)(executor_work*) noexcept = nullptr;
  std::exception_ptr error;
};

// Queues `work` on the pool and suspends the running task until it has run
// (or was withdrawn before starting). Raises weft::cancelled if the task was
// cancelled meanwhile, but only once fn can no longer touch `work`.
void run_on_pool(executor_pool& pool, executor_work& work);

// Where fn's result waits between the pool thread and the task: a value,
// a reference (as a pointer) or nothing.
template <class R>
struct executor_result {
  std::optional<R> value;
  template <class F>
  void store(F& fn) {
    value.emplace(std::invoke(fn));
  }
  R take() { return std::move(*value); }
};
template <class R>
struct executor_result<R&> {
  R* ref = nullptr;
  template <class F>
  void store(F& fn) {
    ref = &std::invoke(fn);
  }
  R& take() { return *ref; }
};
template <class R>
struct executor_result<R&&> {
  R* ref = nullptr;
  template <class F>
  void store(F& fn) {
    ref = &static_cast<R&>(std::invoke(fn));
  }
  R&& take() { return std::move(*ref); }
};
template <>
struct executor_result<void> {
  template <class F>
  void store(F& fn) {
    std::invoke(fn);
  }
  void take() {}
};
}  // namespace detail

// Bounded pool of threads. Thread-safe: tasks of several loops (threads)
// may share one executor. Must outlive every run() call on it.
class executor {
 public:
  // threads == 0: max(4, hardware threads). Threads start lazily, one per
  // job that finds no idle thread, up to the bound; they live until the
  // executor is destroyed.
  explicit executor(std::size_t threads = 0);
  // Finishes the jobs already queued, then joins the threads.
  ~executor();
  executor(const executor&) = delete;
  executor& operator=(const executor&) = delete;

  // Runs fn() on a pool thread; suspends the calling task until it is done.
  // Returns fn's result or rethrows its exception (same type). Must be
  // called from a task of a running loop (invalid_state otherwise). Raises
  // std::system_error if no pool thread could be started at all.
  template <class F>
  std::invoke_result_t<F&> run(F&& fn);

  std::size_t max_threads() const noexcept;

 private:
  std::unique_ptr<detail::executor_pool> pool_;
};

// The running loop's default executor (made on first use, closed with the
// loop, after its tasks). invalid_state outside a running loop.
executor& default_executor();

template <class F>
std::invoke_result_t<F&> run_in_executor(F&& fn) {
  return default_executor().run(std::forward<F>(fn));
}

template <class F>
std::invoke_result_t<F&> executor::run(F&& fn) {
  using result_t = std::invoke_result_t<F&>;
  struct work : detail::executor_work {
    std::remove_reference_t<F>* fn = nullptr;
    detail::executor_result<result_t> result;
  } job;
  job.fn = &fn;
  job.call = [](detail::executor_work* w) noexcept {
    auto* self = static_cast<work*>(w);
    try {
      self->result.store(*self->fn);
    } catch (...) {
      self->error = std::current_exception();
    }
  };
  detail::run_on_pool(*pool_, job);
  if (job.error) std::rethrow_exception(job.error);
  return job.result.take();
}

}  // namespace weft
