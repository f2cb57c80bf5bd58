// The one door from weft's own layers into the internals of its public
// types: a fiber's control block, a loop's core, a task's state, and the
// constructors that adopt them. Each such type names `detail::access` as its
// friend and keeps those members private, so user code cannot reach them by
// accident (tests/loop/hidden_internals_test.cpp checks each).
//
// Generic on purpose: it names no type, so any layer may include it without
// depending on the layers whose types it opens.
#pragma once

#include <utility>

namespace weft::detail {

struct access {
  // The fiber's control block (weft/detail/fiber/fiber_control.hpp); null for an
  // empty fiber.
  template <class Fiber>
  static auto* control(const Fiber& f) noexcept {
    return f.control_;
  }
  // The loop's state (src/loop/loop_core.hpp).
  template <class Loop>
  static auto& core(Loop& lp) noexcept {
    return *lp.core_;
  }
  // The task's shared state (weft/detail/loop/task_state.hpp); null when empty.
  template <class Task>
  static auto* state(const Task& t) noexcept {
    return t.state_;
  }
  // Calls a private constructor: a fiber of exclusive use, a task handle
  // or timer_handle adopting a reference.
  template <class Public, class... Args>
  static Public make(Args&&... args) {
    return Public(std::forward<Args>(args)...);
  }
};

}  // namespace weft::detail
