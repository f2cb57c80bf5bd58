// Generators: Python's generator protocol on weft fibers.
//
//   weft::generator<Yield, Send = void, Return = void>
//
// The body is an ordinary callable taking a weft::yielder<Yield, Send>&. It
// runs on a fiber of its own, so it may yield from any depth of ordinary
// calls that were handed the yielder. Python construct by construct
// (docs/generators.md has the full table and the error cases):
//
//   g = gen()            weft::generator<int> g(body);   runs nothing
//   x = yield v          auto x = y.yield(v);  // std::optional<Send>
//   r = yield from sub   auto r = y.yield_from(sub);
//   next(g)              g.next()          at the end: throws weft::stop_iteration
//   g.send(v)            g.send(v)         (stop_iteration_with<R> carries a
//                                          returned value, like StopIteration)
//   g.throw(e)           g.throw_in(e)
//   g.close()            g.close()
//   for x in g           for (int x : g)
//   getgeneratorstate(g) g.state()
//   next(g, default)     g.try_next()      std::optional: empty at the end;
//                        g.try_send(v)     g.return_value() holds the
//                        g.try_throw_in(e) body's return value
//
// Invariants
//  - A generator owns one fiber (its stack holds the body and the yielder)
//    and is bound, like the fiber, to the thread that created it.
//  - State is the fiber's: created, running (the body is on the call stack,
//    possibly below other fibers it resumed), suspended at a yield, or closed
//    (returned, raised, or closed). Only created and suspended generators
//    can be resumed; a running one refuses every operation with
//    generator_already_executing.
//  - The body leaves its fiber only through its own yielder.
//    this_fiber::suspend() called in the body itself, or a yielder used from
//    any other fiber or thread, aborts with a message.
//  - Where the build has it (x86-64, WEFT_CONTEXT=asm), a generator's fiber
//    is switched by the inline switch (weft/detail/context/context_inline.hpp),
//    which saves only what is live across a yield.
//  - A yielded value lives on the generator's stack (or, for small trivially
//    copyable types, in the yielder) until the body is resumed; next() moves
//    it out, iterators hand out Y&& to it.
//  - An exception escaping the body reaches the caller of the operation that
//    resumed it, once, with its type intact; the generator is then closed.
//  - Destroying a suspended generator closes it (generator_exit at the
//    paused yield). If the body ignores that, one line goes to stderr and the
//    fiber layer's forced unwind finishes the job.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <iterator>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "weft/fiber.hpp"

