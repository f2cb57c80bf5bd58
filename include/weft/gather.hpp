// Combinators over tasks (asyncio.gather, asyncio.wait, asyncio.as_completed).
//
//   auto [page, user] = weft::gather(fetch_page, weft::spawn(load_user));
//   auto all = weft::gather(weft::return_exceptions, a, b, c);  // outcomes
//   auto [done, pending] = weft::wait(tasks, weft::return_when::first_completed, 5s);
//   for (auto t : weft::as_completed(tasks)) use(t.result());
//   for (auto ac = weft::as_completed(tasks, 5s); ac.remaining();) use(ac.next_result());
//
// Each is called from a task and suspends only that task. The tasks given
// must belong to the running task's loop. "Completion order" is the order in
// which the tasks finished; tasks already done when the call starts come
// first, in the order given. None of them cancels the tasks it watches,
// except gather when the gathering task itself is cancelled (asyncio does the
// same).
//
// gather(args...): each argument is a task<T> or a callable, which is spawned
// as a task. Returns a tuple of the results in argument order (std::monostate
// for task<void>). The first task to fail (in completion order) makes gather
// raise its exception at once; the other tasks keep running, unaffected. A
// task that was cancelled counts as failed with weft::cancelled. With
// return_exceptions first, gather waits for every task and returns a tuple of
// outcome<T>: the value or the exception, never raising for a task. Cancelling
// the gathering task cancels every task that is not done, waits for them to
// finish (shielded from further cancels), then raises weft::cancelled.
// gather(std::vector<task<T>>) works the same and returns a vector.
//
// gather marks the exceptions it returns or raises as retrieved; a failure of
// another task after gather has raised is still reported by that task's
// handles ("Task exception was never retrieved") unless someone looks at it.
//
// wait(tasks, return_when, timeout) returns when the condition is met or the
// timeout passed: {done (completion order), pending (order given)}. It never
// raises for the tasks and never cancels them. first_exception counts a task
// that raised something other than cancellation; with none such, it is
// all_completed.
//
// as_completed(tasks, timeout) yields the tasks as they finish: next()
// suspends until the next one is done and returns it (std::nullopt after the
// last), or range-for over it (Python 3.13's `async for`); next_result()
// waits the same way and returns the task's result or raises its exception
// (Python <= 3.12's `for aw in as_completed(aws): await aw`). Past the
// timeout, either raises weft::timeout_error once for each task not handed
// out; a task finishing after the deadline is never handed out.
//
// gather_future(args...) is gather as an object: a weft::future that several
// tasks may join, that callbacks may watch and that cancel() cancels
// (see it below).
//
// Everything here may raise weft::cancelled while waiting, and leaves no
// waiter behind in the watched tasks on any way out.
#pragma once

#include <concepts>
#include <cstddef>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "weft/detail/loop/park.hpp"
#include "weft/error.hpp"
#include "weft/future.hpp"
#include "weft/loop.hpp"
#include "weft/task.hpp"

