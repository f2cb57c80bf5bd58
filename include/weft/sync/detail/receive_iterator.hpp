// The iterator of range-for over a channel (weft::channel and
// weft::cross_channel): each step is the channel's receive(), so it
// suspends and may raise weft::cancelled; it ends at the nullopt that
// receive() returns once the channel is closed and drained. An input
// range: iterate once. Same thread rules as the channel's receive().
#pragma once

#include <cstddef>
#include <iterator>
#include <optional>

namespace weft::detail {

template <class Channel, class T>
class receive_iterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = T;
  using difference_type = std::ptrdiff_t;

  receive_iterator() = default;
  explicit receive_iterator(Channel* ch) : ch_(ch), current_(ch->receive()) {}
  T& operator*() { return *current_; }
  T* operator->() { return &*current_; }
  receive_iterator& operator++() {
    current_ = ch_->receive();
    return *this;
  }
  void operator++(int) { ++*this; }
  friend bool operator==(const receive_iterator& it, std::default_sentinel_t) noexcept { return !it.current_; }

 private:
  Channel* ch_ = nullptr;
  std::optional<T> current_;
};

}  // namespace weft::detail