namespace weft {

enum class generator_state : unsigned char { created, running, suspended, closed };

std::string_view to_string(generator_state state) noexcept;

// Python's StopIteration: the generator is exhausted. Thrown by next(),
// send() and throw_in(); the try_ forms report exhaustion with an empty
// optional instead.
class stop_iteration : public std::exception {
 public:
  const char* what() const noexcept override;
};

// The first stop_iteration after the body returned a value carries it, as
// StopIteration.value does; later ones are plain stop_iteration (as in
// Python, where they carry None). generator::return_value() keeps it.
template <class R>
class stop_iteration_with : public stop_iteration {
 public:
  explicit stop_iteration_with(R v) : value(std::move(v)) {}
  R value;
};

// Python's GeneratorExit: raised at the paused yield by close() and by the
// destructor of a suspended generator. Like Python's (a BaseException, not
// an Exception), it is not a std::exception, so `catch (const
// std::exception&)` lets it pass; a `catch (...)` must rethrow it or the
// generator "ignores" the close.
struct generator_exit {
  const char* what() const noexcept { return "generator_exit"; }
};

// Python's TypeError "can't send non-None value to a just-started
// generator": send(v) before the first next(). The generator is untouched.
class generator_not_started : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Python's ValueError "generator already executing": an operation on a
// generator whose body is running (it called into itself, directly or
// through other generators or fibers).
class generator_already_executing : public std::logic_error {
 public:
  using std::logic_error::logic_error;
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

template <class Y, class S = void, class R = void>
class generator;

namespace detail {

// What the resumer asks of a body paused at a yield, besides a value.
enum class generator_signal : unsigned char {
  none,
  raise,   // throw_in(): rethrow yielder::raised_ at the yield
  exit,    // close(): throw generator_exit at the yield
  unwind,  // the generator is being destroyed: forced_unwind (sticky)
};

// Where a yielded value waits for the resumer. Small trivially copyable
// values are copied into the slot (one store, one load); anything else
// stays in the body's frame and the slot points at it.
template <class Y>
inline constexpr bool yield_by_value = false;
template <class Y>
  requires(std::is_trivially_copyable_v<Y> && sizeof(Y) <= sizeof(void*))
inline constexpr bool yield_by_value<Y> = true;

template <class Y, bool = std::is_void_v<Y>, bool = yield_by_value<Y>>
struct yield_slot {  // by address
  Y* object = nullptr;
  void hold(Y& v) noexcept { object = std::addressof(v); }
  Y& get() noexcept { return *object; }
};
template <class Y>
struct yield_slot<Y, false, true> {  // by value
  union {
    unsigned char none;
    Y value;
  };
  yield_slot() noexcept : none(0) {}
  void put(const Y& v) noexcept { ::new (std::addressof(value)) Y(v); }
  Y& get() noexcept { return value; }
};
template <class Y, bool B>
struct yield_slot<Y, true, B> {};

// Stands in for a void Yield or Send in member signatures that are
// constrained away for it.
struct no_value {
  explicit no_value() = default;
};
template <class T>
using value_or_none = std::conditional_t<std::is_void_v<T>, no_value, T>;

// Where a sent value waits for the body: the send() argument, by address.
template <class S>
struct send_slot {
  S* value = nullptr;
};
template <>
struct send_slot<void> {};

// Cold paths, out of line (src/generator/generator.cpp).
[[noreturn]] void throw_already_executing(const fiber_control& f);
[[noreturn]] void throw_not_started(const fiber_control& f);
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
// PEP 479: the exception to report for a stop_iteration that escaped the
// body of `f`. Call from inside the catch block.
std::exception_ptr stop_iteration_escaped(const fiber_control& f);
// The destructor could not close `f` cleanly; one line to stderr.
void report_close_failure(const fiber_control& f, std::exception_ptr error) noexcept;
std::string generator_label(const fiber_control& f);

template <class Y, class S, class R, class F>
struct generator_frame;

// A generator's fiber is of exclusive use: only next/send/throw_in/close
// resume it and only its yielder suspends it, by the inline switch where
// the build has one (weft/detail/context/context_inline.hpp).
inline constexpr exclusive_use generator_use{
    "a generator's body leaves its fiber only through its yielder", true};

inline bool startable(const fiber_control* f) noexcept {
  return f->state == fiber_state::created || f->state == fiber_state::suspended;
}

}  // namespace detail

// The body's handle on its generator: yield, yield_from. Lives on the
// generator's own stack; valid only inside that body (and the calls it
// makes), for as long as the body runs. Pass it down by reference to yield
// from nested calls; each yield costs the same at any depth.
template <class Y, class S = void>
class yielder {
 public:
  using yield_type = Y;
  using send_type = S;
  // What a yield evaluates to: the value passed to send(), or empty when
  // resumed by next() (Python's None).
  using received_type = std::conditional_t<std::is_void_v<S>, void, std::optional<S>>;

  yielder(const yielder&) = delete;
  yielder& operator=(const yielder&) = delete;

  // Hands `value` to whoever resumed the generator and pauses until it is
  // resumed again. Throws what throw_in() gave, generator_exit from close(),
  // or forced_unwind while the generator is destroyed.
  received_type yield(const detail::value_or_none<Y>& value)
    requires(!std::is_void_v<Y>)
  {
    if constexpr (detail::yield_by_value<Y>) {
      out_.put(value);
      return park();
    } else {
      Y copy(value);
      out_.hold(copy);
      return park();
    }
  }
  received_type yield(detail::value_or_none<Y>&& value)
    requires(!std::is_void_v<Y>)
  {
    if constexpr (detail::yield_by_value<Y>)
      out_.put(value);
    else
      out_.hold(value);
    return park();
  }
  // Python's bare `yield` (yields None): for generators that yield void.
  received_type yield()
    requires std::is_void_v<Y>
  {
    return park();
  }

