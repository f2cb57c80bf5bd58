// A FIFO queue between the tasks of one loop (asyncio.Queue): put() suspends
// the running task while the queue is full, get() while it is empty.
//
//   weft::queue<job> jobs(100, "jobs");     // at most 100 queued; 0: no limit
//   // producer                // consumer
//   jobs.put(make_job());      for (;;) { job j = jobs.get(); run(j); jobs.task_done(); }
//   jobs.join();               // every job put so far has been task_done()
//
// Fairness: items and free places are handed over in FIFO order. put() on an
// empty queue with getters waiting gives its item straight to the getter
// that has waited longest; get() on a full queue with putters waiting takes
// the oldest putter's item into the freed place. So a waiter is never
// overtaken by a try_get()/try_put() or a later task.
//
// task_done()/join() count as asyncio.Queue does: every successful put adds
// one unfinished item, task_done() removes one (value_error if none is
// left, asyncio's ValueError), and join() waits until none is left.
//
// put/get/join are cancellation points (weft::cancelled); a cancelled or
// timed-out put puts nothing (its argument is left as it was), a cancelled
// or timed-out get takes nothing. try_put/try_get/task_done also work from
// callbacks, as do get_nowait/put_nowait, which raise queue_empty and
// queue_full where the try_ forms return nothing or false; a call that has
// to wait must come from a task (invalid_state).
// Loop thread only; see weft/sync/event.hpp.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "weft/error.hpp"
#include "weft/loop.hpp"
#include "weft/sync/detail/checked_optional.hpp"
#include "weft/sync/detail/wait_list.hpp"

namespace weft {

template <class T>
class queue {
 public:
  // maxsize 0: unbounded.
  explicit queue(std::size_t maxsize = 0, std::string name = {}) : name_(std::move(name)), maxsize_(maxsize) {}
  queue(const queue&) = delete;
  queue& operator=(const queue&) = delete;

  // Adds an item at the back, suspending the running task while the queue
  // is full.
  void put(const T& item) {
    T copy(item);
    put_ref(copy, detail::no_deadline);
  }
  void put(T&& item) { put_ref(item, detail::no_deadline); }
  // Adds it only if there is room now (asyncio's put_nowait, as a bool);
  // moves from `item` only when it returns true.
  bool try_put(const T& item) {
    if (full()) return false;
    T copy(item);
    return put_ref(copy, detail::no_deadline);  // cannot wait: not full
  }
  bool try_put(T&& item) { return !full() && put_ref(item, detail::no_deadline); }
  // The same, raising queue_full where try_put returns false (asyncio's
  // put_nowait and QueueFull).
  void put_nowait(const T& item) {
    if (!try_put(item)) throw_full();
  }
  void put_nowait(T&& item) {
    if (!try_put(std::move(item))) throw_full();
  }
  // Waits at most d / until t for room: false (item untouched) if the time
  // passed first.
  bool try_put_for(const T& item, loop::duration d) { return try_put_until(item, detail::loop_now() + d); }
  bool try_put_for(T&& item, loop::duration d) { return put_ref(item, detail::loop_now() + d); }
  bool try_put_until(const T& item, loop::time_point t) {
    T copy(item);
    return put_ref(copy, t);
  }
  bool try_put_until(T&& item, loop::time_point t) { return put_ref(item, t); }

  // Removes the item at the front, suspending the running task while the
  // queue is empty.
  T get() { return *get_impl(detail::no_deadline); }
  // The front item if there is one now (asyncio's get_nowait, without the
  // exception). Dereferencing an empty result raises queue_empty.
  detail::checked_optional<T> try_get() {
    if (items_.empty()) return std::nullopt;
    return take_front();
  }
  // The front item; queue_empty if there is none now (asyncio's get_nowait
  // and QueueEmpty).
  T get_nowait() {
    if (items_.empty()) throw queue_empty("weft: get_nowait() on empty queue '" + name_ + "'");
    return take_front();
  }
  // Waits at most d / until t: nullopt if the time passed first.
  detail::checked_optional<T> try_get_for(loop::duration d) { return get_impl(detail::loop_now() + d); }
  detail::checked_optional<T> try_get_until(loop::time_point t) { return get_impl(t); }

