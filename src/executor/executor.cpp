// The executor's thread pool and the protocol by which a task waits for its
// job (include/weft/executor.hpp, docs/executor-and-signals.md).
//
// A job_record is shared (shared_ptr) by three parties:
//   the task     on the loop thread, parked in run_on_pool() until the job
//                is settled: completed (the completion callback ran) or
//                withdrawn (taken off the queue before a thread started it);
//   the pool     queue_ (under mutex_) and then the worker running it;
//   the loop     the completion callback, posted with call_soon_threadsafe.
//
//   queued --(worker pops, mutex_)--> running --(fn returned, posted)--> finished
//                                               (a flag under the record's own mutex)
//     \--(task withdraws, mutex_)--> withdrawn
//
// Lifetimes. fn and its result live on the task's stack, so the task leaves
// only when the record is withdrawn or finished. The worker's last touch of
// the loop is call_soon_threadsafe (which writes the loop's eventfd); only
// then does it mark the record finished, and the completion callback waits
// for that mark (microseconds at most) before waking the task, so a task
// that finishes and lets its loop be destroyed never leaves a worker
// writing into a freed loop. The task holds a loop::keep_alive while the
// job is in flight: the loop may block in epoll instead of reporting a
// deadlock, and the posted callback (remote_pending) keeps it awake until
// the task has run.
#include "weft/executor.hpp"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <thread>
#include <vector>

#include "annotated_mutex.hpp"
#include "loop/loop_core.hpp"
#include "weft/detail/fatal.hpp"
#include "weft/error.hpp"
#include "weft/fiber.hpp"

namespace weft {
namespace detail {

namespace {

struct job_record {
  enum class phase : unsigned char { queued, running, withdrawn };

  executor_work* work = nullptr;
  loop* completion_loop = nullptr;  // where the completion goes
  // Loop thread only.
  task_base* task = nullptr;  // null once the task has left run_on_pool()
  bool completed = false;     // the completion callback has run

  // queued -> running | withdrawn, under the pool's mutex (another
  // object's, so not annotated).
  phase state = phase::queued;
  // Set by the worker once fn has returned and the completion is posted
  // (the worker's last touch of the loop); waited for on finished_cv.
  annotated_mutex m;
  std::condition_variable finished_cv;
  bool finished WEFT_GUARDED_BY(m) = false;

  void wait_finished() {
    unique_lock lock(m);
    while (!finished) finished_cv.wait(lock.native());
  }
};

// Blocks every signal in the calling thread, returning the previous mask.
sigset_t block_all_signals() {
  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, &previous);
  return previous;
}

}  // namespace

class executor_pool {
 public:
  explicit executor_pool(std::size_t max_threads) : max_threads_(max_threads) {}