  // PEP 380 `yield from sub`: runs `sub` (started or not) until it ends.
  // Its yields come out of this generator; every next, send, throw_in and
  // close that reaches this generator meanwhile goes to `sub`. Evaluates to
  // sub's return value; exceptions from sub propagate. A close() of this
  // generator closes sub, then raises generator_exit here.
  template <class R>
  R yield_from(generator<Y, S, R>& sub);
  // Takes ownership: `sub` is destroyed (closed if need be) afterwards.
  template <class R>
  R yield_from(generator<Y, S, R>&& sub);

  std::string_view name() const noexcept { return fiber_->name; }

 private:
  template <class, class, class>
  friend class generator;
  template <class, class, class, class>
  friend struct detail::generator_frame;

  yielder() noexcept = default;

  template <class R>
  void delegate(generator<Y, S, R>& sub);

  // The fiber-side half of a switch. Inline so that the switch is made
  // from the body's own frame (see weft/detail/fiber/fiber_switch.hpp).
  void switch_to_resumer() {
    detail::fiber_control* f = fiber_;
    if (detail::this_thread.current != f) [[unlikely]]
      detail::yield_outside_body(f);
    detail::check_canary(*f);
    f->state = fiber_state::suspended;
    detail::switch_out<detail::have_inline_switch>(f);
  }

  received_type park() {
    switch_to_resumer();
    if (signal_ != detail::generator_signal::none) [[unlikely]]
      detail::raise_signal(signal_, raised_);
    if constexpr (!std::is_void_v<S>) {
      S* sent = in_.value;
      if (sent == nullptr) return std::nullopt;
      in_.value = nullptr;
      return std::optional<S>(std::move(*sent));
    }
  }

  detail::fiber_control* fiber_ = nullptr;
  detail::yield_slot<Y> out_;
  [[no_unique_address]] detail::send_slot<S> in_;
  detail::generator_signal signal_ = detail::generator_signal::none;
  std::exception_ptr raised_;  // with signal_ == raise
  void* generator_ = nullptr;  // the generator<Y, S, R> object; kept current on moves
};

template <class Y, class S, class R>
class generator {
  static_assert(std::is_void_v<Y> || (std::is_object_v<Y> && !std::is_const_v<Y> && !std::is_array_v<Y>),
                "weft::generator: Yield must be void or a non-const object type");
  static_assert(std::is_void_v<S> || (std::is_object_v<S> && !std::is_const_v<S> && !std::is_array_v<S>),
                "weft::generator: Send must be void or a non-const object type");
  static_assert(std::is_void_v<R> || (std::is_object_v<R> && !std::is_array_v<R>),
                "weft::generator: Return must be void or an object type");

 public:
  using yield_type = Y;
  using send_type = S;
  using return_type = R;
  using yielder_type = yielder<Y, S>;
  // What the try_ forms return: the yielded value, or empty when exhausted
  // (for Yield = void: true if the body yielded).
  using try_result = std::conditional_t<std::is_void_v<Y>, bool, std::optional<Y>>;

  class iterator;

  // Empty: state() is closed; no other operation is allowed.
  generator() noexcept = default;

  // Makes a generator that will run body(yielder&) when first resumed;
  // nothing runs now. The body is moved onto the generator's stack. Its
  // result converts to Return (it returns void when Return is void).
  // options.name and `where` show in error messages. Throws
  // std::system_error if no stack can be mapped.
  template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, generator> && std::is_invocable_v<std::decay_t<F>&, yielder_type&> &&
             (std::is_void_v<R> ? std::is_void_v<std::invoke_result_t<std::decay_t<F>&, yielder_type&>>
                                : std::is_convertible_v<std::invoke_result_t<std::decay_t<F>&, yielder_type&>, R>))
  explicit generator(F&& body, const fiber_options& options = {},
                     std::source_location where = std::source_location::current())
      : fiber_(detail::access::make<fiber>(detail::generator_frame<Y, S, R, std::decay_t<F>>(std::forward<F>(body)),
                                           options, where, &detail::generator_use)) {
    auto* frame = static_cast<detail::generator_frame<Y, S, R, std::decay_t<F>>*>(detail::access::control(fiber_)->body);
    port_ = &frame->port;
    port_->fiber_ = detail::access::control(fiber_);
    port_->generator_ = this;
  }

