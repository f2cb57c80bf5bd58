// The internals of weft's public types are reachable only through
// weft::detail::access (weft/detail/access.hpp), never by accident from
// user code: each check below fails to compile if one becomes public again.
#include <gtest/gtest.h>

#include <source_location>
#include <string>
#include <type_traits>

#include "weft/fiber.hpp"
#include "weft/future.hpp"
#include "weft/generator.hpp"
#include "weft/loop.hpp"
#include "weft/task.hpp"
#include "weft/timer.hpp"

namespace {

template <class T>
concept exposes_control = requires(T& f) { f.control(); };
template <class T>
concept exposes_core = requires(T& lp) { lp.core(); };
template <class T>
concept exposes_state = requires(T& t) { t.state(); };

static_assert(!exposes_control<weft::fiber>, "fiber::control() is internal");
static_assert(!std::is_constructible_v<weft::fiber, int (*)(), const weft::fiber_options&, std::source_location,
                                       const weft::detail::exclusive_use*>,
              "a fiber of exclusive use is made only through detail::access");
static_assert(!exposes_core<weft::loop>, "loop::core() is internal");
static_assert(!exposes_state<weft::task<int>>, "task::state() is internal");
static_assert(!std::is_constructible_v<weft::task<int>, weft::detail::task_state<int>*>,
              "a task handle adopts a state only in loop::spawn");
static_assert(!exposes_state<weft::future<int>>, "future::state() is internal");
static_assert(!std::is_constructible_v<weft::future<int>, weft::detail::future_state<int>*>,
              "a future handle adopts a state only inside weft (gather_future, done callbacks)");
static_assert(!std::is_constructible_v<weft::timer_handle, weft::detail::callback_node*>,
              "a timer_handle adopts a callback only in call_soon/call_later/call_at");

TEST(hidden_internals, weft_itself_reaches_them_through_detail_access) {
  weft::loop lp;
  auto t = lp.spawn([] { return 7; });
  weft::detail::task_base* state = weft::detail::access::state(t);
  ASSERT_NE(state, nullptr);
  EXPECT_EQ(t.name(), "task-" + std::to_string(state->id));
  lp.run_until_complete([&] { return t.join(); });
  EXPECT_EQ(state->phase, weft::detail::task_phase::finished);

  weft::fiber f([] {});
  EXPECT_EQ(weft::detail::access::control(f)->state, weft::fiber_state::created);
}

}  // namespace
