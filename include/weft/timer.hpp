// Handles to callbacks scheduled on a loop (asyncio.Handle/TimerHandle).
#pragma once

#include <chrono>

#include "weft/detail/access.hpp"

namespace weft {

namespace detail {
struct callback_node;
}

// A callback scheduled with call_soon/call_later/call_at. Copies share the
// callback. Dropping every handle does not cancel it. Loop thread only.
class timer_handle {
 public:
  timer_handle() noexcept = default;
  timer_handle(const timer_handle& other) noexcept;
  timer_handle(timer_handle&& other) noexcept;
  timer_handle& operator=(timer_handle other) noexcept;
  ~timer_handle();

  // Prevents the callback from running. A no-op (returning false) once it
  // has run or was cancelled already.
  bool cancel() noexcept;
  bool cancelled() const noexcept;
  // The callback has run (or is running).
  bool done() const noexcept;
  // When it is due, on the loop's clock (call_soon: when it was scheduled).
  std::chrono::steady_clock::time_point when() const noexcept;

 private:
  friend struct detail::access;                                 // the adopting constructor
  explicit timer_handle(detail::callback_node* node) noexcept;  // adopts a reference

  detail::callback_node* node_ = nullptr;
};

}  // namespace weft