  generator(generator&& other) noexcept(std::is_nothrow_move_constructible_v<result_storage>)
      : fiber_(std::move(other.fiber_)),
        port_(std::exchange(other.port_, nullptr)),
        error_(std::move(other.error_)),
        error_is_exit_(other.error_is_exit_),
        return_reported_(other.return_reported_),
        result_(std::move(other.result_)) {
    if (port_ != nullptr) port_->generator_ = this;
  }
  generator& operator=(generator&& other) noexcept(std::is_nothrow_move_assignable_v<result_storage>) {
    if (this != &other) {
      dispose();
      fiber_ = std::move(other.fiber_);
      port_ = std::exchange(other.port_, nullptr);
      error_ = std::move(other.error_);
      error_is_exit_ = other.error_is_exit_;
      return_reported_ = other.return_reported_;
      result_ = std::move(other.result_);
      if (port_ != nullptr) port_->generator_ = this;
    }
    return *this;
  }
  generator(const generator&) = delete;
  generator& operator=(const generator&) = delete;

  // Closes a suspended generator (see close()), then frees its stack. Must
  // not run while the body is running (the fiber layer aborts).
  ~generator() { dispose(); }

  // Python's next(g): runs the body to its next yield and returns the value.
  // At the end throws stop_iteration (the first time after a `return v`:
  // stop_iteration_with<R> holding v); an exception from the body comes out
  // instead, once. Throws generator_already_executing if the body is running.
  Y next() {
    detail::fiber_control* f = detail::access::control(fiber_);
    if (!detail::startable(f)) [[unlikely]]
      refuse(f);
    if (!run(f)) [[unlikely]]
      report_end();
    return take();
  }

  // Python's g.send(v): resumes the paused yield with v as its value. Before
  // the first next() it throws generator_not_started and leaves the
  // generator as it was. Otherwise as next().
  Y send(detail::value_or_none<S> value)
    requires(!std::is_void_v<S>)
  {
    detail::fiber_control* f = detail::access::control(fiber_);
    if (f->state != fiber_state::suspended) [[unlikely]]
      refuse_send(f);
    port_->in_.value = std::addressof(value);
    if (!run(f)) [[unlikely]]
      report_end();
    return take();
  }
  // Python's g.send(None): the same as next().
  Y send(std::nullopt_t) { return next(); }

  // Python's g.throw(e): raises `e` at the paused yield. If the body catches
  // it and yields, returns that value; if the body returns, throws
  // stop_iteration; if `e` (or another exception) escapes, it comes out here
  // and the generator is closed. On a created generator the body never runs:
  // `e` comes out and the generator is closed; on a closed one `e` comes
  // out. Throws std::invalid_argument for a null exception_ptr.
  Y throw_in(std::exception_ptr e) {
    if (!inject(detail::access::control(fiber_), std::move(e))) report_end();
    return take();
  }
  template <class E>
    requires(!std::is_same_v<std::remove_cvref_t<E>, std::exception_ptr>)
  Y throw_in(E&& e) {
    return throw_in(std::make_exception_ptr(std::forward<E>(e)));
  }

  // The exception-free forms: as next(), send(), throw_in(), but exhaustion
  // is an empty result (false for Yield = void), every time; the body's
  // return value stays in return_value(). Exceptions from the body, and the
  // protocol errors, still throw.
  try_result try_next() {
    detail::fiber_control* f = detail::access::control(fiber_);
    if (!detail::startable(f)) [[unlikely]]
      return refuse_try(f);
    if (!run(f)) [[unlikely]]
      return end_try();
    return take_as_result();
  }
  try_result try_send(detail::value_or_none<S> value)
    requires(!std::is_void_v<S>)
  {
    detail::fiber_control* f = detail::access::control(fiber_);
    if (f->state != fiber_state::suspended) [[unlikely]] {
      if (f->state == fiber_state::finished) return end_try();
      refuse_send(f);
    }
    port_->in_.value = std::addressof(value);
    if (!run(f)) [[unlikely]]
      return end_try();
    return take_as_result();
  }
  try_result try_send(std::nullopt_t) { return try_next(); }
  try_result try_throw_in(std::exception_ptr e) {
    if (!inject(detail::access::control(fiber_), std::move(e))) return end_try();
    return take_as_result();
  }
  template <class E>
    requires(!std::is_same_v<std::remove_cvref_t<E>, std::exception_ptr>)
  try_result try_throw_in(E&& e) {
    return try_throw_in(std::make_exception_ptr(std::forward<E>(e)));
  }

