// Tasks started on another loop, with a handle any loop can join and
// cancel: the cross-thread counterpart of weft::task (weft/task.hpp).
//
//   weft::cross_task<int> t = weft::spawn_on(rt.loop_at(1), [] { return work(); });
//   int v = t.join();   // in a task of any loop: suspends only this task
//
// The body runs as an ordinary task of the target loop and never leaves
// that loop's thread (fibers do not migrate). Its outcome (value or
// exception) is kept in a shared state that the handles reference; it is
// reported through the exception handler of the loop that drops the last
// reference when it is an exception nobody retrieved (or to stderr outside
// a running loop): never silently lost.
//
// Cancellation crosses loops: cancel() posts the request to the task's loop,
// where it acts as task::cancel() (weft::cancelled at the task's suspension
// point). A join whose task is cancelled passes the cancellation on to the
// joined task and waits for its outcome, as a local join does
// (docs/event-loop.md, "Cancellation and timeouts").
//
// Threads: every member may be called from any thread, except join(), which
// must be called from a task of some loop (any loop, including the task's
// own). Copies of a handle are independent objects (distinct objects:
// safe; one shared object: unsafe, as for std::shared_ptr). The target loop
// must outlive the messages sent to it: weft::runtime guarantees that for
// its loops.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "weft/detail/runtime/cross_wait.hpp"
#include "weft/error.hpp"
#include "weft/fiber.hpp"
#include "weft/loop.hpp"

namespace weft {

template <class T>
class cross_task;

namespace detail {

// The shared state of a cross_task. Reference counted across threads.
struct cross_task_base {
  std::atomic<std::uint32_t> refs{1};
  std::mutex mutex;  // guards the fields down to `joiners`
  bool done = false;
  bool was_cancelled = false;
  bool retrieved = false;
  std::exception_ptr error;
  cross_wait_list joiners;
  // Set by spawn_on, then read-only.
  weft::loop* home = nullptr;
  std::string name;
  // The home loop's thread only: the running task while the body lives.
  task_base* local = nullptr;
  void (*destroy)(cross_task_base*) noexcept = nullptr;
};

void retain(cross_task_base* s) noexcept;
// Drops a reference; the last one reports an exception nobody retrieved.
void release(cross_task_base* s) noexcept;
// Records the outcome (nothing if already done; the value, if any, is
// stored before), wakes every joiner; `lock` holds s->mutex and is
// released.
void finish(cross_task_base* s, std::unique_lock<std::mutex>& lock, std::exception_ptr error) noexcept;
// finish() with weft::cancelled, for a body that never ran.
void finish_cancelled(cross_task_base* s) noexcept;
// Posts a cancellation to s's loop; false if s is done.
bool cross_cancel(cross_task_base* s);
// Waits in a task until s is done; `lock` holds s->mutex throughout.
void cross_join(cross_task_base* s, std::unique_lock<std::mutex>& lock);
// Rethrows s's exception (marking it retrieved); invalid_state if not done.
void check_cross_outcome(cross_task_base* s);
// Posts the start of the body (made by `start`, on the home loop) to
// s->home; if the message never runs, s finishes cancelled.
void post_launch(cross_task_base* s, task<void> (*start)(cross_task_base*, const task_options&),
                 const task_options& options);

template <class T>
struct cross_task_state : cross_task_base {
  std::optional<T> value;  // guarded by mutex
};
template <>
struct cross_task_state<void> : cross_task_base {};

template <class T, class F>
struct cross_task_impl final : cross_task_state<T> {
  template <class G>
  explicit cross_task_impl(G&& g) : fn(std::in_place, std::forward<G>(g)) {
    this->destroy = [](cross_task_base* s) noexcept { delete static_cast<cross_task_impl*>(s); };
  }
  std::optional<F> fn;  // runs on the home loop, destroyed there before the outcome is published

  // The body of the task on the home loop. Holds a reference; the outcome
  // is recorded by the call, or, when the call never happens (cancelled
  // before it started, loop closing), by the destructor.
  struct body {
    explicit body(cross_task_impl* s) noexcept : st(s) { retain(s); }
    body(body&& o) noexcept : st(std::exchange(o.st, nullptr)) {}
    body& operator=(body&&) = delete;
    ~body() {
      if (st == nullptr) return;
      st->local = nullptr;
      st->fn.reset();
      finish_cancelled(st);
      release(st);
    }
    void operator()() {
      std::exception_ptr error;
      try {
        if constexpr (std::is_void_v<T>) {
          (*st->fn)();
          st->fn.reset();
        } else {
          T v = (*st->fn)();
          st->fn.reset();
          std::lock_guard<std::mutex> g(st->mutex);
          st->value.emplace(std::move(v));
        }
      } catch (const forced_unwind&) {
        throw;  // the loop is closing; the destructor records a cancellation
      } catch (...) {
        error = std::current_exception();
      }
      st->fn.reset();
      std::unique_lock<std::mutex> lock(st->mutex);
      finish(st, lock, std::move(error));
    }
    cross_task_impl* st;
  };

