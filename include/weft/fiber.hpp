// Fibers: functions with a stack of their own that can suspend and be
// resumed.
//
// A fiber is asymmetric: resume() runs it until it calls
// this_fiber::suspend() or returns, then control comes back to the resumer.
// Fibers nest: a fiber may resume another, and suspend() always returns to
// whoever resumed the running fiber.
//
// Invariants
//  - A fiber owns its stack (and the control block and callable placed at
//    the stack's top); the stack goes back to this thread's pool when the
//    fiber object is destroyed.
//  - A fiber belongs to the thread that created it: only that thread may
//    resume or destroy it (checked; a violation aborts with a message).
//  - An exception that escapes the body never crosses a switch: the entry
//    catches it and resume() rethrows it to the resumer, once.
//  - Destroying a suspended fiber unwinds its stack: suspend() throws
//    weft::forced_unwind inside it, so destructors run. Code that catches
//    everything must rethrow it.
//  - Each fiber has its own C++ exception state (std::current_exception,
//    std::uncaught_exceptions), swapped on every switch.
//  - The floating-point control state (rounding mode, MXCSR/x87/FPCR) is
//    per thread unless fiber_options::preserve_fp_env is set; see
//    docs/architecture.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <source_location>
#include <string_view>
#include <type_traits>
#include <utility>

#include "weft/detail/access.hpp"
#include "weft/stack.hpp"

namespace weft {

enum class fiber_state : unsigned char { created, running, suspended, finished };

std::string_view to_string(fiber_state state) noexcept;

struct fiber_options {
  std::string_view name = {};  // copied; shown in diagnostics
  std::size_t stack_size = 0;  // usable bytes; 0 = default_stack_size(stack)
  stack_mode stack = stack_mode::automatic;
  // Keep this fiber's floating-point control state (rounding mode, MXCSR
  // and x87 control word / FPCR) across its switches, and the resumer's
  // across this fiber's changes. Costs a few ns per switch of this fiber.
  bool preserve_fp_env = false;
};

// Thrown inside a suspended fiber by suspend() while the fiber is destroyed.
// Not derived from std::exception, so `catch (const std::exception&)` lets
// it pass; `catch (...)` must rethrow it.
struct forced_unwind {};

namespace detail {
struct fiber_control;

// How the fiber layer handles a callable it knows only by address.
struct body_ops {
  std::size_t size;
  std::size_t align;
  void (*move_to)(void* from, void* to);  // move-construct at `to`
  void (*invoke)(void* body);
  void (*destroy)(void* body) noexcept;
};

template <class F>
inline constexpr body_ops ops_for{
    sizeof(F),
    alignof(F),
    [](void* from, void* to) { ::new (to) F(std::move(*static_cast<F*>(from))); },
    [](void* body) { (*static_cast<F*>(body))(); },
    [](void* body) noexcept { static_cast<F*>(body)->~F(); },
};

// A fiber of exclusive use: only the code that made it switches it, through
// its own resume and suspend paths; this_fiber::suspend() inside it aborts
// and no hand-over may switch it. Fixed at creation.
struct exclusive_use {
  // Completes the abort message when something else tries to switch it: who
  // owns the fiber and how its body is meant to leave it.
  const char* why;
  // Switched by the inline switch where the build has one
  // (weft/detail/context/context_inline.hpp; have_inline_switch), otherwise, and by
  // default, by weft_context_jump. A context saved by one cannot be resumed
  // by the other, so the choice holds for the fiber's whole life.
  bool inline_switch = false;
};

// `exclusive`: null for an ordinary fiber.
fiber_control* create_fiber(const body_ops& ops, void* body, const fiber_options& options, std::source_location where,
                            const exclusive_use* exclusive = nullptr);

// A fiber that runs one job after another (the loop's task workers) takes
// each job's identity as it starts: a fresh id, the job's name (empty for
// none) and where the job was made. Only while the fiber is suspended.
void relabel_fiber(fiber_control* fiber, std::string_view name, std::source_location where);
void destroy_fiber(fiber_control* fiber) noexcept;
}  // namespace detail

class fiber {
 public:
  fiber() noexcept = default;

  // Makes a fiber that will run body() when first resumed. Nothing runs
  // now. The callable is moved onto the fiber's stack (no heap allocation).
  // Throws std::system_error if no stack can be mapped. `where` is kept for
  // diagnostics (created_at()).
  template <class F>
    requires std::is_invocable_v<std::decay_t<F>&>
  explicit fiber(F&& body, const fiber_options& options = {},
                 std::source_location where = std::source_location::current())
      : fiber(std::forward<F>(body), options, where, nullptr) {}

  fiber(fiber&& other) noexcept : control_(std::exchange(other.control_, nullptr)) {}
  fiber& operator=(fiber&& other) noexcept {
    if (this != &other) {
      if (control_) detail::destroy_fiber(control_);
      control_ = std::exchange(other.control_, nullptr);
    }
    return *this;
  }
  fiber(const fiber&) = delete;
  fiber& operator=(const fiber&) = delete;

  // Unwinds the fiber if it is suspended (see forced_unwind), then frees
  // its stack. Must not be called from inside the fiber itself.
  // The test is inline: most fibers destroyed are moved-from shells.
  ~fiber() {
    if (control_) detail::destroy_fiber(control_);
  }

  // Runs the fiber until it suspends or finishes. If the body ended with an
  // exception, rethrows it here. Precondition: state() is created or
  // suspended, called on the fiber's thread, not from inside this fiber.
  inline void resume();

  inline fiber_state state() const noexcept;
  bool valid() const noexcept { return control_ != nullptr; }
  explicit operator bool() const noexcept { return valid(); }
  bool finished() const noexcept { return state() == fiber_state::finished; }

  std::uint64_t id() const noexcept;
  std::string_view name() const noexcept;
  std::source_location created_at() const noexcept;  // where the fiber was made
  stack_mode stack() const noexcept;                 // guarded (has a guard) or dense (a canary only)
  std::size_t stack_size() const noexcept;           // usable bytes

  // Bytes of stack the fiber has touched so far: an upper bound, counted
  // in resident pages from the top (mincore). A pooled stack keeps the
  // pages an earlier fiber touched. Debug aid; O(stack size).
  std::size_t stack_high_water() const noexcept;

 private:
  friend struct detail::access;  // control_, and the exclusive-use constructor

  // `exclusive`: see detail::exclusive_use; null for an ordinary fiber.
  template <class F>
  fiber(F&& body, const fiber_options& options, std::source_location where, const detail::exclusive_use* exclusive) {
    using body_t = std::decay_t<F>;
    body_t local(std::forward<F>(body));
    control_ = detail::create_fiber(detail::ops_for<body_t>, &local, options, where, exclusive);
  }

  detail::fiber_control* control_ = nullptr;
};

namespace this_fiber {
// Suspends the running fiber; returns when it is resumed. Throws
// forced_unwind if the fiber is being destroyed; invalid_state outside any
// fiber.
inline void suspend();
bool in_fiber() noexcept;
// 0 and "" outside any fiber (on the thread's own stack).
std::uint64_t id() noexcept;
std::string_view name() noexcept;
}  // namespace this_fiber

}  // namespace weft

// The inline switch paths (resume, suspend) and the state they touch.
#include "weft/detail/fiber/fiber_switch.hpp"
