// The loop's turn, its entry points, parking and waking.
#include "loop/loop_core.hpp"

#include <cstdio>
#include <sstream>

#include "weft/detail/fiber_control.hpp"
#include "weft/error.hpp"
#include "weft/fiber.hpp"

namespace weft {
namespace detail {

constinit thread_local loop_core* current_core = nullptr;
constinit thread_local scheduler_state* current_scheduler = nullptr;

namespace {

void default_exception_handler(const exception_report& r) {
  if (!r.error) {
    std::fprintf(stderr, "weft: %s\n", r.message.c_str());
    return;
  }
  std::string what = "unknown exception";
  try {
    std::rethrow_exception(r.error);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  if (r.task_name.empty()) std::fprintf(stderr, "weft: %s: %s\n", r.message.c_str(), what.c_str());
  else
    std::fprintf(stderr, "weft: %s: task '%s' (spawned at %s:%u): %s\n", r.message.c_str(), r.task_name.c_str(),
                 r.spawned_at.file_name(), static_cast<unsigned>(r.spawned_at.line()), what.c_str());
}

// A park() deadline: wakes the task with timed_out.
struct park_timer : timer_node {
  task_base* task = nullptr;
};

// Forced inline, these helpers: GCC counts a function that only prefetches
// as free of side effects, and deletes the calls it has not inlined.

// Five lines of stack from `low` up: a resumed fiber pops its registers,
// returns, and runs in the frames above.
[[gnu::always_inline]] inline void prefetch_stack(const void* low) noexcept {
  const auto* line = static_cast<const char*>(low);
  for (int offset = 0; offset <= 4 * 64; offset += 64) __builtin_prefetch(line + offset);
}

// The lines of a fiber's control block that resuming it reads.
[[gnu::always_inline]] inline void prefetch_control(const fiber_control* control) noexcept {
  __builtin_prefetch(control);
  __builtin_prefetch(&control->owner);
}

// The lines right after a task's bookkeeping: the start of its result
// slot and of its callable, whose captures the task reads when it runs
// (task_impl puts both right after task_base).
[[gnu::always_inline]] inline void prefetch_body(const task_base* t) noexcept {
  const auto* end = reinterpret_cast<const char*>(t) + sizeof(task_base);
  __builtin_prefetch(end);
  __builtin_prefetch(end + 64);
}

// Starts loading what resuming `t` will touch first: its fiber's control
// block and the stack lines around `frame`, an address in park()'s frame
// (the registers saved by the switch lie just below it, the callers'
// frames just above). With thousands of tasks asleep these are cache and
// TLB misses; taken one after another on resume they were most of a
// wake-up's cost. Loaded while the loop fires the other due timers, they
// overlap instead.
[[gnu::always_inline]] inline void prefetch_for_resume(const task_base* t, const void* frame) noexcept {
  prefetch_control(t->fib.control());
  prefetch_body(t);
  prefetch_stack(static_cast<const char*>(frame) - 2 * 64);
}

// A queued item's fiber control block; null for a callback.
[[gnu::always_inline]] inline const fiber_control* control_of(const runnable* r) noexcept {
  return r->run == nullptr ? static_cast<const task_base*>(r)->fib.control() : nullptr;
}

// A long run queue outruns the prefetches made when its tasks were woken:
// by the time the loop reaches a task, what was fetched for it has been
// evicted by the thousand resumes before. So from this many items on,
// run_ready() fetches as it goes, three items ahead of the one it resumes.
constexpr std::size_t long_batch = 16;

// Called as `r` leaves the run queue. Each later item moves one stage on
// per call, and each stage reads only what the one before fetched: the
// third item's state, the second's control block (found in its state), the
// next one's stack around its saved stack pointer (found in its control
// block). Every miss then overlaps with running the item before.
[[gnu::always_inline]] inline void prefetch_ahead(const runnable* r) noexcept {
  const runnable* next = r->next_in_fifo;
  if (next == nullptr) return;
  if (const fiber_control* control = control_of(next)) prefetch_stack(control->context);
  const runnable* second = next->next_in_fifo;
  if (second == nullptr) return;
  if (const fiber_control* control = control_of(second)) {
    prefetch_control(control);
    prefetch_body(static_cast<const task_base*>(second));
  }
  // Not a prefetch of null: an invalid address costs a page walk each time.
  if (const runnable* third = second->next_in_fifo) __builtin_prefetch(third);
}

std::string_view to_string(wait_kind k) {
  switch (k) {
    case wait_kind::none: return "ready";
    case wait_kind::sleep: return "sleep";
    case wait_kind::readable: return "fd readable";
    case wait_kind::writable: return "fd writable";
    case wait_kind::join: return "join";
    case wait_kind::primitive: return "sync";
    case wait_kind::executor: return "executor";
    case wait_kind::signal: return "signal";
  }
  return "?";
}

}  // namespace

loop_core::loop_core(weft::loop& o, const loop_options& opts) : owner(o), options(opts) {
  virtual_now = virtual_start = last_now = loop_clock::now();
  wall_start = opts.virtual_wall_start.value_or(std::chrono::system_clock::now());
  exception_handler = &default_exception_handler;
}

void loop_core::unpark(task_base* t, wake_reason why) noexcept {
  if (!t->parked) return;
  t->parked = false;
  t->reason = why;
  ready.push_back(t);
}

void loop_core::take_remote() {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(remote_mutex);
    batch.swap(remote);
    remote_pending.store(false, std::memory_order_relaxed);
  }
  for (auto& fn : batch) owner.call_soon(std::move(fn));
}

// Forced inline into turn(), like resume(): a return executed right after
// the switch back from a task mispredicts.
template <bool timed>
[[gnu::always_inline]] inline void loop_core::run_ready() {
  fetch_ahead = ready.size() >= long_batch;
  batch_left = ready.size();
  hand_offs_allowed = !timed;  // the detector times each task from the loop
  while (batch_left > 0 && !ready.empty()) {
    --batch_left;
    runnable* r = ready.pop_front();
    if (fetch_ahead) prefetch_ahead(r);
    if (r->run != nullptr) {
      r->run(r);
    } else if constexpr (timed) {
      auto* t = static_cast<task_base*>(r);
      ++t->refs;  // report_slow() reads it, finished or not
      auto start = loop_clock::now();
      resume(t);
      auto ran = loop_clock::now() - start;
      if (ran > options.slow_task_threshold) report_slow(t, ran);
      release_task(t);
    } else {
      resume(static_cast<task_base*>(r));
    }
  }
  hand_offs_allowed = false;
}

bool loop_core::idle_between_turns() const noexcept {
  // What turn() would check after this batch and before the next: fds to
  // poll, timers to fire, remote calls to take, a dump to write, a run to
  // end (its caller checks returning()'s conditions between turns).
  return timers.empty() && reactor.watched() == 0 && !remote_pending.load(std::memory_order_acquire) &&
         !registration.dump_requested.load(std::memory_order_relaxed) && !returning();
}

task_base* next_to_hand_off(scheduler_state& s, const fiber_control* self) noexcept {
  if (!s.hand_offs_allowed) return nullptr;
  runnable* r = s.ready.front();
  if (r == nullptr || r->run != nullptr) return nullptr;  // callbacks run on the loop's stack
  auto* next = static_cast<task_base*>(r);
  if (!can_hand_off(self, next->fib.control())) return nullptr;
  if (s.batch_left == 0) {
    if (!static_cast<const loop_core&>(s).idle_between_turns()) return nullptr;
    s.batch_left = s.ready.size();  // the next turn's batch
    s.fetch_ahead = s.batch_left >= long_batch;
  }
  --s.batch_left;
  s.ready.pop_front();
  if (s.fetch_ahead) prefetch_ahead(next);  // as run_ready() does
  return next;
}

void loop_core::report_slow(const task_base* t, loop_clock::duration ran) noexcept {
  try {
    std::ostringstream msg;
    msg << "Executing task '" << task_name(t) << "' (spawned at " << t->spawned_at.file_name() << ":"
        << t->spawned_at.line() << ") took " << std::chrono::duration<double>(ran).count() << " seconds";
    exception_report r{msg.str(), std::string(task_name(t)), nullptr, ran, t->spawned_at};
    report(std::move(r));
  } catch (const std::bad_alloc&) {
  }
}

bool loop_core::turn() {
  registration.dump_if_requested();
  if (ready.empty() && timers.empty() && !can_block()) return false;

  // 1. Run what was ready when the turn began; what they make ready runs
  //    next turn, after I/O has had a look.
  if (options.slow_task_threshold.count() > 0) run_ready<true>();
  else run_ready<false>();
  if (remote_pending.load(std::memory_order_acquire)) take_remote();
  // Fast path: more is ready, no fd to look at, no timer that could be due.
  if (!ready.empty() && timers.empty() && reactor.watched() == 0) return true;

  // 2. How long the reactor may wait: not at all if something is ready,
  //    until the next timer, or (something outside can still wake us)
  //    indefinitely. With nothing at all left, the next turn says so.
  std::optional<std::chrono::nanoseconds> timeout;
  if (!ready.empty() || returning()) timeout = std::chrono::nanoseconds::zero();
  else if (!timers.empty())
    timeout = options.virtual_time ? std::chrono::nanoseconds::zero()
                                   : std::chrono::duration_cast<std::chrono::nanoseconds>(timers.top_deadline() - now());
  else if (reactor.watched() == 0 && keep_alive_count.load(std::memory_order_acquire) == 0 && options.detect_deadlock)
    return true;

  // 3. Poll; on virtual time, jump to the next deadline if nothing else can
  //    run (time stands still while anything is runnable).
  // A zero-timeout poll with no fd watched would be a wasted syscall (the
  // remote queue has its own flag).
  bool io_happened = false;
  if (!timeout || timeout->count() > 0 || reactor.watched() > 0) {
    io_ready_.clear();
    io_happened = reactor.poll(timeout, io_ready_);
    for (task_base* t : io_ready_) unpark(t, wake_reason::woken);
    // Time passed while it blocked: "waiting since" must not date from
    // before. One clock read per blocking poll, a syscall anyway.
    if (!timeout || timeout->count() > 0) last_now = now();
  }
  if (remote_pending.load(std::memory_order_acquire)) take_remote();
  if (options.virtual_time && ready.empty() && !io_happened && !returning() && !timers.empty() &&
      timers.top_deadline() > virtual_now)
    virtual_now = timers.top_deadline();

  // 4. Due timers, in (deadline, scheduling) order.
  if (timers.empty()) return true;
  loop_time t_now = last_now = now();
  while (!timers.empty() && timers.top_deadline() <= t_now) {
    timer_node* node = timers.pop();
    node->fire(node);
  }
  return true;
}

void loop_core::raise_deadlock() const {
  throw deadlock_error("weft: deadlock: every task is waiting and nothing can wake one\n" + dump());
}

std::string loop_core::dump() const {
  std::ostringstream out;
  loop_time t_now = now();
  tasks.for_each([&](task_base* t) {
    out << "  task #" << t->id << " '" << task_name(t) << "' ";
    if (t == running) out << "running";
    else if (!t->parked) out << "ready";
    else {
      out << "waiting on " << to_string(t->waiting.kind);
      if (!t->waiting.what.empty()) out << " " << t->waiting.what;
      if (!t->waiting.name.empty()) out << " '" << t->waiting.name << "'";
      if (t->waiting.joined != nullptr) out << " '" << task_name(t->waiting.joined) << "'";
      if (t->waiting.fd >= 0) out << " fd " << t->waiting.fd;
      auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(t_now - t->parked_since);
      out << " for " << waited.count() << " ms";
    }
    out << " (spawned at " << t->spawned_at.file_name() << ":" << t->spawned_at.line() << ")";
    // A pooled worker's stack keeps what earlier tasks touched: an upper bound.
    out << " stack " << t->fib.stack_size() / 1024 << " KiB, high water " << t->fib.stack_high_water() / 1024
        << " KiB\n";
  });
  return out.str();
}

void loop_core::report(exception_report r) noexcept {
  try {
    exception_handler(r);
  } catch (...) {
    default_exception_handler(r);
  }
}

task_base& running_task() {
  loop_core* core = current_core;
  if (core == nullptr || core->running == nullptr)
    throw invalid_state("weft: this operation must be called from a task of a running loop");
  return *core->running;
}

namespace {

// park()'s body, forced inline into park() and into wait_until_done() (the
// join of spawn+join): every return executed after the switch back
// mispredicts, so one function fewer to return from is worth its copy.
[[gnu::always_inline]] inline wake_reason park_task(task_base& t, const wait_info& what, loop_time deadline) {
  if (this_thread.current != t.fib.control())
    throw std::logic_error("weft: a loop wait inside a generator or nested fiber of a task");
  if (t.cancel_requested && t.shield_depth == 0) {
    t.cancel_requested = false;
    return wake_reason::cancelled;
  }
  loop_core& core = *t.loop;
  park_timer timer;
  struct disarm_on_exit {
    loop_core& core;
    park_timer& timer;
    ~disarm_on_exit() { core.disarm(&timer); }
  } guard{core, timer};
  if (deadline != no_deadline) {
    timer.deadline = deadline;
    timer.task = &t;
    timer.fire = [](timer_node* n) {
      auto* pt = static_cast<park_timer*>(n);
      pt->task->loop->unpark(pt->task, wake_reason::timed_out);
      prefetch_for_resume(pt->task, pt);
    };
    core.arm(&timer);
  }
  t.parked = true;
  t.waiting = what;
  t.parked_since = core.last_now;
  switch_away(core, t.fib.control());
  if (t.reason == wake_reason::cancelled) t.cancel_requested = false;
  return t.reason;
}

}  // namespace

wake_reason park(const wait_info& what, loop_time deadline) { return park_task(running_task(), what, deadline); }

// Here rather than with the rest of joining (task.cpp), for park_task().
void wait_until_done(task_base* t) {
  task_base& self = running_task();
  if (&self == t) throw invalid_state("weft: a task cannot join itself");
  waiter w;
  w.task = &self;
  t->joiners.push_back(&w);
  struct unlink_on_exit {
    task_base* t;
    waiter& w;
    ~unlink_on_exit() {
      if (w.linked()) t->joiners.erase(&w);
    }
  } guard{t, w};
  wake_reason why = park_task(self, {wait_kind::join, "task", {}, -1, t}, no_deadline);
  if (why == wake_reason::cancelled) throw cancelled();
}

void unpark(task_base* t, wake_reason why) noexcept { t->loop->unpark(t, why); }

loop_time loop_now() {
  loop_core* core = current_core;
  if (core == nullptr) throw invalid_state("weft: no loop is running on this thread");
  return core->now();
}

}  // namespace detail

// --- weft::loop ---------------------------------------------------------

loop::loop(loop_options options) : core_(std::make_unique<detail::loop_core>(*this, options)) {}

loop::~loop() { close(); }

void loop::run_until_done(detail::task_base* t) {
  detail::running_scope scope(*core_);
  core_->awaited = t;
  struct forget {
    detail::loop_core& core;
    ~forget() { core.awaited = nullptr; }
  } guard{*core_};
  while (!t->done)
    if (!core_->turn()) core_->raise_deadlock();
}

void loop::run_forever() {
  detail::running_scope scope(*core_);
  core_->stop_requested = false;
  while (!core_->stop_requested)
    if (!core_->turn()) core_->raise_deadlock();
  core_->stop_requested = false;
}

void loop::stop() noexcept { core_->stop_requested = true; }
bool loop::is_running() const noexcept { return core_->is_running; }

loop::time_point loop::now() const noexcept { return core_->now(); }

std::chrono::system_clock::time_point loop::wall_now() const noexcept {
  if (!core_->options.virtual_time) return std::chrono::system_clock::now();
  return core_->wall_start +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(core_->virtual_now - core_->virtual_start);
}

bool loop::virtual_time() const noexcept { return core_->options.virtual_time; }

void loop::set_exception_handler(std::function<void(const exception_report&)> handler) {
  core_->exception_handler = handler ? std::move(handler) : &detail::default_exception_handler;
}

std::string loop::dump() const { return core_->dump(); }

loop* loop::current() noexcept { return detail::current_core ? &detail::current_core->owner : nullptr; }

loop::keep_alive::keep_alive(loop& lp) : core_(lp.core_.get()) {
  core_->keep_alive_count.fetch_add(1, std::memory_order_acq_rel);
}
loop::keep_alive::keep_alive(const keep_alive& other) : core_(other.core_) {
  core_->keep_alive_count.fetch_add(1, std::memory_order_acq_rel);
}
loop::keep_alive::~keep_alive() {
  if (core_->keep_alive_count.fetch_sub(1, std::memory_order_acq_rel) == 1) core_->reactor.wake();
}

}  // namespace weft
