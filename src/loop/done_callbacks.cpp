// Done callbacks of tasks and futures: registration, removal, and the
// notify hook that queues them (weft/detail/loop/done_callbacks.hpp).
#include "weft/detail/loop/done_callbacks.hpp"

#include "loop/loop_core.hpp"

namespace weft::detail {

namespace {

// The waiter's notify hook, called (after unlinking) as the owner
// completes: the callback gets its handle and joins the run queue.
void queue_done_callback(waiter* w) noexcept {
  auto* cb = static_cast<done_callback*>(w);
  cb->bind(cb);
  queue_prepared(cb->node);  // the node, and with it cb, is the loop's now
}

// Releases a registration: its node owns it.
void release_registration(done_callback* cb) noexcept { release_callback(cb->node); }

}  // namespace

done_callback_id link_done_callback(loop_core* loop, list<waiter>& to, bool done, done_callback* cb,
                                    std::function<void()> run, const std::type_info& type) {
  if (loop == nullptr) throw invalid_state("weft: add_done_callback after the loop closed");
  loop->check_thread("add_done_callback");
  cb->node = prepare_callback(*loop, std::move(run), type);  // cb's owner from here on
  cb->id = done_callback_id{++loop->done_callbacks_made};
  cb->notify = &queue_done_callback;
  if (done) queue_done_callback(cb);
  else to.push_back(cb);
  return cb->id;
}

std::size_t unlink_done_callback(list<waiter>& from, done_callback_id id) noexcept {
  done_callback* found = nullptr;
  from.for_each([&](waiter* w) {
    if (found == nullptr && w->notify == &queue_done_callback && static_cast<done_callback*>(w)->id == id)
      found = static_cast<done_callback*>(w);
  });
  if (found == nullptr) return 0;
  from.erase(found);
  release_registration(found);
  return 1;
}

void drop_done_callbacks(list<waiter>& from) noexcept {
  from.for_each([&](waiter* w) {
    if (w->notify != &queue_done_callback) return;
    from.erase(w);
    release_registration(static_cast<done_callback*>(w));
  });
}

}  // namespace weft::detail
