// call_soon / call_later / call_at / call_soon_threadsafe and their handles.
#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <typeinfo>

#include "loop/loop_core.hpp"
#include "weft/detail/fatal.hpp"
#include "weft/timer.hpp"

namespace weft {
namespace detail {

namespace {

void run_callback(runnable* r) {
  auto* node = static_cast<callback_node*>(r);
  if (node->state == callback_node::phase::queued) {
    node->state = callback_node::phase::done;
    try {
      node->fn();
    } catch (...) {
      node->loop->report({"Exception in callback " + callback_name(*node), "", std::current_exception()});
    }
  }
  release_callback(node);  // the loop's reference
}

void callback_due(timer_node* n) {
  auto* node = static_cast<callback_node*>(n);
  node->state = callback_node::phase::queued;
  node->loop->push_ready(node);
}

callback_node* make_callback(loop_core& core, std::function<void()> fn, loop_time when, std::string_view name = {}) {
  if (core.closed) throw invalid_state("weft: callback scheduled on a closed loop");
  if (!fn) throw std::invalid_argument("weft: empty callback");
  auto* node = new callback_node();
  node->loop = &core;
  node->home_thread = core.home_thread;
  node->fn = std::move(fn);
  node->name = name;
  node->refs = 2;  // the loop's and the handle's
  node->when = when;
  node->run = &run_callback;
  node->fire = &callback_due;
  return node;
}

}  // namespace

callback_node* prepare_callback(loop_core& core, std::function<void()> fn, const std::type_info& type) {
  callback_node* node = make_callback(core, std::move(fn), core.now());
  node->refs = 1;
  node->type = &type;
  return node;
}

void queue_prepared(callback_node* node) noexcept {
  node->state = callback_node::phase::queued;
  node->when = node->loop->now();
  node->loop->push_ready(node);
}

std::string callback_name(const callback_node& node) {
  if (!node.name.empty()) return node.name;
  const char* mangled = node.type != nullptr ? node.type->name() : node.fn.target_type().name();
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> plain(abi::__cxa_demangle(mangled, nullptr, nullptr, &status), &std::free);
  return status == 0 && plain ? std::string(plain.get()) : std::string(mangled);
}

void loop_core::run_timed_callback(runnable* r) {
  auto* node = static_cast<callback_node*>(r);
  ++node->refs;  // its name is read after it ran
  auto start = loop_clock::now();
  r->run(r);
  auto ran = loop_clock::now() - start;
  if (ran > options.slow_task_threshold) {
    try {
      std::string message = "Executing callback " + callback_name(*node) + " took " +
                            std::to_string(std::chrono::duration<double>(ran).count()) + " seconds";
      report({std::move(message), "", nullptr, ran});
    } catch (const std::bad_alloc&) {
    }
  }
  release_callback(node);
}

void release_callback(callback_node* node) noexcept {
  if (--node->refs == 0) delete node;
}

void loop_core::drop_callbacks() noexcept {
  while (!ready.empty()) {
    runnable* r = ready.pop_front();
    if (r->run == &run_callback) release_callback(static_cast<callback_node*>(r));
  }
  while (!timers.empty()) {
    timer_node* n = timers.pop();
    if (n->fire == &callback_due) release_callback(static_cast<callback_node*>(n));
  }
}

}  // namespace detail

timer_handle loop::call_soon(std::function<void()> callback, std::string_view name) {
  core_->check_thread("loop::call_soon");
  auto* node = detail::make_callback(*core_, std::move(callback), core_->now(), name);
  node->state = detail::callback_node::phase::queued;
  core_->push_ready(node);
  return detail::access::make<timer_handle>(node);
}

timer_handle loop::call_at(time_point when, std::function<void()> callback, std::string_view name) {
  core_->check_thread("loop::call_at");
  auto* node = detail::make_callback(*core_, std::move(callback), when, name);
  node->deadline = when;
  core_->arm(node);
  return detail::access::make<timer_handle>(node);
}

timer_handle loop::call_later(duration delay, std::function<void()> callback, std::string_view name) {
  return call_at(core_->now() + delay, std::move(callback), name);
}

timer_handle call_soon(std::function<void()> callback, std::string_view name) {
  return detail::running_loop("call_soon").call_soon(std::move(callback), name);
}
timer_handle call_later(loop::duration delay, std::function<void()> callback, std::string_view name) {
  return detail::running_loop("call_later").call_later(delay, std::move(callback), name);
}
timer_handle call_at(loop::time_point when, std::function<void()> callback, std::string_view name) {
  return detail::running_loop("call_at").call_at(when, std::move(callback), name);
}

void loop::call_soon_threadsafe(std::function<void()> callback) {
  if (!callback) throw std::invalid_argument("weft: empty callback");
  core_->post_remote({std::move(callback)});
}

// One eventfd write per burst, and none while the loop is awake.
//
// The batch: the queue and remote_pending are written under remote_mutex,
// and the loop clears the flag under it when it takes the batch
// (take_remote). A sender that finds the flag set joins a batch not yet
// taken, whose first sender has seen to the loop's waking (below); the
// loop takes the batch after every poll, so that covers this message too.
//
// The write: the first sender of a batch writes only if the loop is
// `sleeping`. This is Dekker's pattern, all four accesses seq_cst: the
// sender sets remote_pending, then reads sleeping; the loop, before every
// blocking poll, sets sleeping, then reads remote_pending (turn()). In the
// single order of seq_cst operations one of the two reads comes last and
// sees the other side's write: either the sender sees sleeping and
// writes, or the loop sees the message and does not block. A sender that
// reads sleeping false read it before the loop's next announcement, so
// that announcement's read of remote_pending sees its message. A write that
// lands after the loop woke anyway costs one spurious wake-up, nothing more.
void detail::loop_core::post_remote(remote_message m) {
  bool first;
  {
    lock_guard lock(remote_mutex);
    remote.push_back(std::move(m));
    first = !remote_pending.exchange(true, std::memory_order_seq_cst);
  }
  if (first && sleeping.load(std::memory_order_seq_cst)) reactor.wake();
}

timer_handle::timer_handle(detail::callback_node* node) noexcept : node_(node) {}
timer_handle::timer_handle(const timer_handle& other) noexcept : node_(other.node_) {
  if (node_) ++node_->refs;
}
timer_handle::timer_handle(timer_handle&& other) noexcept : node_(std::exchange(other.node_, nullptr)) {}
timer_handle& timer_handle::operator=(timer_handle other) noexcept {
  std::swap(node_, other.node_);
  return *this;
}
timer_handle::~timer_handle() {
  if (node_) detail::release_callback(node_);
}

bool timer_handle::cancel() noexcept {
  using phase = detail::callback_node::phase;
  if (node_ == nullptr || node_->state == phase::done || node_->state == phase::cancelled) return false;
  WEFT_ASSERT(node_->home_thread == detail::running_thread(),
              "timer_handle::cancel on a thread other than its loop's (use loop::call_soon_threadsafe)");
  if (node_->armed()) {  // still in the timer heap: take it out now
    node_->loop->disarm(node_);
    detail::release_callback(node_);  // the loop's reference (the handle keeps its own)
    node_->state = phase::cancelled;
    return true;
  }
  node_->state = phase::cancelled;  // queued: run_callback will skip it
  return true;
}

bool timer_handle::cancelled() const noexcept {
  return node_ && node_->state == detail::callback_node::phase::cancelled;
}
bool timer_handle::done() const noexcept { return node_ && node_->state == detail::callback_node::phase::done; }
std::chrono::steady_clock::time_point timer_handle::when() const noexcept {
  return node_ ? node_->when : std::chrono::steady_clock::time_point{};
}

}  // namespace weft