  // One item taken with get() has been dealt with.
  void task_done() {
    if (unfinished_ == 0)
      throw value_error("weft: task_done() on queue '" + name_ + "' called more times than items were put");
    if (--unfinished_ == 0) joiners_.wake_all();
  }
  // Suspends the running task until every item put so far is task_done().
  void join() {
    if (unfinished_ == 0) return;
    detail::sync_waiter w;
    if (joiners_.wait(w, {detail::wait_kind::primitive, "queue.join", name_}) == detail::wake_reason::cancelled)
      throw cancelled();
  }

  std::size_t size() const noexcept { return items_.size(); }
  bool empty() const noexcept { return items_.empty(); }
  bool full() const noexcept { return maxsize_ != 0 && items_.size() >= maxsize_; }
  std::size_t maxsize() const noexcept { return maxsize_; }
  // Items put and not yet task_done().
  std::size_t unfinished() const noexcept { return unfinished_; }
  std::string_view name() const noexcept { return name_; }
  std::size_t getters_waiting() const noexcept { return getters_.size(); }
  std::size_t putters_waiting() const noexcept { return putters_.size(); }

 private:
  struct get_waiter : detail::sync_waiter {
    std::optional<T>* slot = nullptr;  // filled by the putter that picks it
  };
  struct put_waiter : detail::sync_waiter {
    T* item = nullptr;  // moved into the queue by the getter that picks it
  };

  [[noreturn]] void throw_full() const { throw queue_full("weft: put_nowait() on full queue '" + name_ + "'"); }

  // Moves from `item` only on success.
  bool put_ref(T& item, detail::loop_time deadline) {
    if (auto* g = static_cast<get_waiter*>(getters_.pop())) {
      g->slot->emplace(std::move(item));
      ++unfinished_;
      detail::wait_list::wake(g);
      return true;
    }
    if (!full()) {
      items_.push_back(std::move(item));
      ++unfinished_;
      return true;
    }
    put_waiter w;
    w.item = &item;
    switch (putters_.wait(w, {detail::wait_kind::primitive, "queue.put", name_}, deadline)) {
      case detail::wake_reason::woken: return true;  // a getter moved it in
      case detail::wake_reason::timed_out: return false;
      case detail::wake_reason::cancelled: break;
    }
    throw cancelled();
  }

  T take_front() {
    T item(std::move(items_.front()));
    items_.pop_front();
    // A place is free: the longest-waiting putter's item takes it.
    if (auto* p = static_cast<put_waiter*>(putters_.pop())) {
      items_.push_back(std::move(*p->item));
      ++unfinished_;
      detail::wait_list::wake(p);
    }
    return item;
  }

  std::optional<T> get_impl(detail::loop_time deadline) {
    if (!items_.empty()) return take_front();
    std::optional<T> slot;
    get_waiter w;
    w.slot = &slot;
    detail::wake_reason why;
    try {
      why = getters_.wait(w, {detail::wait_kind::primitive, "queue.get", name_}, deadline);
    } catch (...) {
      // Handed an item, then unwound by force: it goes back to the front.
      if (w.chosen && slot) items_.push_front(std::move(*slot));
      throw;
    }
    switch (why) {
      case detail::wake_reason::woken: return slot;  // a putter filled it
      case detail::wake_reason::timed_out: return std::nullopt;
      case detail::wake_reason::cancelled: break;
    }
    throw cancelled();
  }

  std::deque<T> items_;
  detail::wait_list getters_{"queue"};
  detail::wait_list putters_{"queue"};
  detail::wait_list joiners_{"queue"};
  std::string name_;
  std::size_t maxsize_;
  std::size_t unfinished_ = 0;
};

}  // namespace weft
