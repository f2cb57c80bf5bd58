// A bounded channel whose ends may live on different loops (threads): the
// cross-thread counterpart of weft::channel (weft/sync/channel.hpp), with
// the same close semantics for fan-in and fan-out.
//
//   auto ch = std::make_shared<weft::cross_channel<int>>(64, "results");
//   weft::spawn_on(rt.loop_at(1), [ch] { for (int i = 0; i < n; ++i) ch->send(i); ch->close(); });
//   for (int v : *ch) total += v;   // on loop 0: ends once closed and drained
//
// Capacity: at least 1 (invalid_argument otherwise). send() suspends the
// running task while the buffer is full, receive() while it is empty; only
// that task waits, the loop runs on.
//
// Closing: close() is idempotent. After it, send() raises channel_closed
// (also in senders waiting at that moment: their values are not
// delivered), receive() returns the values still buffered, then nullopt.
//
// Fairness and ownership as in weft::channel: FIFO for values and for
// waiting tasks; a waiting receiver is handed the next value sent (a
// waiting sender's value takes the place a receive frees) before it runs,
// so no newcomer overtakes it. send/receive are cancellation points
// (weft::cancelled); a cancelled send delivers nothing, a cancelled receive
// takes nothing. A waiter that was handed its value before the cancellation
// reached it keeps the value, and the cancellation is raised at its next
// suspension point.
//
// Wake-ups: a task woken on another loop is woken by a message to that loop
// (loop::call_soon_threadsafe); a burst of them costs that loop one eventfd
// wake-up.
//
// Threads: every member may be called from any thread; send(), receive()
// and the iteration must be called from a task (of any loop) when they have
// to wait (invalid_state otherwise); the try_ forms, close() and the
// queries never wait. The loops of waiting tasks must outlive the channel's
// use (weft::runtime keeps its loops until all have closed).
//
// Memory ordering: all state (buffer, waiter lists, closed, what is handed
// over) is guarded by one std::mutex; see weft/detail/runtime/cross_wait.hpp
// for the wake-up.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "weft/detail/runtime/cross_wait.hpp"
#include "weft/error.hpp"
#include "weft/sync/detail/receive_iterator.hpp"

namespace weft {

template <class T>
class cross_channel {
 public:
  explicit cross_channel(std::size_t capacity, std::string name = {}) : name_(std::move(name)), capacity_(capacity) {
    if (capacity == 0) throw std::invalid_argument("weft: a cross_channel needs a capacity of at least 1");
  }
  cross_channel(const cross_channel&) = delete;
  cross_channel& operator=(const cross_channel&) = delete;

  // Sends a value, suspending the running task while the buffer is full.
  // channel_closed if closed before or while waiting.
  void send(const T& value) {
    T copy(value);
    send_ref(copy, true);
  }
  void send(T&& value) { send_ref(value, true); }
  // Sends only if that needs no wait; moves from `value` only on true.
  // channel_closed if closed.
  bool try_send(T&& value) { return send_ref(value, false); }
  bool try_send(const T& value) {
    T copy(value);
    return send_ref(copy, false);
  }

  // The next value, suspending the running task while there is none;
  // nullopt once the channel is closed and drained.
  std::optional<T> receive() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!items_.empty()) return take_front(lock);
    if (closed_) return std::nullopt;
    receive_waiter w;
    detail::wake_reason why;
    try {
      why = detail::cross_wait(lock, receivers_, w, {detail::wait_kind::primitive, "cross_channel.receive", name_});
    } catch (...) {
      // Handed a value, then unwound by force: it goes back to the front.
      if (w.chosen && w.slot) items_.push_front(std::move(*w.slot));
      throw;
    }
    if (why == detail::wake_reason::cancelled) throw cancelled();
    return std::move(w.slot);  // a value, or nullopt: woken by close()
  }
  // The next value if one is buffered now.
  std::optional<T> try_receive() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (items_.empty()) return std::nullopt;
    return take_front(lock);
  }

  // Closes the channel; false if it was closed already. Wakes every waiting
  // receiver (nullopt) and sender (channel_closed).
  bool close() {
    std::vector<detail::cross_wake> wakes;
    {
      std::lock_guard<std::mutex> g(mutex_);
      if (closed_) return false;
      closed_ = true;
      while (detail::cross_waiter* r = receivers_.pop()) wakes.emplace_back(*r);
      while (auto* s = static_cast<send_waiter*>(senders_.pop())) {
        s->refused = true;
        wakes.emplace_back(*s);
      }
    }
    for (detail::cross_wake& w : wakes) w.post();
    return true;
  }

  bool closed() const {
    std::lock_guard<std::mutex> g(mutex_);
    return closed_;
  }
  // Values buffered now.
  std::size_t size() const {
    std::lock_guard<std::mutex> g(mutex_);
    return items_.size();
  }
  std::size_t capacity() const noexcept { return capacity_; }
  std::string_view name() const noexcept { return name_; }
  // Tasks waiting now (diagnostics and tests).
  std::size_t senders_waiting() const {
    std::lock_guard<std::mutex> g(mutex_);
    return senders_.size();
  }
  std::size_t receivers_waiting() const {
    std::lock_guard<std::mutex> g(mutex_);
    return receivers_.size();
  }

  // Range-for over the values received until the channel is closed and
  // drained; each step is a receive(). An input range: iterate once.
  using iterator = detail::receive_iterator<cross_channel, T>;
  iterator begin() { return iterator(this); }
  std::default_sentinel_t end() const noexcept { return {}; }

 private:
  struct receive_waiter : detail::cross_waiter {
    std::optional<T> slot;  // filled by the sender that picks it
  };
  struct send_waiter : detail::cross_waiter {
    T* value = nullptr;    // taken by the receiver that picks it
    bool refused = false;  // chosen by close(): not delivered
  };

  // Pops the front value; a waiting sender's value takes its place.
  std::optional<T> take_front(std::unique_lock<std::mutex>& lock) {
    std::optional<T> v(std::move(items_.front()));
    items_.pop_front();
    if (auto* s = static_cast<send_waiter*>(senders_.pop())) {
      items_.push_back(std::move(*s->value));
      detail::cross_wake wake(*s);
      lock.unlock();
      wake.post();
    }
    return v;
  }

  // Moves from `value` only when delivered. wait == false: never
  // suspends, returns false instead.
  bool send_ref(T& value, bool wait) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (closed_) throw channel_closed(name_);
    if (auto* r = static_cast<receive_waiter*>(receivers_.pop())) {
      r->slot.emplace(std::move(value));
      detail::cross_wake wake(*r);
      lock.unlock();
      wake.post();
      return true;
    }
    if (items_.size() < capacity_) {
      items_.push_back(std::move(value));
      return true;
    }
    if (!wait) return false;
    send_waiter w;
    w.value = &value;
    if (detail::cross_wait(lock, senders_, w, {detail::wait_kind::primitive, "cross_channel.send", name_}) ==
        detail::wake_reason::cancelled)
      throw cancelled();
    if (w.refused) throw channel_closed(name_);
    return true;  // a receiver moved it into the buffer
  }

  mutable std::mutex mutex_;  // guards everything below but the constants
  std::deque<T> items_;
  detail::cross_wait_list receivers_;
  detail::cross_wait_list senders_;
  bool closed_ = false;
  const std::string name_;
  const std::size_t capacity_;
};

}  // namespace weft