  // Python's g.close(): raises generator_exit at the paused yield and runs
  // the body until it ends, so destructors and rethrowing handlers run. If
  // the body yields instead, throws generator_ignored_exit (the generator
  // stays suspended). Another exception from the body comes out here. A
  // created generator is closed without running; a closed one is left
  // alone. A `return v` during the close is kept in return_value().
  void close() {
    detail::fiber_control* f = detail::access::control(fiber_);
    if (f == nullptr || f->state == fiber_state::finished) return;
    if (f->state == fiber_state::running) detail::throw_already_executing(*f);
    port_->signal_ = detail::generator_signal::exit;
    if (run(f)) {
      port_->signal_ = detail::generator_signal::none;
      detail::throw_ignored_exit(*f);
    }
    if (error_is_exit_) {
      error_ = nullptr;
      error_is_exit_ = false;
    }
    rethrow_error();
  }

  // Python's inspect.getgeneratorstate().
  generator_state state() const noexcept {
    const detail::fiber_control* f = detail::access::control(fiber_);
    if (f == nullptr) return generator_state::closed;
    switch (f->state) {
      case fiber_state::created: return generator_state::created;
      case fiber_state::running: return generator_state::running;
      case fiber_state::suspended: return generator_state::suspended;
      case fiber_state::finished: break;
    }
    return generator_state::closed;
  }

  // The body's return value (StopIteration.value), once it has returned;
  // empty while it runs and when it ended by an exception or by close()
  // without returning.
  const auto& return_value() const& noexcept
    requires(!std::is_void_v<R>)
  {
    return result_;
  }
  auto& return_value() & noexcept
    requires(!std::is_void_v<R>)
  {
    return result_;
  }

  std::string_view name() const noexcept { return fiber_.name(); }
  bool valid() const noexcept { return fiber_.valid(); }
  // Debug aid: bytes of stack the body has touched (see fiber).
  std::size_t stack_high_water() const noexcept { return fiber_.stack_high_water(); }

  // Range-for: each step is a next(); the end is exhaustion. An input range
  // usable with standard algorithms (std:: and std::ranges).
  iterator begin()
    requires(!std::is_void_v<Y>)
  {
    iterator it;
    if (advance()) it.gen_ = this;
    return it;
  }
  iterator end() noexcept
    requires(!std::is_void_v<Y>)
  {
    return iterator{};
  }

 private:
  template <class, class>
  friend class yielder;
  template <class, class, class, class>
  friend struct detail::generator_frame;
  using result_storage = std::conditional_t<std::is_void_v<R>, bool, std::optional<R>>;

  // Resumes the body; true if it yielded, false if it ended (its frame is
  // gone: the port with it). Precondition: startable(f), port_ set up.
  bool run(detail::fiber_control* f) {
    detail::resume_control<detail::have_inline_switch>(f);
    if (f->state == fiber_state::suspended) [[likely]]
      return true;
    port_ = nullptr;
    return false;
  }

  // The value the body yielded last. Precondition: suspended.
  Y take() {
    if constexpr (!std::is_void_v<Y>) return Y(std::move(port_->out_.get()));
  }
  try_result take_as_result() {
    if constexpr (std::is_void_v<Y>)
      return true;
    else
      return try_result(std::in_place, std::move(port_->out_.get()));
  }

  // Resumes for an iterator step: true if the body yielded.
  bool advance() {
    detail::fiber_control* f = detail::access::control(fiber_);
    if (!detail::startable(f)) [[unlikely]]
      return refuse_advance(f);
    if (!run(f)) [[unlikely]]
      return end_advance();
    return true;
  }