  // Drains the queue, then joins every thread.
  ~executor_pool() {
    {
      lock_guard lock(mutex_);
      stopping_ = true;
    }
    work_cv_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

  executor_pool(const executor_pool&) = delete;
  executor_pool& operator=(const executor_pool&) = delete;

  std::size_t max_threads() const noexcept { return max_threads_; }

  // Queues the record, starting a thread if none is idle and the bound
  // allows. Throws std::system_error (record not queued) only if no thread
  // exists and none can be started.
  void submit(const std::shared_ptr<job_record>& record) {
    lock_guard lock(mutex_);
    queue_.push_back(record);
    if (queue_.size() > idle_ && threads_.size() < max_threads_) {
      try {
        start_thread();
      } catch (...) {
        if (!threads_.empty()) return;  // an existing thread will take it
        queue_.pop_back();
        throw;
      }
    }
    work_cv_.notify_one();
  }

  // Takes a record off the queue if no thread has started it. True if
  // withdrawn (it will never run).
  bool withdraw(job_record& record) {
    lock_guard lock(mutex_);
    if (record.state != job_record::phase::queued) return false;
    auto it = std::find_if(queue_.begin(), queue_.end(), [&](const auto& r) { return r.get() == &record; });
    if (it != queue_.end()) queue_.erase(it);
    record.state = job_record::phase::withdrawn;
    return true;
  }

 private:
  // The new thread inherits a fully blocked mask, so no signal can land on
  // it even before worker() blocks them itself.
  void start_thread() WEFT_REQUIRES(mutex_) {
    sigset_t previous = block_all_signals();
    try {
      threads_.emplace_back([this] { worker(); });
    } catch (...) {
      ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
      throw;
    }
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    ++idle_;  // it will take a queued job before waiting
  }

  // Counted idle from its start (start_thread) and again as soon as fn has
  // returned, before its task can learn that: a task running jobs one after
  // another then reuses one thread instead of starting another.
  void worker() noexcept {
    block_all_signals();
    unique_lock lock(mutex_);
    for (;;) {
      while (!stopping_ && queue_.empty()) work_cv_.wait(lock.native());
      if (queue_.empty()) return;  // stopping, and nothing left to finish
      std::shared_ptr<job_record> record = std::move(queue_.front());
      queue_.pop_front();
      record->state = job_record::phase::running;
      --idle_;
      lock.unlock();

      record->work->call(record->work);  // catches fn's exceptions itself
      lock.lock();
      ++idle_;
      lock.unlock();
      try {
        record->completion_loop->call_soon_threadsafe([record] {
          // Wait until the worker has let go of the loop (see the top).
          record->wait_finished();
          record->completed = true;
          if (record->task != nullptr) unpark(record->task, wake_reason::woken);
        });
      } catch (...) {
        // Only allocation can fail here; the task would wait forever.
        detail::fatal("executor: cannot hand a finished job back to its loop");
      }
      {
        lock_guard finished_lock(record->m);
        record->finished = true;
      }
      record->finished_cv.notify_all();
      record.reset();
      lock.lock();
    }
  }

  const std::size_t max_threads_;
  annotated_mutex mutex_;
  std::condition_variable work_cv_;  // a job was queued, or stopping_
  std::deque<std::shared_ptr<job_record>> queue_ WEFT_GUARDED_BY(mutex_);
  std::vector<std::thread> threads_ WEFT_GUARDED_BY(mutex_);  // joined by the destructor alone
  std::size_t idle_ WEFT_GUARDED_BY(mutex_) = 0;              // threads not running a job (waiting, or about to)
  bool stopping_ WEFT_GUARDED_BY(mutex_) = false;
};

void run_on_pool(executor_pool& pool, executor_work& work) {
  task_base& self = running_task();
  // park() would refuse too, but only after the job was queued.
  if (!on_task_fiber(self)) refuse_nested_fiber("run_in_executor");
  if (self.cancel_requested && self.shield_depth == 0) {
    self.cancel_requested = false;
    throw cancelled();
  }

  auto record = std::make_shared<job_record>();
  record->work = &work;
  record->completion_loop = &self.loop->facade;
  record->task = &self;
  loop::keep_alive alive(*record->completion_loop);
  pool.submit(record);

  // However the task leaves, fn must be done with `work` first. The normal
  // ways out settle the record before; this covers being unwound by force
  // (forced_unwind out of park() when the loop closes), where the loop's
  // thread blocks until a running fn returns.
  bool settled = false;
  struct settle_on_exit {
    executor_pool& pool;
    job_record& record;
    bool& settled;
    ~settle_on_exit() {
      if (!settled && !pool.withdraw(record)) record.wait_finished();
      record.task = nullptr;
    }
  } guard{pool, *record, settled};

  bool cancel_seen = false;
  for (;;) {
    wake_reason why = park({wait_kind::executor, "run_in_executor", ""});
    if (why == wake_reason::cancelled) cancel_seen = true;
    if (record->completed) break;
    if (cancel_seen && pool.withdraw(*record)) break;  // never started
    // Running: it cannot be interrupted; wait for it (a later cancel() wakes
    // us again, harmlessly).
  }
  settled = true;
  if (cancel_seen) throw cancelled();
}

}  // namespace detail

executor::executor(std::size_t threads) {
  if (threads == 0) threads = std::max<std::size_t>(4, std::thread::hardware_concurrency());
  pool_ = std::make_unique<detail::executor_pool>(threads);
}

executor::~executor() = default;

std::size_t executor::max_threads() const noexcept { return pool_->max_threads(); }

executor& default_executor() {
  loop* lp = loop::current();
  if (lp == nullptr) throw invalid_state("weft: default_executor() outside a running loop");
  std::shared_ptr<void>& slot = detail::access::core(*lp).default_executor;
  if (!slot) slot = std::make_shared<executor>();
  return *static_cast<executor*>(slot.get());
}

}  // namespace weft
