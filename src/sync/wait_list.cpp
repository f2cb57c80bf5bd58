// The wait list of the synchronisation primitives (weft/sync/detail/wait_list.hpp).
#include "weft/sync/detail/wait_list.hpp"

#include <string>

#include "weft/detail/fatal.hpp"
#include "weft/error.hpp"

namespace weft::detail {

wait_list::~wait_list() {
  while (sync_waiter* w = waiters_.pop_front()) {
    // The primitive's name dies with it; the dump must not read it.
    if (w->task->parked()) w->task->waiting = {wait_kind::primitive, "destroyed primitive", "", -1};
  }
}

void wait_list::refuse_other_thread() const noexcept {
  std::string message = std::string(primitive_) +
                        " used on a thread other than its loop's (wake it from another thread with "
                        "loop::call_soon_threadsafe)";
  fatal(message.c_str());
}

wake_reason wait_list::wait(sync_waiter& w, const wait_info& what, loop_time deadline) {
  if (!on_home_thread())
    throw invalid_state("weft: " + std::string(primitive_) + " waited on from a thread other than its loop's");
  w.task = &running_task();
  w.chosen = false;
  waiters_.push_back(&w);
  struct unlink_on_exit {
    list<sync_waiter>& waiters;
    sync_waiter& w;
    ~unlink_on_exit() {
      if (w.linked()) waiters.erase(&w);
    }
  } guard{waiters_, w};
  wake_reason why = park(what, deadline);
  if (why == wake_reason::woken && !w.chosen) {
    // Only pop() + wake() may wake a task parked here with `woken`.
    fatalf("broken invariant: a task waiting on %.*s '%.*s' was woken but not chosen",
           static_cast<int>(what.what.size()), what.what.data(), static_cast<int>(what.name.size()), what.name.data());
  }
  return why;
}

sync_waiter* wait_list::pop() noexcept {
  if (!on_home_thread()) [[unlikely]]
    refuse_other_thread();
  while (sync_waiter* w = waiters_.pop_front()) {
    // Not parked: already woken by its deadline or a cancellation and
    // queued to run; it leaves with timed_out/cancelled and takes nothing.
    if (w->task->parked()) {
      w->chosen = true;
      return w;
    }
  }
  return nullptr;
}

std::size_t wait_list::wake_all() noexcept {
  std::size_t n = 0;
  while (sync_waiter* w = pop()) {
    wake(w);
    ++n;
  }
  return n;
}

}  // namespace weft::detail