  // Resumes a suspended body with *sent as the yield's value, for a
  // delegating yield_from; true if it yielded. A closed one is exhausted.
  bool advance_sending(detail::value_or_none<S>* sent) {
    detail::fiber_control* f = detail::access::control(fiber_);
    if (f->state != fiber_state::suspended) [[unlikely]] {
      if (f->state == fiber_state::finished) return end_advance();
      refuse_send(f);
    }
    if constexpr (!std::is_void_v<S>) port_->in_.value = sent;
    if (!run(f)) [[unlikely]]
      return end_advance();
    return true;
  }

  // Hands `e` to the body as throw_in() does; true if the body yielded.
  bool inject(detail::fiber_control* f, std::exception_ptr e) {
    if (!e) detail::throw_no_exception(*f);
    if (f->state == fiber_state::running) detail::throw_already_executing(*f);
    if (f->state == fiber_state::finished) std::rethrow_exception(std::move(e));
    port_->signal_ = detail::generator_signal::raise;
    port_->raised_ = std::move(e);
    if (run(f)) return true;
    rethrow_error();
    return false;
  }

  // Reports the body's exception, once.
  void rethrow_error() {
    if (!error_) return;
    error_is_exit_ = false;
    std::rethrow_exception(std::exchange(error_, nullptr));
  }

  // --- cold paths; the hot ones above stay small enough to inline ---

  // The body ended: the exception it raised, or stop_iteration.
  [[noreturn, gnu::noinline, gnu::cold]] void report_end() {
    rethrow_error();
    if constexpr (!std::is_void_v<R>) {
      if (result_ && !return_reported_) {
        return_reported_ = true;
        if constexpr (std::is_copy_constructible_v<R>) {
          throw stop_iteration_with<R>(*result_);
        } else {
          // A move-only value can be delivered once: here.
          R value = std::move(*result_);
          result_.reset();
          throw stop_iteration_with<R>(std::move(value));
        }
      }
    }
    detail::throw_stop_iteration();
  }

  [[noreturn, gnu::noinline, gnu::cold]] void refuse(const detail::fiber_control* f) {
    if (f->state == fiber_state::running) detail::throw_already_executing(*f);
    report_end();
  }

  [[noreturn, gnu::noinline, gnu::cold]] void refuse_send(const detail::fiber_control* f) {
    if (f->state == fiber_state::created) detail::throw_not_started(*f);
    refuse(f);
  }

  [[gnu::noinline, gnu::cold]] try_result end_try() {
    rethrow_error();
    return try_result{};
  }

  [[gnu::noinline, gnu::cold]] try_result refuse_try(const detail::fiber_control* f) {
    if (f->state == fiber_state::running) detail::throw_already_executing(*f);
    return end_try();
  }

  [[gnu::noinline, gnu::cold]] bool end_advance() {
    rethrow_error();
    return false;
  }

  [[gnu::noinline, gnu::cold]] bool refuse_advance(const detail::fiber_control* f) {
    if (f->state == fiber_state::running) detail::throw_already_executing(*f);
    return end_advance();
  }

  // Close if suspended (reporting what cannot be thrown from a destructor),
  // then let the fiber layer unwind whatever is left and free the stack.
  void dispose() noexcept {
    detail::fiber_control* f = detail::access::control(fiber_);
    if (f == nullptr) return;
    if (f->state == fiber_state::suspended) {
      try {
        close();
      } catch (...) {
        detail::report_close_failure(*f, std::current_exception());
      }
      if (f->state == fiber_state::suspended) port_->signal_ = detail::generator_signal::unwind;
    }
    fiber_ = fiber{};
    port_ = nullptr;
  }

  fiber fiber_;
  yielder_type* port_ = nullptr;  // in the body's frame; null once the body ended
  std::exception_ptr error_;      // escaped the body, until reported
  bool error_is_exit_ = false;    // error_ is a generator_exit (close() swallows it)
  bool return_reported_ = false;  // a stop_iteration_with has carried result_
  [[no_unique_address]] result_storage result_{};
};

// An input iterator over the values a generator yields; each ++ is a
// next(). All iterators of one generator share its position.
template <class Y, class S, class R>
class generator<Y, S, R>::iterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using iterator_concept = std::input_iterator_tag;
  using value_type = std::remove_cv_t<Y>;
  using difference_type = std::ptrdiff_t;
  using reference = Y&&;
  using pointer = void;

