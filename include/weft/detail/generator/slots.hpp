// How values cross between a generator's resumer and its body: the yielded
// value's slot, the sent value's slot, and the signal a paused yield acts on.
// Owned by the yielder, in the body's frame; touched only by the thread that
// owns the generator.
#pragma once

#include <memory>
#include <new>
#include <type_traits>

namespace weft::detail {

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

}  // namespace weft::detail