  static task<void> start(cross_task_base* s, const task_options& options) {
    auto* self = static_cast<cross_task_impl*>(s);
    task<void> t = loop::current()->spawn(body(self), options);
    self->local = access::state(t);
    return t;
  }
};

}  // namespace detail

template <class T>
class cross_task {
 public:
  cross_task() noexcept = default;
  cross_task(const cross_task& o) noexcept : state_(o.state_) {
    if (state_) detail::retain(state_);
  }
  cross_task(cross_task&& o) noexcept : state_(std::exchange(o.state_, nullptr)) {}
  cross_task& operator=(cross_task o) noexcept {
    std::swap(state_, o.state_);
    return *this;
  }
  ~cross_task() {
    if (state_) detail::release(state_);
  }

  bool valid() const noexcept { return state_ != nullptr; }
  // Every member below raises invalid_state on an empty handle.
  bool done() const {
    std::lock_guard<std::mutex> g(checked()->mutex);
    return state_->done;
  }
  bool cancelled() const {
    std::lock_guard<std::mutex> g(checked()->mutex);
    return state_->was_cancelled;
  }
  std::string_view name() const { return checked()->name; }
  // The loop the task runs on.
  weft::loop& home() const { return *checked()->home; }

  // Requests cancellation on the task's loop; false if it is done already.
  // The request may arrive after the task has finished; it then does nothing.
  bool cancel() { return detail::cross_cancel(checked()); }

  // Suspends the running task (of any loop) until this one is done, then
  // result().
  T join() {
    std::unique_lock<std::mutex> lock(checked()->mutex);
    detail::cross_join(state_, lock);
    return result_locked();
  }
  // The outcome of a finished task: its value, or its exception rethrown.
  // invalid_state if not done; a move-only value can be taken once.
  T result() {
    std::lock_guard<std::mutex> g(checked()->mutex);
    return result_locked();
  }
  std::exception_ptr exception() {
    std::lock_guard<std::mutex> g(checked()->mutex);
    if (!state_->done) throw invalid_state("weft: exception() of an unfinished cross_task");
    state_->retrieved = true;
    return state_->error;
  }
  // Drops the claim on the outcome: an exception is reported once the task
  // has finished.
  void detach() {
    checked();
    detail::release(std::exchange(state_, nullptr));
  }

 private:
  friend struct detail::access;  // the adopting constructor
  explicit cross_task(detail::cross_task_state<T>* s) noexcept : state_(s) {}

  detail::cross_task_state<T>* checked() const {
    if (state_ == nullptr) throw invalid_state("weft: an empty cross_task handle");
    return state_;
  }
  T result_locked() {  // s->mutex held
    detail::check_cross_outcome(state_);
    if constexpr (!std::is_void_v<T>) {
      if constexpr (std::is_copy_constructible_v<T>) {
        return *state_->value;
      } else {
        if (!state_->value) throw invalid_state("weft: the result of cross_task '" + state_->name + "' was taken");
        T taken = std::move(*state_->value);
        state_->value.reset();
        return taken;
      }
    }
  }

  detail::cross_task_state<T>* state_ = nullptr;
};

// Starts fn() as a task of `target` (a loop on any thread, this one
// included) and returns its handle at once. Any thread. The start is a
// message to the target loop (loop::call_soon_threadsafe); a start that
// never runs, because the loop closed first, finishes the task cancelled.
template <class F>
auto spawn_on(loop& target, F&& fn, task_options options = {}) {
  using body_t = std::decay_t<F>;
  using result_t = std::invoke_result_t<body_t&>;
  auto* s = new detail::cross_task_impl<result_t, body_t>(std::forward<F>(fn));
  auto handle = detail::access::make<cross_task<result_t>>(static_cast<detail::cross_task_state<result_t>*>(s));
  s->home = &target;
  s->name = options.name;
  options.name = s->name;  // the state's copy outlives the caller's view
  detail::post_launch(s, &detail::cross_task_impl<result_t, body_t>::start, options);
  return handle;
}

}  // namespace weft