  iterator() noexcept = default;

  // The value yielded last; valid until the next step.
  reference operator*() const { return std::move(gen_->port_->out_.get()); }
  iterator& operator++() {
    if (!gen_->advance()) gen_ = nullptr;
    return *this;
  }
  void operator++(int) { ++*this; }

  friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.gen_ == b.gen_; }
  friend bool operator==(const iterator& a, std::default_sentinel_t) noexcept { return a.gen_ == nullptr; }

 private:
  friend class generator;
  generator* gen_ = nullptr;  // null: the end
};

namespace detail {

// The fiber's callable: the user's body and, beside it, the yielder. Both
// sit at the top of the generator's stack and die when the body ends.
template <class Y, class S, class R, class F>
struct generator_frame {
  F body;
  yielder<Y, S> port;

  explicit generator_frame(F&& f) : body(std::move(f)) {}
  explicit generator_frame(const F& f) : body(f) {}
  // The fiber layer moves the frame once, onto the stack, before anything
  // refers to the port; the port starts fresh there.
  generator_frame(generator_frame&& other) : body(std::move(other.body)) {}

  generator<Y, S, R>& gen() noexcept { return *static_cast<generator<Y, S, R>*>(port.generator_); }

  void operator()() {
    if (port.signal_ != generator_signal::none) [[unlikely]] {
      // close() or throw_in() before the first next(): the body never runs.
      if (port.signal_ == generator_signal::raise) gen().error_ = std::exchange(port.raised_, nullptr);
      port.signal_ = generator_signal::none;
      return;
    }
    try {
      if constexpr (std::is_void_v<R>) {
        std::invoke(body, port);
      } else {
        R value = std::invoke(body, port);
        gen().result_.emplace(std::move(value));
      }
    } catch (const forced_unwind&) {
      throw;  // the fiber layer's, while the generator is destroyed
    } catch (const generator_exit&) {
      gen().error_ = std::current_exception();
      gen().error_is_exit_ = true;
    } catch (const stop_iteration&) {
      gen().error_ = stop_iteration_escaped(*port.fiber_);
    } catch (...) {
      gen().error_ = std::current_exception();
    }
  }
};

}  // namespace detail

template <class Y, class S>
template <class R>
void yielder<Y, S>::delegate(generator<Y, S, R>& sub) {
  using detail::generator_signal;
  bool yielded = sub.advance();
  while (yielded) {
    // Sub's value goes out as ours: by address, or the small value itself.
    if constexpr (!std::is_void_v<Y>) out_ = sub.port_->out_;
    switch_to_resumer();
    switch (std::exchange(signal_, generator_signal::none)) {
      case generator_signal::none:
        if constexpr (!std::is_void_v<S>) {
          if (S* sent = std::exchange(in_.value, nullptr)) {
            yielded = sub.advance_sending(sent);
            break;
          }
        }
        yielded = sub.advance();
        break;
      case generator_signal::raise:
        yielded = sub.inject(detail::access::control(sub.fiber_), std::exchange(raised_, nullptr));
        break;
      case generator_signal::exit:
        // PEP 380: close the delegate (its errors propagate), then raise
        // GeneratorExit here.
        sub.close();
        throw generator_exit{};
      case generator_signal::unwind:
        signal_ = generator_signal::unwind;  // sticky
        detail::raise_signal(signal_, raised_);
        yielded = sub.advance();
        break;
    }
  }
}

template <class Y, class S>
template <class R>
R yielder<Y, S>::yield_from(generator<Y, S, R>& sub) {
  delegate(sub);
  if constexpr (!std::is_void_v<R>) {
    if (!sub.result_) detail::throw_no_return_value(*fiber_);
    return *sub.result_;
  }
}

template <class Y, class S>
template <class R>
R yielder<Y, S>::yield_from(generator<Y, S, R>&& sub) {
  generator<Y, S, R> owned(std::move(sub));
  delegate(owned);
  if constexpr (!std::is_void_v<R>) {
    if (!owned.result_) detail::throw_no_return_value(*fiber_);
    return std::move(*owned.result_);
  }
}

}  // namespace weft
