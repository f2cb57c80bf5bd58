// weft::runtime: N loops on N threads, started and stopped as one.
//
// Shutdown order, the reason for `shared`: every loop closes on its own
// thread, all at once (a task's cleanup may still talk to another loop);
// each then waits until all have closed before its loop is destroyed, since
// until then another loop may still post to it (a wake-up whose waiter has
// gone, which its closed loop drops). Loop 0 is the creating thread's and
// is destroyed with the runtime.
#include "weft/runtime.hpp"

#include <pthread.h>
#include <sched.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <system_error>

#include "weft/error.hpp"

namespace weft {

namespace {

constinit thread_local runtime* this_runtime = nullptr;
constinit thread_local std::size_t this_index = 0;

cpu_set_t process_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0)
    throw std::system_error(errno, std::generic_category(), "weft: sched_getaffinity");
  return set;
}

// Pins the calling thread to the index-th CPU of the process's set.
void pin_to(std::size_t index, const cpu_set_t& cpus) {
  std::size_t count = static_cast<std::size_t>(CPU_COUNT(&cpus));
  std::size_t wanted = index % count;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &cpus) || wanted-- != 0) continue;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (int err = ::pthread_setaffinity_np(::pthread_self(), sizeof one, &one); err != 0)
      throw std::system_error(err, std::generic_category(), "weft: pthread_setaffinity_np");
    return;
  }
}

}  // namespace

std::size_t available_cpus() {
  cpu_set_t set = process_cpus();
  int n = CPU_COUNT(&set);
  return n > 0 ? static_cast<std::size_t>(n) : 1;
}

// What the loop threads and the creating thread share; guarded by mutex.
struct runtime::shared {
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t started = 0;        // loop threads that have made (or failed to make) their loop
  std::size_t closed = 0;         // loops closed, loop 0 included
  std::size_t loops = 0;          // loops that will close: 1 + the threads started
  std::exception_ptr loop_error;  // the first exception that escaped a loop thread
  cpu_set_t cpus{};
  std::optional<loop::keep_alive> keep_loop0;  // during run()

  void record(std::exception_ptr e) {
    std::lock_guard<std::mutex> g(mutex);
    if (!loop_error) loop_error = std::move(e);
  }
  // Counts this loop closed and waits until every loop has.
  void closed_and_wait_for_all() {
    std::unique_lock<std::mutex> lock(mutex);
    ++closed;
    changed.notify_all();
    changed.wait(lock, [&] { return closed == loops; });
  }
};

runtime::runtime(runtime_options options) : options_(std::move(options)), shared_(std::make_unique<shared>()) {
  shared_->cpus = process_cpus();
  std::size_t n = options_.loops != 0 ? options_.loops : available_cpus();
  if (options_.pin) pin_to(0, shared_->cpus);
  loop0_ = std::make_unique<weft::loop>(options_.loop);
  if (options_.exception_handler) loop0_->set_exception_handler(options_.exception_handler);
  loops_.assign(n, nullptr);
  loops_[0] = loop0_.get();
  shared_->loops = n;
  std::exception_ptr failed;
  try {
    for (std::size_t i = 1; i < n; ++i) threads_.emplace_back([this, i] { loop_thread(i); });
  } catch (...) {
    failed = std::current_exception();
  }
  {
    std::unique_lock<std::mutex> lock(shared_->mutex);
    shared_->loops = 1 + threads_.size();  // fewer if a thread could not be started
    shared_->changed.wait(lock, [&] { return shared_->started == threads_.size(); });
    if (!failed) failed = shared_->loop_error;
  }
  if (failed) {
    shutdown();
    std::rethrow_exception(failed);
  }
}

runtime::~runtime() { shutdown(); }

void runtime::loop_thread(std::size_t index) {
  this_runtime = this;
  this_index = index;
  std::optional<weft::loop> lp;
  try {
    if (options_.pin) pin_to(index, shared_->cpus);
    lp.emplace(options_.loop);
    if (options_.exception_handler) lp->set_exception_handler(options_.exception_handler);
  } catch (...) {
    shared_->record(std::current_exception());
    lp.reset();
  }
  {
    std::lock_guard<std::mutex> g(shared_->mutex);
    loops_[index] = lp ? &*lp : nullptr;
    ++shared_->started;
    shared_->changed.notify_all();
  }
  if (lp) {
    try {
      loop::keep_alive alive(*lp);
      lp->run_forever();  // until shutdown() posts stop()
    } catch (...) {
      shared_->record(std::current_exception());
    }
    try {
      lp->close();
    } catch (...) {
      shared_->record(std::current_exception());
    }
  }
  shared_->closed_and_wait_for_all();
  lp.reset();
  this_runtime = nullptr;
}

void runtime::begin_run() {
  if (ran_ || shut_down_) throw invalid_state("weft: runtime::run() may be called once");
  ran_ = true;
  shared_->keep_loop0.emplace(*loop0_);
  this_runtime = this;
  this_index = 0;
}

void runtime::shutdown() noexcept {
  if (shut_down_) return;
  shut_down_ = true;
  {
    // The loops' pointers are published under the mutex (loop_thread).
    std::lock_guard<std::mutex> g(shared_->mutex);
    for (std::size_t i = 1; i < loops_.size(); ++i)
      if (weft::loop* lp = loops_[i]) lp->call_soon_threadsafe([lp] { lp->stop(); });
  }
  shared_->keep_loop0.reset();
  this_runtime = this;
  this_index = 0;
  try {
    loop0_->close();
  } catch (...) {
    shared_->record(std::current_exception());
  }
  shared_->closed_and_wait_for_all();
  for (std::thread& t : threads_) t.join();
  this_runtime = nullptr;
}

void runtime::rethrow_loop_error() {
  if (std::exception_ptr e = std::exchange(shared_->loop_error, nullptr)) std::rethrow_exception(e);
}

runtime* runtime::current() noexcept { return this_runtime; }

std::size_t runtime::current_index() {
  if (this_runtime == nullptr) throw invalid_state("weft: runtime::current_index() outside a runtime's loop");
  return this_index;
}

}  // namespace weft
