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
//                        g.try_throw_in(e) body's return value,
//                                          g.returned_just_now() says whether
//                                          this end carried it
//   sys.unraisablehook   weft::set_unraisable_hook(h)
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
//    paused yield). What that close raises goes to the unraisable hook
//    (default: one line to stderr); if the body ignored the close, the fiber
//    layer's forced unwind finishes the job.
//
// This header is the contract; the definitions are in
// weft/detail/generator/generator-inl.hpp, included at the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <source_location>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include "weft/error.hpp"
#include "weft/fiber.hpp"
#include "weft/detail/generator/generator_base.hpp"
#include "weft/detail/generator/slots.hpp"

namespace weft {

enum class generator_state : unsigned char { created, running, suspended, closed };

std::string_view to_string(generator_state state) noexcept;

// Python's sys.unraisablehook, for the one place weft cannot raise: the
// destructor of a suspended generator closed it and the close raised
// (generator_ignored_exit if the body yielded again). The hook gets what was
// raised and which generator raised it; it runs on the thread destroying the
// generator, inside its destructor, so it must not throw. `name` is valid
// only during the call.
struct unraisable {
  std::exception_ptr error;
  std::string_view name;  // the generator's name(); empty if it has none
  std::uint64_t id;       // its fiber's id
  std::source_location created_at;
};
using unraisable_hook = void (*)(const unraisable&) noexcept;
// Installs `hook` (nullptr: the default) and returns the one it replaces.
// Any thread may call it; a destructor already reporting uses the old one.
unraisable_hook set_unraisable_hook(unraisable_hook hook) noexcept;
// The default: one line to stderr naming the generator, the exception and
// where the generator was created.
void default_unraisable_hook(const unraisable& report) noexcept;

template <class Y, class S = void, class R = void>
class generator;
template <class Y, class S = void>
class yielder;

namespace detail {

template <class Y, class S, class R, class F>
struct generator_frame;

// A callable that can be a generator<Y, S, R>'s body.
template <class F, class G>
concept generator_body =
    !std::is_same_v<std::remove_cvref_t<F>, G> && std::is_invocable_v<std::decay_t<F>&, typename G::yielder_type&> &&
    (std::is_void_v<typename G::return_type>
         ? std::is_void_v<std::invoke_result_t<std::decay_t<F>&, typename G::yielder_type&>>
         : std::is_convertible_v<std::invoke_result_t<std::decay_t<F>&, typename G::yielder_type&>,
                                 typename G::return_type>);

// A std::optional<S>, as a yield receives it (exactly: anything merely
// convertible goes to send(S)).
template <class O, class S>
concept optional_of = !std::is_void_v<S> && std::is_same_v<std::remove_cvref_t<O>, std::optional<S>>;

}  // namespace detail

// The body's handle on its generator: yield, yield_from. Lives on the
// generator's own stack; valid only inside that body (and the calls it
// makes), for as long as the body runs. Pass it down by reference to yield
// from nested calls; each yield costs the same at any depth. Only the
// generator's own fiber may use it.
template <class Y, class S>
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
    requires(!std::is_void_v<Y>);
  received_type yield(detail::value_or_none<Y>&& value)
    requires(!std::is_void_v<Y>);
  // Python's bare `yield` (yields None): for generators that yield void.
  received_type yield()
    requires std::is_void_v<Y>;

  // PEP 380 `yield from sub`: runs `sub` (started or not) until it ends.
  // Its yields come out of this generator; every next, send, throw_in and
  // close that reaches this generator meanwhile goes to `sub`, except a
  // generator_exit: close() of this generator, or throw_in() of a
  // generator_exit, closes sub and then raises that generator_exit here (or
  // what sub's close raised instead). Evaluates to sub's return value;
  // exceptions from sub propagate.
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
  // The fiber-side half of a switch (see weft/detail/fiber/fiber_switch.hpp).
  void switch_to_resumer();
  received_type park();

  detail::fiber_control* fiber_ = nullptr;
  detail::yield_slot<Y> out_;
  [[no_unique_address]] detail::send_slot<S> in_;
  detail::generator_signal signal_ = detail::generator_signal::none;
  std::exception_ptr raised_;  // with signal_ == raise
  void* generator_ = nullptr;  // the generator<Y, S, R> object; kept current on moves
};

// A generator: the body's fiber and the protocol to drive it. Bound to the
// thread that created it; only that thread may call its members.
template <class Y, class S, class R>
class generator : private detail::generator_base {
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
  // options.name and `where` show in error messages and unraisable reports;
  // a factory function passes its own caller's location through (a
  // defaulted std::source_location parameter) so that they name user code.
  // Throws std::system_error if no stack can be mapped. (Defined here:
  // clang 16 matches no out-of-class definition of this constrained
  // constructor.)
  template <class F>
    requires detail::generator_body<F, generator>
  explicit generator(F&& body, const fiber_options& options = {},
                     std::source_location where = std::source_location::current()) {
    using frame_type = detail::generator_frame<Y, S, R, std::decay_t<F>>;
    fiber_ = detail::access::make<fiber>(frame_type(std::forward<F>(body)), options, where, &detail::generator_use);
    auto* frame = static_cast<frame_type*>(detail::access::control(fiber_)->body);
    port_ = &frame->port;
    port_->fiber_ = detail::access::control(fiber_);
    port_->generator_ = this;
  }

  generator(generator&& other) noexcept(
      std::is_nothrow_move_constructible_v<std::conditional_t<std::is_void_v<R>, bool, std::optional<R>>>);
  generator& operator=(generator&& other) noexcept(
      std::is_nothrow_move_assignable_v<std::conditional_t<std::is_void_v<R>, bool, std::optional<R>>>);
  generator(const generator&) = delete;
  generator& operator=(const generator&) = delete;

