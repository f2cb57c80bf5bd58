// Done callbacks of tasks and futures (asyncio's add_done_callback).
//
// A registered callback is a waiter in its owner's list (a task's
// `joiners`, a future's `waiters`), beside the tasks waiting there and in
// registration order. When the owner completes, the walk that wakes the
// waiting tasks queues each callback in its turn, so callbacks and woken
// tasks run in the order they came, as asyncio's call_soon of each does.
// An owner with none pays nothing for them: it walks that list anyway.
//
// Ownership: a registration owns a prepared callback (a call_soon node made
// at registration, not yet queued, so that completing, which cannot fail,
// allocates nothing); the node's function owns the registration. Queued,
// the node is the loop's; removed, or dropped with an owner that never
// completes, it is released. The callback gets a handle to its owner,
// taken when it is queued.
//
// Loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <typeinfo>
#include <utility>

#include "weft/detail/access.hpp"
#include "weft/detail/loop/task_state.hpp"

namespace weft {

// Names one add_done_callback() registration, for remove_done_callback().
enum class done_callback_id : std::uint64_t {};

namespace detail {

struct callback_node;

struct done_callback : waiter {
  callback_node* node = nullptr;  // the prepared call_soon of the callback
  done_callback_id id{};
  // Gives the callback its handle to the owner, which has just completed.
  void (*bind)(done_callback*) noexcept = nullptr;
};

// Registers `cb` at the back of `to`, or queues it at once if the owner is
// `done` (asyncio: a callback added after completion is scheduled with
// call_soon). `run` calls the user's callable, of type `type` (named in
// reports if it raises), and owns `cb`. invalid_state if `loop` is null
// (closed).
done_callback_id link_done_callback(loop_core* loop, list<waiter>& to, bool done, done_callback* cb,
                                    std::function<void()> run, const std::type_info& type);
// Removes the registration `id` from `from`: 1 if it was there, else 0
// (already queued, or removed before).
std::size_t unlink_done_callback(list<waiter>& from, done_callback_id id) noexcept;
// Releases every registration still in `from` (an owner that never
// completed, or whose loop closed).
void drop_done_callbacks(list<waiter>& from) noexcept;

// add_done_callback(fn) of the handle type Handle, whose state is `owner`.
template <class Handle, class State, class F>
done_callback_id add_done_callback(State* owner, list<waiter>& to, F&& fn) {
  struct registration final : done_callback {
    explicit registration(State* s, F&& f) : owner_state(s), fn(std::forward<F>(f)) {
      bind = [](done_callback* cb) noexcept {
        auto* self = static_cast<registration*>(cb);
        self->owner.emplace(access::make<Handle>(self->owner_state));  // takes a reference
      };
    }
    State* owner_state;
    std::decay_t<F> fn;
    std::optional<Handle> owner;  // empty until queued
  };
  auto cb = std::make_shared<registration>(owner, std::forward<F>(fn));
  done_callback* raw = cb.get();
  return link_done_callback(
      owner->loop, to, owner->done(), raw, [cb = std::move(cb)] { cb->fn(*cb->owner); }, typeid(std::decay_t<F>));
}

}  // namespace detail
}  // namespace weft
