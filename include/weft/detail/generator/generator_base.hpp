// What every weft::generator<Y, S, R> shares whatever its types: the fiber,
// the body's pending exception, how far its return value has been reported,
// and the cold paths that throw the protocol's errors. Keeping these out of
// the template keeps one copy of them in a program, out of line
// (src/generator/generator.cpp). Touched only by the thread that owns the
// generator.
#pragma once

#include <exception>
#include <string>

#include "weft/fiber.hpp"
#include "weft/detail/generator/slots.hpp"

namespace weft::detail {

// Which operation asks: send() refuses a created generator, the others start it.
enum class generator_op : unsigned char { resume, send };

// Cold paths, out of line (src/generator/generator.cpp).
[[noreturn]] void throw_already_executing(const fiber_control& f);
[[noreturn]] void throw_ignored_exit(const fiber_control& f);
[[noreturn]] void throw_stop_iteration();
[[noreturn]] void throw_no_exception(const fiber_control& f);
[[noreturn]] void throw_no_return_value(const fiber_control& f);
[[noreturn]] void yield_outside_body(const fiber_control* f) noexcept;
// Acts on a signal found at a yield: rethrows what throw_in() gave, throws
// generator_exit or forced_unwind. The last two are not thrown while an
// exception is already unwinding the body (a destructor that yields): the
// yield returns and that unwind carries on.
void raise_signal(generator_signal& signal, std::exception_ptr& raised);
// True if `e` holds a generator_exit (PEP 380 closes a delegate for it).
bool is_generator_exit(const std::exception_ptr& e) noexcept;
std::string generator_label(const fiber_control& f);

// A generator's fiber is of exclusive use: only next/send/throw_in/close
// resume it and only its yielder suspends it, by the inline switch where
// the build has one (weft/detail/context/context_inline.hpp).
inline constexpr exclusive_use generator_use{"a generator's body leaves its fiber only through its yielder", true};

inline bool startable(const fiber_control* f) noexcept {
  return f->state == fiber_state::created || f->state == fiber_state::suspended;
}

class generator_base {
 protected:
  // How far the body's return value has been reported (StopIteration.value
  // goes out once; later StopIterations carry None).
  enum class return_status : unsigned char {
    none,          // the body has not returned a value
    pending,       // it has; no operation has reported it yet
    reported_now,  // the last operation that reported the end reported it
    reported,      // reported by an earlier operation
  };

  generator_base() noexcept = default;
  generator_base(generator_base&&) noexcept = default;
  generator_base& operator=(generator_base&&) noexcept = default;
  ~generator_base() = default;

  // The operation `op` on `f` has no value to hand out: `f` is not
  // resumable, or its body has just ended. Throws what the operation must
  // throw instead: generator_already_executing, generator_not_started (a
  // send to a created generator), or the body's exception, once. Otherwise
  // the caller reports exhaustion, and the result says whether this report
  // is the first since the body returned a value.
  [[gnu::cold]] bool settle(const fiber_control* f, generator_op op);

  // Reports the body's exception, once.
  void rethrow_error() {
    if (error_) [[unlikely]]
      raise_error();
  }
  [[noreturn]] void raise_error();

  // close() has run the body to its end: a generator_exit it let out is the
  // expected outcome, a value it returned is not reported later (Python:
  // after close(), StopIteration carries None); another exception comes out.
  void closed();

  // The destructor's close of `f` raised `error`: hands it to the
  // unraisable hook.
  static void report_unraisable(const fiber_control& f, std::exception_ptr error) noexcept;

  // Called by the body's frame from inside its catch block: keeps the
  // exception that escaped the body for the resumer (PEP 479 turns a
  // stop_iteration into generator_raised_stop_iteration); the fiber layer's
  // forced_unwind goes on.
  void body_raised(const fiber_control& f);

  fiber fiber_;
  std::exception_ptr error_;    // escaped the body, until reported
  bool error_is_exit_ = false;  // error_ is a generator_exit (close() swallows it)
  return_status return_ = return_status::none;
};

}  // namespace weft::detail
