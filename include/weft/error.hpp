// The catalogue of the exceptions weft raises for protocol and state errors,
// every layer's (generators, the loop, streams, name resolution). OS
// failures are std::system_error carrying errno; broken invariants abort
// with a message (weft/detail/fatal.hpp). A call made where it is not
// allowed (outside a task, on a nested fiber, on a finished fiber) raises
// invalid_state or a subclass of it.
// asyncio's ValueError, RuntimeError, InvalidStateError, QueueEmpty and
// QueueFull all derive from invalid_state here, each with its own type, so
// that a caller can tell them apart without reading messages.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
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

// Generators (weft/generator.hpp).

template <class R>
class stop_iteration_with;

// Python's StopIteration: the generator is exhausted. Thrown by next(),
// send() and throw_in(); the try_ forms report exhaustion with an empty
// optional instead.
class stop_iteration : public std::exception {
 public:
  const char* what() const noexcept override;
  // Python's `e.value is not None`: this is a stop_iteration_with<R>.
  bool has_value() const noexcept { return has_value_; }
  // Python's e.value, for a caller that caught the base: the value if this is
  // a stop_iteration_with<R>, else null.
  template <class R>
  const R* value_if() const noexcept {
    const auto* with = dynamic_cast<const stop_iteration_with<R>*>(this);
    return with != nullptr ? &with->value : nullptr;
  }

 protected:
  bool has_value_ = false;
};

// The first stop_iteration after the body returned a value carries it, as
// StopIteration.value does; later ones are plain stop_iteration (as in
// Python, where they carry None). generator::return_value() keeps it.
template <class R>
class stop_iteration_with : public stop_iteration {
 public:
  explicit stop_iteration_with(R v) : value(std::move(v)) { has_value_ = true; }
  R value;
};

// Python's GeneratorExit: raised at the paused yield by close() and by the
// destructor of a suspended generator, or thrown in by the caller
// (throw_in(generator_exit("why"))). Like Python's (a BaseException, not an
// Exception), it is not a std::exception, so `catch (const
// std::exception&)` lets it pass; a `catch (...)` must rethrow it or the
// generator "ignores" the close. Copies share the message.
class generator_exit {
 public:
  // What close() raises: no message (Python: GeneratorExit()).
  generator_exit() noexcept = default;
  // Python: GeneratorExit("why").
  explicit generator_exit(std::string message) : message_(std::make_shared<const std::string>(std::move(message))) {}

  const char* what() const noexcept { return message_ ? message_->c_str() : "generator_exit"; }
  bool has_message() const noexcept { return message_ != nullptr; }
  // Empty when there is none.
  std::string_view message() const noexcept { return message_ ? std::string_view(*message_) : std::string_view(); }

 private:
  std::shared_ptr<const std::string> message_;
};

// Python's TypeError "can't send non-None value to a just-started
// generator": send(v) before the first next(). The generator is untouched.
class generator_not_started : public invalid_state {
 public:
  using invalid_state::invalid_state;
};

// Python's ValueError "generator already executing": an operation on a
// generator whose body is running (it called into itself, directly or
// through other generators or fibers).
class generator_already_executing : public value_error {
 public:
  using value_error::value_error;
};

// Python's RuntimeError "generator ignored GeneratorExit": close() raised
// generator_exit and the body yielded again. The generator stays suspended.
class generator_ignored_exit : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Python's RuntimeError "generator raised StopIteration" (PEP 479): a
// stop_iteration escaped the body, which would otherwise look like the end
// of this generator. The original is nested (std::rethrow_if_nested).
class generator_raised_stop_iteration : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Streams and name resolution (weft/stream.hpp, weft/resolve.hpp).

// The stream ended before an exact read was satisfied
// (asyncio.IncompleteReadError). Not a std::system_error: nothing failed.
class end_of_stream : public std::runtime_error {
 public:
  explicit end_of_stream(std::size_t got) : std::runtime_error("weft: end of stream"), got_(got) {}
  // How many bytes arrived before the end (they are in the caller's buffer).
  std::size_t bytes_read() const noexcept { return got_; }

 private:
  std::size_t got_;
};

// getaddrinfo failed. what() names host and service and carries
// gai_strerror's text; code() is the EAI_* value, and for EAI_SYSTEM,
// system_errno() the errno.
class resolve_error : public std::runtime_error {
 public:
  resolve_error(int code, int system_errno, const std::string& what)
      : std::runtime_error(what), code_(code), errno_(system_errno) {}
  int code() const noexcept { return code_; }
  int system_errno() const noexcept { return errno_; }

 private:
  int code_;
  int errno_;
};

namespace net {

// read_until/read_line found no delimiter within their limit
// (asyncio.LimitOverrunError). The bytes stay buffered.
class limit_exceeded : public std::length_error {
 public:
  using std::length_error::length_error;
};

}  // namespace net

}  // namespace weft
