// What a queue's try_get() returns: a std::optional whose * and -> raise
// queue_empty when it is empty, instead of being undefined, so that
// `*q.try_get()` on an empty queue fails as asyncio's get_nowait() does.
// It is a std::optional otherwise, and converts to one.
//
// Same thread rules as the value it holds.
#pragma once

#include <optional>
#include <type_traits>
#include <utility>

#include "weft/error.hpp"

namespace weft::detail {

template <class T>
class checked_optional : public std::optional<T> {
 public:
  using std::optional<T>::optional;
  checked_optional(std::optional<T>&& o) noexcept(std::is_nothrow_move_constructible_v<T>)
      : std::optional<T>(std::move(o)) {}

  T& operator*() & { return checked(*this); }
  const T& operator*() const& { return checked(*this); }
  T&& operator*() && { return std::move(checked(*this)); }
  const T&& operator*() const&& { return std::move(checked(*this)); }
  T* operator->() { return &checked(*this); }
  const T* operator->() const { return &checked(*this); }

 private:
  template <class Self>
  static auto& checked(Self& self) {
    if (!self.has_value()) [[unlikely]]
      throw queue_empty("weft: the item of an empty try_get() dereferenced");
    return *static_cast<std::optional<T>&>(const_cast<std::remove_const_t<Self>&>(self));
  }
};

}  // namespace weft::detail
