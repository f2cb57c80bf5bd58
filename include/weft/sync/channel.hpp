// A channel between the tasks of one loop, with close semantics for fan-in
// and fan-out: any number of senders and receivers; when the senders are
// done, one of them (or whoever knows) closes it, and the receivers drain
// what is left, then see the end.
//
//   weft::channel<int> results(16, "results");
//   // workers (fan-in)                  // collector
//   results.send(work(i));               for (int r : results) total += r;
//   ...; results.close();                // ends once closed and drained
//
// Capacity: 0 makes an unbuffered channel (a send waits until a receiver
// takes the value, as a Go channel); n buffers up to n values;
// channel<T>::unbounded never makes a sender wait.
//
// Closing: close() is idempotent. After it, send() raises channel_closed
// (also in senders waiting at that moment: their values are not delivered),
// receive() returns the values still buffered, then std::nullopt, at once.
//
// Fairness: FIFO, for values and for waiting tasks alike (a waiting receiver
// is handed the next value sent; a waiting sender's value takes the place a
// receive frees). send/receive are cancellation points (weft::cancelled); a
// cancelled send delivers nothing, a cancelled receive takes nothing.
// try_send/try_receive/close also work from callbacks; a call that has to
// wait must come from a task (invalid_state). Loop thread only; see
// weft/sync/event.hpp.
#pragma once

#include <cstddef>
#include <deque>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "weft/error.hpp"
#include "weft/loop.hpp"
#include "weft/sync/detail/receive_iterator.hpp"
#include "weft/sync/detail/wait_list.hpp"

namespace weft {

template <class T>
class channel {
 public:
  static constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();

  explicit channel(std::size_t capacity = 0, std::string name = {}) : name_(std::move(name)), capacity_(capacity) {}
  channel(const channel&) = delete;
  channel& operator=(const channel&) = delete;

  // Sends a value, suspending the running task while there is no room (no
  // receiver waiting, for an unbuffered channel). channel_closed if closed
  // before or while waiting.
  void send(const T& value) {
    T copy(value);
    send_ref(copy, true);
  }
  void send(T&& value) { send_ref(value, true); }
  // Sends only if that needs no wait; moves from `value` only on true.
  // channel_closed if closed.
  bool try_send(const T& value) {
    if (closed_) throw channel_closed(name_);
    if (!has_room()) return false;
    T copy(value);
    return send_ref(copy, false);
  }
  bool try_send(T&& value) { return send_ref(value, false); }

  // The next value, suspending the running task while there is none;
  // nullopt once the channel is closed and drained.
  std::optional<T> receive() {
    if (std::optional<T> v = try_receive()) return v;
    if (closed_) return std::nullopt;
    std::optional<T> slot;
    receive_waiter w;
    w.slot = &slot;
    detail::wake_reason why;
    try {
      why = receivers_.wait(w, {detail::wait_kind::primitive, "channel.receive", name_});
    } catch (...) {
      // Handed a value, then unwound by force: it goes back to the front.
      if (w.chosen && slot) items_.push_front(std::move(*slot));
      throw;
    }
    if (why == detail::wake_reason::cancelled) throw cancelled();
    return slot;  // a value, or nullopt: woken by close()
  }
  // The next value if one is there now (buffered, or a waiting sender's).
  std::optional<T> try_receive() {
    if (!items_.empty()) {
      std::optional<T> v(std::move(items_.front()));
      items_.pop_front();
      // A place is free: the longest-waiting sender's value takes it.
      if (auto* s = static_cast<send_waiter*>(senders_.pop())) {
        items_.push_back(std::move(*s->value));
        detail::wait_list::wake(s);
      }
      return v;
    }
    if (auto* s = static_cast<send_waiter*>(senders_.pop())) {  // unbuffered: straight from the sender
      std::optional<T> v(std::move(*s->value));
      detail::wait_list::wake(s);
      return v;
    }
    return std::nullopt;
  }

  // Closes the channel; false if it was closed already. Wakes every waiting
  // receiver (nullopt: nothing is buffered while receivers wait) and sender
  // (channel_closed). Any context.
  bool close() noexcept {
    if (closed_) return false;
    closed_ = true;
    receivers_.wake_all();
    while (auto* s = static_cast<send_waiter*>(senders_.pop())) {
      s->refused = true;
      detail::wait_list::wake(s);
    }
    return true;
  }

  bool closed() const noexcept { return closed_; }
  // Values buffered now.
  std::size_t size() const noexcept { return items_.size(); }
  std::size_t capacity() const noexcept { return capacity_; }
  std::string_view name() const noexcept { return name_; }
  std::size_t senders_waiting() const noexcept { return senders_.size(); }
  std::size_t receivers_waiting() const noexcept { return receivers_.size(); }

  // Range-for over the values received until the channel is closed and
  // drained: each step is a receive(), so it suspends and may raise
  // weft::cancelled. An input range: iterate once.
  using iterator = detail::receive_iterator<channel, T>;
  iterator begin() { return iterator(this); }
  std::default_sentinel_t end() const noexcept { return {}; }

 private:
  struct receive_waiter : detail::sync_waiter {
    std::optional<T>* slot = nullptr;  // filled by the sender that picks it
  };
  struct send_waiter : detail::sync_waiter {
    T* value = nullptr;    // taken by the receiver that picks it
    bool refused = false;  // woken by close(): not delivered
  };

  bool has_room() const noexcept { return items_.size() < capacity_ || !receivers_.empty(); }

  // Moves from `value` only when delivered. wait == false: never suspends,
  // returns false instead.
  bool send_ref(T& value, bool wait) {
    if (closed_) throw channel_closed(name_);
    if (auto* r = static_cast<receive_waiter*>(receivers_.pop())) {
      r->slot->emplace(std::move(value));
      detail::wait_list::wake(r);
      return true;
    }
    if (items_.size() < capacity_) {
      items_.push_back(std::move(value));
      return true;
    }
    if (!wait) return false;
    send_waiter w;
    w.value = &value;
    if (senders_.wait(w, {detail::wait_kind::primitive, "channel.send", name_}) == detail::wake_reason::cancelled)
      throw cancelled();
    if (w.refused) throw channel_closed(name_);
    return true;  // a receiver took it
  }

  std::deque<T> items_;
  detail::wait_list receivers_{"channel"};
  detail::wait_list senders_{"channel"};
  std::string name_;
  std::size_t capacity_;
  bool closed_ = false;
};

}  // namespace weft