  // Closes a suspended generator (see close()), then frees its stack. Must
  // not run while the body is running (the fiber layer aborts).
  ~generator();

  // Python's next(g): runs the body to its next yield and returns the value.
  // At the end throws stop_iteration (the first time after a `return v`:
  // stop_iteration_with<R> holding v); an exception from the body comes out
  // instead, once. Throws generator_already_executing if the body is running.
  Y next();

  // Python's g.send(v): resumes the paused yield with v as its value. Before
  // the first next() it throws generator_not_started and leaves the
  // generator as it was. Otherwise as next().
  Y send(detail::value_or_none<S> value)
    requires(!std::is_void_v<S>);
  // Python's g.send(None): the same as next().
  Y send(std::nullopt_t);
  // What a yield evaluates to, sent on: empty is next(), a value is send(v).
  template <class O>
    requires detail::optional_of<O, S>
  Y send(O&& value);

  // Python's g.throw(e): raises `e` at the paused yield. If the body catches
  // it and yields, returns that value; if the body returns, throws
  // stop_iteration; if `e` (or another exception) escapes, it comes out here
  // and the generator is closed. On a created generator the body never runs:
  // `e` comes out and the generator is closed; on a closed one `e` comes
  // out. Throws std::invalid_argument for a null exception_ptr.
  Y throw_in(std::exception_ptr e);
  template <class E>
    requires(!std::is_same_v<std::remove_cvref_t<E>, std::exception_ptr>)
  Y throw_in(E&& e);

  // The exception-free forms: as next(), send(), throw_in(), but exhaustion
  // is an empty result (false for Yield = void), every time; the body's
  // return value stays in return_value(), and returned_just_now() says
  // whether this exhaustion is the one that came with it (the report is
  // then consumed, as by Python's next(g, default): a later next() throws
  // a plain stop_iteration). Exceptions from the body, and the protocol
  // errors, still throw.
  try_result try_next();
  try_result try_send(detail::value_or_none<S> value)
    requires(!std::is_void_v<S>);
  try_result try_send(std::nullopt_t);
  template <class O>
    requires detail::optional_of<O, S>
  try_result try_send(O&& value);
  try_result try_throw_in(std::exception_ptr e);
  template <class E>
    requires(!std::is_same_v<std::remove_cvref_t<E>, std::exception_ptr>)
  try_result try_throw_in(E&& e);

  // Python's g.close(): raises generator_exit at the paused yield and runs
  // the body until it ends, so destructors and rethrowing handlers run. If
  // the body yields instead, throws generator_ignored_exit (the generator
  // stays suspended). Another exception from the body comes out here. A
  // created generator is closed without running; a closed one is left
  // alone. A `return v` during the close is kept in return_value() but not
  // reported: later operations throw a plain stop_iteration.
  void close();

  // Python's inspect.getgeneratorstate().
  generator_state state() const noexcept;

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

  // After an operation reported exhaustion: true if it is the first report
  // since the body returned a value (Python: its StopIteration carried
  // .value), false if the generator was already finished (or ended without
  // a value).
  bool returned_just_now() const noexcept { return return_ == return_status::reported_now; }

  std::string_view name() const noexcept { return fiber_.name(); }
  // Where the generator was made (the constructor's `where`).
  std::source_location created_at() const noexcept { return fiber_.created_at(); }
  bool valid() const noexcept { return fiber_.valid(); }
  // Debug aid: bytes of stack the body has touched (see fiber).
  std::size_t stack_high_water() const noexcept { return fiber_.stack_high_water(); }

  // Range-for: each step is a next(); the end is exhaustion. An input range
  // usable with standard algorithms (std:: and std::ranges).
  iterator begin()
    requires(!std::is_void_v<Y>);
  iterator end() noexcept
    requires(!std::is_void_v<Y>);

 private:
  template <class, class>
  friend class yielder;
  template <class, class, class, class>
  friend struct detail::generator_frame;
  using result_storage = std::conditional_t<std::is_void_v<R>, bool, std::optional<R>>;

  // Resumes the body; true if it yielded, false if it ended (its frame is
  // gone: the port with it). Precondition: startable(f), port_ set up.
  bool run(detail::fiber_control* f);
  // The value the body yielded last. Precondition: suspended.
  Y take();
  try_result take_as_result();
  // Resumes for an iterator step: true if the body yielded.
  bool advance();
  // Resumes a suspended body with *sent as the yield's value, for a
  // delegating yield_from; true if it yielded. A closed one is exhausted.
  bool advance_sending(detail::value_or_none<S>* sent);
  // Hands `e` to the body as throw_in() does; true if the body yielded.
  bool inject(detail::fiber_control* f, std::exception_ptr e);
  // The end, reported by throwing: the body's exception or a
  // stop_iteration, carrying the return value the first time.
  [[noreturn, gnu::noinline, gnu::cold]] void report_end(const detail::fiber_control* f, detail::generator_op op);
  // Close if suspended (reporting what cannot be thrown from a destructor),
  // then let the fiber layer unwind whatever is left and free the stack.
  void dispose() noexcept;

  yielder_type* port_ = nullptr;  // in the body's frame; null once the body ended
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
  reference operator*() const;
  iterator& operator++();
  void operator++(int) { ++*this; }

  friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.gen_ == b.gen_; }
  friend bool operator==(const iterator& a, std::default_sentinel_t) noexcept { return a.gen_ == nullptr; }

 private:
  friend class generator;
  generator* gen_ = nullptr;  // null: the end
};

}  // namespace weft

#include "weft/detail/generator/generator-inl.hpp"
