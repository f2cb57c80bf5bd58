// The exceptions weft raises for protocol and state errors. OS failures are
// std::system_error carrying errno; broken invariants abort with a message.
// asyncio's ValueError, RuntimeError, InvalidStateError, QueueEmpty and
// QueueFull all derive from invalid_state here, each with its own type, so
// that a caller can tell them apart without reading messages.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace weft {

// Raised inside a task at its suspension point when the task is cancelled
// (asyncio.CancelledError). A task may catch it to clean up; letting it
// escape marks the task cancelled.
//
// Not a std::exception, as CancelledError is a BaseException since Python
// 3.8: an ordinary `catch (const std::exception&)` around a wait must not
// swallow a cancellation (or a with_timeout deadline) by accident. Catch it
// by name, or with `catch (...)`, and rethrow it.
class cancelled {
 public:
  cancelled() = default;
  explicit cancelled(std::string why) : why_(std::move(why)) {}
  const char* what() const noexcept { return why_.empty() ? "weft: task cancelled" : why_.c_str(); }

 private:
  std::string why_;
};

// A deadline around a blocking operation passed (asyncio.TimeoutError).
class timeout_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  timeout_error() : std::runtime_error("weft: operation timed out") {}
};

// An operation that the object's state does not allow: result() of a task
// that is not done, a loop run twice at once (asyncio.InvalidStateError).
class invalid_state : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// An argument or count the operation does not accept: a release() above a
// bounded_semaphore's initial value, task_done() called more times than
// items were put (asyncio's ValueError).
class value_error : public invalid_state {
 public:
  using invalid_state::invalid_state;
};

// A queue's get_nowait() on an empty queue, or the dereference of an empty
// try_get() (asyncio.QueueEmpty).
class queue_empty : public invalid_state {
 public:
  using invalid_state::invalid_state;
};

// A queue's put_nowait() on a full queue (asyncio.QueueFull).
class queue_full : public invalid_state {
 public:
  using invalid_state::invalid_state;
};

// send() on a closed weft::channel.
class channel_closed : public std::runtime_error {
 public:
  explicit channel_closed(std::string_view channel_name)
      : std::runtime_error("weft: send on closed channel '" + std::string(channel_name) + "'") {}
};

// Every task of a loop is waiting and nothing can ever wake one. The message
// lists each waiting task and what it waits on.
class deadlock_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace weft
