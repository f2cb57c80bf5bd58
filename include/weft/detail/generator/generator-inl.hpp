// The definitions behind weft/generator.hpp: the yielder's switch, the
// generator's operations, the body's frame and yield_from's delegation.
// Included at the end of weft/generator.hpp only. The hot members are
// marked inline so that the compiler weighs them as it would members
// defined in the class; the cold ones live in detail::generator_base.
#pragma once

#include <functional>
#include <utility>

namespace weft {

// --- yielder -----------------------------------------------------------------

template <class Y, class S>
inline auto yielder<Y, S>::yield(const detail::value_or_none<Y>& value) -> received_type
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

template <class Y, class S>
inline auto yielder<Y, S>::yield(detail::value_or_none<Y>&& value) -> received_type
  requires(!std::is_void_v<Y>)
{
  if constexpr (detail::yield_by_value<Y>) out_.put(value);
  else out_.hold(value);
  return park();
}

template <class Y, class S>
inline auto yielder<Y, S>::yield() -> received_type
  requires std::is_void_v<Y>
{
  return park();
}

// Inline so that the switch is made from the body's own frame.
template <class Y, class S>
inline void yielder<Y, S>::switch_to_resumer() {
  detail::fiber_control* f = fiber_;
  if (detail::this_thread.current != f) [[unlikely]]
    detail::yield_outside_body(f);
  detail::check_canary(*f);
  f->state = fiber_state::suspended;
  detail::switch_out<detail::have_inline_switch>(f);
}

template <class Y, class S>
inline auto yielder<Y, S>::park() -> received_type {
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

// --- generator: making, moving, destroying ---------------------------------

template <class Y, class S, class R>
generator<Y, S, R>::generator(generator&& other) noexcept(
    std::is_nothrow_move_constructible_v<std::conditional_t<std::is_void_v<R>, bool, std::optional<R>>>)
    : generator_base(std::move(other)), port_(std::exchange(other.port_, nullptr)), result_(std::move(other.result_)) {
  if (port_ != nullptr) port_->generator_ = this;
}

template <class Y, class S, class R>
generator<Y, S, R>& generator<Y, S, R>::operator=(generator&& other) noexcept(
    std::is_nothrow_move_assignable_v<std::conditional_t<std::is_void_v<R>, bool, std::optional<R>>>) {
  if (this != &other) {
    dispose();
    generator_base::operator=(std::move(other));
    port_ = std::exchange(other.port_, nullptr);
    result_ = std::move(other.result_);
    if (port_ != nullptr) port_->generator_ = this;
  }
  return *this;
}

template <class Y, class S, class R>
generator<Y, S, R>::~generator() {
  dispose();
}

template <class Y, class S, class R>
void generator<Y, S, R>::dispose() noexcept {
  detail::fiber_control* f = detail::access::control(fiber_);
  if (f == nullptr) return;
  if (f->state == fiber_state::suspended) {
    try {
      close();
    } catch (...) {
      report_unraisable(*f, std::current_exception());
    }
    if (f->state == fiber_state::suspended) port_->signal_ = detail::generator_signal::unwind;
  }
  fiber_ = fiber{};
  port_ = nullptr;
}

// --- generator: the protocol -------------------------------------------------

template <class Y, class S, class R>
inline Y generator<Y, S, R>::next() {
  detail::fiber_control* f = detail::access::control(fiber_);
  if (!detail::startable(f)) [[unlikely]]
    report_end(f, detail::generator_op::resume);
  if (!run(f)) [[unlikely]]
    report_end(f, detail::generator_op::resume);
  return take();
}

template <class Y, class S, class R>
inline Y generator<Y, S, R>::send(detail::value_or_none<S> value)
  requires(!std::is_void_v<S>)
{
  detail::fiber_control* f = detail::access::control(fiber_);
  if (f->state != fiber_state::suspended) [[unlikely]]
    report_end(f, detail::generator_op::send);
  port_->in_.value = std::addressof(value);
  if (!run(f)) [[unlikely]]
    report_end(f, detail::generator_op::send);
  return take();
}

template <class Y, class S, class R>
inline Y generator<Y, S, R>::send(std::nullopt_t) {
  return next();
}

template <class Y, class S, class R>
template <class O>
  requires detail::optional_of<O, S>
inline Y generator<Y, S, R>::send(O&& value) {
  if (!value) return next();
  return send(detail::value_or_none<S>(*std::forward<O>(value)));
}

template <class Y, class S, class R>
inline Y generator<Y, S, R>::throw_in(std::exception_ptr e) {
  detail::fiber_control* f = detail::access::control(fiber_);
  if (!inject(f, std::move(e))) report_end(f, detail::generator_op::resume);
  return take();
}

template <class Y, class S, class R>
template <class E>
  requires(!std::is_same_v<std::remove_cvref_t<E>, std::exception_ptr>)
inline Y generator<Y, S, R>::throw_in(E&& e) {
  return throw_in(std::make_exception_ptr(std::forward<E>(e)));
}

template <class Y, class S, class R>
inline auto generator<Y, S, R>::try_next() -> try_result {
  detail::fiber_control* f = detail::access::control(fiber_);
  if (!detail::startable(f) || !run(f)) [[unlikely]] {
    settle(f, detail::generator_op::resume);
    return try_result{};
  }
  return take_as_result();
}

template <class Y, class S, class R>
inline auto generator<Y, S, R>::try_send(detail::value_or_none<S> value) -> try_result
  requires(!std::is_void_v<S>)
{
  detail::fiber_control* f = detail::access::control(fiber_);
  if (f->state == fiber_state::suspended) [[likely]] {
    port_->in_.value = std::addressof(value);
    if (run(f)) [[likely]]
      return take_as_result();
  }
  settle(f, detail::generator_op::send);
  return try_result{};
}

template <class Y, class S, class R>
inline auto generator<Y, S, R>::try_send(std::nullopt_t) -> try_result {
  return try_next();
}

template <class Y, class S, class R>
template <class O>
  requires detail::optional_of<O, S>
inline auto generator<Y, S, R>::try_send(O&& value) -> try_result {
  if (!value) return try_next();
  return try_send(detail::value_or_none<S>(*std::forward<O>(value)));
}

template <class Y, class S, class R>
inline auto generator<Y, S, R>::try_throw_in(std::exception_ptr e) -> try_result {
  detail::fiber_control* f = detail::access::control(fiber_);
  if (!inject(f, std::move(e))) {
    settle(f, detail::generator_op::resume);
    return try_result{};
  }
  return take_as_result();
}

template <class Y, class S, class R>
template <class E>
  requires(!std::is_same_v<std::remove_cvref_t<E>, std::exception_ptr>)
inline auto generator<Y, S, R>::try_throw_in(E&& e) -> try_result {
  return try_throw_in(std::make_exception_ptr(std::forward<E>(e)));
}

template <class Y, class S, class R>
void generator<Y, S, R>::close() {
  detail::fiber_control* f = detail::access::control(fiber_);
  if (f == nullptr || f->state == fiber_state::finished) return;
  if (f->state == fiber_state::running) detail::throw_already_executing(*f);
  port_->signal_ = detail::generator_signal::exit;
  if (run(f)) {
    port_->signal_ = detail::generator_signal::none;
    detail::throw_ignored_exit(*f);
  }
  closed();
}

template <class Y, class S, class R>
generator_state generator<Y, S, R>::state() const noexcept {
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

template <class Y, class S, class R>
inline auto generator<Y, S, R>::begin() -> iterator
  requires(!std::is_void_v<Y>)
{
  iterator it;
  if (advance()) it.gen_ = this;
  return it;
}

template <class Y, class S, class R>
inline auto generator<Y, S, R>::end() noexcept -> iterator
  requires(!std::is_void_v<Y>)
{
  return iterator{};
}

// --- generator: the steps behind the protocol --------------------------------

template <class Y, class S, class R>
inline bool generator<Y, S, R>::run(detail::fiber_control* f) {
  detail::resume_control<detail::have_inline_switch>(f);
  if (f->state == fiber_state::suspended) [[likely]]
    return true;
  port_ = nullptr;
  return false;
}

template <class Y, class S, class R>
inline Y generator<Y, S, R>::take() {
  if constexpr (!std::is_void_v<Y>) return Y(std::move(port_->out_.get()));
}

template <class Y, class S, class R>
inline auto generator<Y, S, R>::take_as_result() -> try_result {
  if constexpr (std::is_void_v<Y>) return true;
  else return try_result(std::in_place, std::move(port_->out_.get()));
}

template <class Y, class S, class R>
inline bool generator<Y, S, R>::advance() {
  detail::fiber_control* f = detail::access::control(fiber_);
  if (!detail::startable(f) || !run(f)) [[unlikely]] {
    settle(f, detail::generator_op::resume);
    return false;
  }
  return true;
}

template <class Y, class S, class R>
inline bool generator<Y, S, R>::advance_sending(detail::value_or_none<S>* sent) {
  detail::fiber_control* f = detail::access::control(fiber_);
  if (f->state == fiber_state::suspended) [[likely]] {
    if constexpr (!std::is_void_v<S>) port_->in_.value = sent;
    if (run(f)) [[likely]]
      return true;
  }
  settle(f, detail::generator_op::send);
  return false;
}

template <class Y, class S, class R>
inline bool generator<Y, S, R>::inject(detail::fiber_control* f, std::exception_ptr e) {
  if (!e) detail::throw_no_exception(*f);
  if (f->state == fiber_state::running) detail::throw_already_executing(*f);
  if (f->state == fiber_state::finished) std::rethrow_exception(std::move(e));
  port_->signal_ = detail::generator_signal::raise;
  port_->raised_ = std::move(e);
  if (run(f)) return true;
  rethrow_error();
  return false;
}

template <class Y, class S, class R>
void generator<Y, S, R>::report_end(const detail::fiber_control* f, detail::generator_op op) {
  if constexpr (!std::is_void_v<R>) {
    if (settle(f, op) && result_) {
      if constexpr (std::is_copy_constructible_v<R>) {
        throw stop_iteration_with<R>(*result_);
      } else {
        // A move-only value can be delivered once: here.
        R value = std::move(*result_);
        result_.reset();
        throw stop_iteration_with<R>(std::move(value));
      }
    }
  } else {
    settle(f, op);
  }
  detail::throw_stop_iteration();
}

// --- iterator ----------------------------------------------------------------

template <class Y, class S, class R>
inline auto generator<Y, S, R>::iterator::operator*() const -> reference {
  return std::move(gen_->port_->out_.get());
}

template <class Y, class S, class R>
inline auto generator<Y, S, R>::iterator::operator++() -> iterator& {
  if (!gen_->advance()) gen_ = nullptr;
  return *this;
}

// --- the body's frame and delegation -------------------------------------------

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
  generator_frame(generator_frame&& other) noexcept(std::is_nothrow_move_constructible_v<F>)
      : body(std::move(other.body)) {}

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
        generator<Y, S, R>& g = gen();
        g.result_.emplace(std::move(value));
        g.return_ = generator<Y, S, R>::return_status::pending;
      }
    } catch (...) {
      gen().body_raised(*port.fiber_);
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
      case generator_signal::raise: {
        std::exception_ptr e = std::exchange(raised_, nullptr);
        if (detail::is_generator_exit(e)) {
          // PEP 380: a GeneratorExit thrown in closes the delegate (what
          // that close raises propagates), then is raised here.
          sub.close();
          std::rethrow_exception(std::move(e));
        }
        yielded = sub.inject(detail::access::control(sub.fiber_), std::move(e));
        break;
      }
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