namespace weft {

// What a task produced: its value, or the exception it raised. The element
// type of gather(return_exceptions, ...).
template <class T>
class outcome {
 public:
  explicit outcome(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  explicit outcome(std::exception_ptr error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  // The value; rethrows the exception if there is one.
  T& value() & {
    if (!has_value()) std::rethrow_exception(std::get<1>(v_));
    return std::get<0>(v_);
  }
  const T& value() const& {
    if (!has_value()) std::rethrow_exception(std::get<1>(v_));
    return std::get<0>(v_);
  }
  T&& value() && { return std::move(value()); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // The exception, or null.
  std::exception_ptr error() const noexcept { return has_value() ? nullptr : std::get<1>(v_); }

 private:
  std::variant<T, std::exception_ptr> v_;
};

template <>
class outcome<void> {
 public:
  outcome() noexcept = default;
  explicit outcome(std::exception_ptr error) noexcept : error_(std::move(error)) {}
  bool has_value() const noexcept { return error_ == nullptr; }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const {
    if (error_) std::rethrow_exception(error_);
  }
  std::exception_ptr error() const noexcept { return error_; }

 private:
  std::exception_ptr error_;
};

// Selects gather's form that returns outcomes instead of raising.
struct return_exceptions_t {
  explicit return_exceptions_t() = default;
};
inline constexpr return_exceptions_t return_exceptions{};

// gather's element type for a task<T>: T, or std::monostate for void.
template <class T>
using gather_value_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

enum class return_when { first_completed, first_exception, all_completed };

template <class T>
struct wait_result {
  std::vector<task<T>> done;     // in completion order
  std::vector<task<T>> pending;  // in the order given
};

namespace detail {

// Watches tasks of the running task's loop and records the order in which
// they finish, through a waiter in each one's `joiners` whose notify hook
// records it (and wakes the watching task if it is parked in wait()). Made
// and used by one task; unlinks every waiter when destroyed.
class completion_watch {
 public:
  // Tasks already done count as finished at once, in the order given.
  // invalid_state outside a task or for a task of another loop.
  completion_watch(task_base* const* tasks, std::size_t count);
  ~completion_watch();
  completion_watch(const completion_watch&) = delete;
  completion_watch& operator=(const completion_watch&) = delete;

  // The index of the next task to have finished, in completion order;
  // nullopt if no finish is waiting to be popped.
  std::optional<std::size_t> pop() noexcept;
  // Parks the running task until there is a finish to pop (at once if there
  // is one), the deadline passes or it is cancelled. Shown in dumps as
  // "waiting on join <what> '<a pending task>'".
  wake_reason wait(std::string_view what, loop_time deadline = no_deadline);
  // Tasks not finished yet.
  std::size_t unfinished() const noexcept { return count_ - finished_.size(); }
  // Stops watching (asyncio's remove_done_callback): tasks finishing from
  // now on are never popped. Wakes the watcher if it is parked in wait(),
  // which must not be called again.
  void stop() noexcept;
  bool stopped() const noexcept { return stopped_; }

 private:
  struct watch_waiter : waiter {
    completion_watch* watch = nullptr;
    std::size_t index = 0;
  };
  static void on_finish(waiter* w) noexcept;

  task_base* const* tasks_;
  std::size_t count_;
  task_base* watcher_;
  std::unique_ptr<watch_waiter[]> waiters_;
  std::vector<std::size_t> finished_;  // indices, completion order
  std::size_t popped_ = 0;
  std::size_t pending_hint_ = 0;  // no task below it is unfinished (for dumps)
  bool waiting_ = false;
  bool stopped_ = false;
};

// gather's wait: returns when every task is done or (stop_at_first_error)
// rethrows the first failure, marking it retrieved. Cancelled: cancels the
// tasks, waits for them shielded, raises cancelled.
void gather_wait(task_base* const* tasks, std::size_t count, bool stop_at_first_error);

// wait's core: the indices of the done tasks, in completion order.
std::vector<std::size_t> wait_done(task_base* const* tasks, std::size_t count, return_when when, loop_time deadline);

template <class X>
struct is_task : std::false_type {};
template <class T>
struct is_task<task<T>> : std::true_type {};

template <class A>
concept gatherable = is_task<std::remove_cvref_t<A>>::value || std::invocable<std::decay_t<A>&>;

template <class A>
auto to_task(A&& a) {
  if constexpr (is_task<std::remove_cvref_t<A>>::value) return std::remove_cvref_t<A>(a);
  else return weft::spawn(std::forward<A>(a));
}

template <class T>
gather_value_t<T> gather_value(task<T>& t) {
  if constexpr (std::is_void_v<T>) {
    t.result();
    return {};
  } else {
    return t.result();
  }
}

template <class T>
outcome<T> gather_outcome(task<T>& t) {
  if (std::exception_ptr e = t.exception()) return outcome<T>(std::move(e));
  if constexpr (std::is_void_v<T>) return outcome<void>();
  else return outcome<T>(t.result());
}

template <class... T, class F>
void for_each_task(std::tuple<task<T>...>& tasks, F f) {
  std::apply([&](auto&... t) { (f(t), ...); }, tasks);
}
template <class T, class F>
void for_each_task(std::vector<task<T>>& tasks, F f) {
  for (auto& t : tasks) f(t);
}

template <class... T>
void gather_wait(std::tuple<task<T>...>& tasks, bool stop_at_first_error) {
  std::apply(
      [&](auto&... t) {
        task_base* states[] = {access::state(t)..., nullptr};
        gather_wait(states, sizeof...(T), stop_at_first_error);
      },
      tasks);
}
template <class T>
void gather_wait(std::vector<task<T>>& tasks, bool stop_at_first_error) {
  std::vector<task_base*> states;
  states.reserve(tasks.size());
  for (auto& t : tasks) states.push_back(access::state(t));
  gather_wait(states.data(), states.size(), stop_at_first_error);
}

// Every task's value (gather) or outcome (return_exceptions), in order.
template <class... T>
std::tuple<gather_value_t<T>...> gather_values(std::tuple<task<T>...>& tasks) {
  return std::apply([](auto&... t) { return std::tuple<gather_value_t<T>...>{gather_value(t)...}; }, tasks);
}
template <class... T>
std::tuple<outcome<T>...> gather_outcomes(std::tuple<task<T>...>& tasks) {
  return std::apply([](auto&... t) { return std::tuple<outcome<T>...>{gather_outcome(t)...}; }, tasks);
}
template <class T, class Each>
auto map_tasks(std::vector<task<T>>& tasks, Each each) {
  std::vector<decltype(each(tasks.front()))> results;
  results.reserve(tasks.size());
  for (auto& t : tasks) results.push_back(each(t));
  return results;
}
template <class T>
std::vector<gather_value_t<T>> gather_values(std::vector<task<T>>& tasks) {
  return map_tasks(tasks, [](task<T>& t) { return gather_value(t); });
}
template <class T>
std::vector<outcome<T>> gather_outcomes(std::vector<task<T>>& tasks) {
  return map_tasks(tasks, [](task<T>& t) { return gather_outcome(t); });
}

}  // namespace detail

// gather(tasks or callables...) -> std::tuple<gather_value_t<T>...>
template <detail::gatherable... A>
auto gather(A&&... args) {
  std::tuple tasks{detail::to_task(std::forward<A>(args))...};
  detail::gather_wait(tasks, true);
  return detail::gather_values(tasks);
}

// gather(return_exceptions, tasks or callables...) -> std::tuple<outcome<T>...>
template <detail::gatherable... A>
auto gather(return_exceptions_t, A&&... args) {
  std::tuple tasks{detail::to_task(std::forward<A>(args))...};
  detail::gather_wait(tasks, false);
  return detail::gather_outcomes(tasks);
}

template <class T>
std::vector<gather_value_t<T>> gather(const std::vector<task<T>>& tasks) {
  std::vector<task<T>> held(tasks);
  detail::gather_wait(held, true);
  return detail::gather_values(held);
}

template <class T>
std::vector<outcome<T>> gather(return_exceptions_t, const std::vector<task<T>>& tasks) {
  std::vector<task<T>> held(tasks);
  detail::gather_wait(held, false);
  return detail::gather_outcomes(held);
}

namespace detail {

// A gather future's state: its children and how many are not done yet.
// Each child has a done callback holding a handle to the future, so the
// state lives until every child has finished and the last handle is gone.
template <class R, class Children, class Collect>
struct gather_state final : future_state<R> {
  gather_state(Children c, bool all) : children(std::move(c)), return_exceptions(all) {
    this->destroy = [](future_base* f) noexcept { delete static_cast<gather_state*>(f); };
    this->cancel_hook = &cancel_children;
  }

  // asyncio's _GatheringFuture.cancel(): cancels the children not done;
  // true if any was. The future then finishes with weft::cancelled.
  static bool cancel_children(future_base* f) noexcept {
    auto* self = static_cast<gather_state*>(f);
    bool any = false;
    for_each_task(self->children, [&](auto& t) { any = cancel_task(access::state(t)) || any; });
    if (any) self->cancel_requested = true;
    return any;
  }

  // gather's _done_callback: the first failure (a cancellation included)
  // completes the future unless return_exceptions; the last child
  // completes it with every result, or with cancelled after a cancel().
  void child_done(task_base* child) {
    --unfinished;
    if (this->done()) return;
    if (!return_exceptions && child->error) {
      child->retrieved = true;
      this->retrieved = child->was_cancelled();  // a cancellation is never reported
      complete_future(this, child->error);
    } else if (unfinished == 0) {
      finish();
    }
  }
  void finish() {
    if (cancel_requested) {
      this->retrieved = true;
      complete_future(this, std::make_exception_ptr(cancelled()));
      return;
    }
    try {
      this->value.emplace(Collect{}(children));
    } catch (...) {
      complete_future(this, std::current_exception());
      return;
    }
    complete_future(this);
  }

  Children children;
  std::size_t unfinished = 0;
  bool return_exceptions;
  bool cancel_requested = false;
};

// The gather future over `children` of the running task's loop (invalid_state
// for a child of another loop), whose value Collect{}(children) makes once
// all are done.
template <class Children, class Collect>
auto make_gather_future(Children children, bool return_exceptions, Collect) {
  using R = std::invoke_result_t<Collect&, Children&>;
  using state_t = gather_state<R, Children, Collect>;
  loop& lp = running_loop("gather_future");
  auto* s = new state_t(std::move(children), return_exceptions);
  try {
    adopt_future(s, lp);
  } catch (...) {
    s->destroy(s);
    throw;
  }
  auto f = access::make<future<R>>(static_cast<future_state<R>*>(s));
  for_each_task(s->children, [&](auto& t) {
    if (access::state(t)->loop != s->loop)
      throw invalid_state("weft: gather_future of task '" + std::string(t.name()) + "' of another loop");
  });
  for_each_task(s->children, [&](auto& t) {
    ++s->unfinished;
    t.add_done_callback(
        [f](auto& child) { static_cast<state_t*>(access::state(f))->child_done(access::state(child)); });
  });
  if (s->unfinished == 0) s->finish();  // asyncio: gather() of nothing is done at once
  return f;
}

}  // namespace detail

// The gather as an object (the future asyncio.gather returns): a
// future<std::tuple<gather_value_t<T>...>> that any number of tasks may
// join and callbacks may watch. The first child to fail completes it with
// that exception, the others running on; else it completes with every
// result once all are done. cancel() cancels the children not done (true
// if any was); the future then completes with weft::cancelled, and, as in
// Python 3.11, cancelled() stays false while result() raises cancelled and
// exception() returns it. A task waiting in its join() that is cancelled
// cancels it so. The blocking gather() above is the shorthand for
// awaiting it in one task, except that on cancellation it waits for every
// child.
template <detail::gatherable... A>
auto gather_future(A&&... args) {
  return detail::make_gather_future(std::tuple{detail::to_task(std::forward<A>(args))...}, false,
                                    [](auto& tasks) { return detail::gather_values(tasks); });
}

// With return_exceptions: waits for every child and completes with their
// outcomes (a future<std::tuple<outcome<T>...>>).
template <detail::gatherable... A>
auto gather_future(return_exceptions_t, A&&... args) {
  return detail::make_gather_future(std::tuple{detail::to_task(std::forward<A>(args))...}, true,
                                    [](auto& tasks) { return detail::gather_outcomes(tasks); });
}

// The same over a vector of tasks: a future of a vector.
template <class T>
auto gather_future(std::vector<task<T>> tasks) {
  return detail::make_gather_future(std::move(tasks), false, [](auto& ts) { return detail::gather_values(ts); });
}

template <class T>
auto gather_future(return_exceptions_t, std::vector<task<T>> tasks) {
  return detail::make_gather_future(std::move(tasks), true, [](auto& ts) { return detail::gather_outcomes(ts); });
}

template <class T>
wait_result<T> wait(const std::vector<task<T>>& tasks, return_when when = return_when::all_completed,
                    std::optional<loop::duration> timeout = std::nullopt) {
  std::vector<detail::task_base*> states;
  states.reserve(tasks.size());
  for (auto& t : tasks) states.push_back(detail::access::state(t));
  detail::loop_time deadline = timeout ? detail::loop_now() + *timeout : detail::no_deadline;
  std::vector<std::size_t> done = detail::wait_done(states.data(), states.size(), when, deadline);
  wait_result<T> r;
  std::vector<bool> is_done(tasks.size());
  r.done.reserve(done.size());
  for (std::size_t i : done) {
    r.done.push_back(tasks[i]);
    is_done[i] = true;
  }
  r.pending.reserve(tasks.size() - done.size());
  for (std::size_t i = 0; i < tasks.size(); ++i)
    if (!is_done[i]) r.pending.push_back(tasks[i]);
  return r;
}

// The tasks of as_completed(), handed out as they finish. Holds a handle to
// each. Used by the task that made it.
template <class T>
class completion_order {
 public:
  // With a timeout, a timer stops the watch at the deadline, as asyncio's
  // timeout handler does: a task finishing after it is never handed out.
  completion_order(std::vector<task<T>> tasks, std::optional<loop::duration> timeout) : tasks_(std::move(tasks)) {
    states_.reserve(tasks_.size());
    for (auto& t : tasks_) states_.push_back(detail::access::state(t));
    watch_ = std::make_unique<detail::completion_watch>(states_.data(), states_.size());
    if (timeout)
      deadline_ = call_later(
          *timeout, [w = watch_.get()] { w->stop(); }, "as_completed timeout");
  }
  ~completion_order() { deadline_.cancel(); }  // before watch_ goes
  completion_order(completion_order&&) noexcept = default;
  completion_order& operator=(completion_order&&) = delete;

  // The next task to finish (suspending until one does); nullopt when all
  // have been handed out. Past the deadline, a task that finished before it
  // is still handed out; otherwise each call raises timeout_error at once
  // and counts as one task handed out, as asyncio's as_completed does, so
  // that `while (ac.remaining())` ends. cancelled if the caller is
  // cancelled.
  std::optional<task<T>> next() {
    for (;;) {
      if (remaining() == 0) return std::nullopt;
      if (std::optional<std::size_t> i = watch_->pop()) return hand_out(*i);
      if (watch_->stopped()) break;
      if (watch_->wait("as_completed") == detail::wake_reason::cancelled) throw cancelled();
    }
    ++handed_out_;
    throw timeout_error("weft: as_completed timed out");
  }
  // Python <= 3.12's form, `for aw in as_completed(aws): r = await aw`:
  // waits as next() does and returns the task's result, or raises its
  // exception (marking it retrieved; weft::cancelled for a task that was
  // cancelled), or timeout_error past the deadline. Either way one task
  // fewer remains. invalid_state when none remains.
  T next_result() {
    if (remaining() == 0) throw invalid_state("weft: as_completed has handed out every task");
    return next()->result();
  }
  // Tasks not handed out yet.
  std::size_t remaining() const noexcept { return tasks_.size() - handed_out_; }

  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = task<T>;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    task<T>& operator*() { return *current_; }
    task<T>* operator->() { return &*current_; }
    iterator& operator++() {
      current_ = order_->next();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept { return !it.current_; }

   private:
    friend class completion_order;
    explicit iterator(completion_order* order) : order_(order), current_(order->next()) {}
    completion_order* order_ = nullptr;
    std::optional<task<T>> current_;
  };
  iterator begin() { return iterator(this); }
  std::default_sentinel_t end() const noexcept { return {}; }

 private:
  task<T> hand_out(std::size_t i) {
    ++handed_out_;
    return tasks_[i];
  }

  std::vector<task<T>> tasks_;
  std::vector<detail::task_base*> states_;
  std::unique_ptr<detail::completion_watch> watch_;  // destroyed before tasks_
  timer_handle deadline_;                            // stops watch_; cancelled before it goes
  std::size_t handed_out_ = 0;                       // tasks, and timeouts raised in their place
};

template <class T>
completion_order<T> as_completed(std::vector<task<T>> tasks, std::optional<loop::duration> timeout = std::nullopt) {
  return completion_order<T>(std::move(tasks), timeout);
}

}  // namespace weft
