// The loop's turn and the weft::loop facade: running, stopping, closing.
#include "loop/loop_core.hpp"

#include <cstdio>
#include <sstream>

#include "loop/prefetch.hpp"
#include "weft/detail/loop/hand_off.hpp"
#include "weft/detail/fatal.hpp"
#include "weft/error.hpp"
#include "weft/fiber.hpp"

namespace weft {
namespace detail {

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
  } catch (const cancelled& e) {
    what = e.what();
  } catch (...) {
  }
  if (r.task_name.empty()) std::fprintf(stderr, "weft: %s: %s\n", r.message.c_str(), what.c_str());
  else
    std::fprintf(stderr, "weft: %s: task '%s' (spawned at %s:%u): %s\n", r.message.c_str(), r.task_name.c_str(),
                 r.spawned_at.file_name(), static_cast<unsigned>(r.spawned_at.line()), what.c_str());
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

loop_core::loop_core(weft::loop& o, const loop_options& opts) : facade(o), options(opts) {
  virtual_now = virtual_start = last_now = loop_clock::now();
  wall_start = opts.virtual_wall_start.value_or(std::chrono::system_clock::now());
  exception_handler = &default_exception_handler;
}

loop_core::~loop_core() {
  // Wake-ups that came after the loop closed: their waits are over, so
  // firing them only lets go of what they hold.
  lock_guard lock(remote_mutex);
  for (remote_message& m : remote)
    if (m.fire != nullptr) m.fire(m.arg);
}

void loop_core::take_remote() {
  {
    lock_guard lock(remote_mutex);
    remote_batch_.swap(remote);  // both keep their capacity: no allocation per message
    remote_pending.store(false, std::memory_order_relaxed);
  }
  // Every wake-up is fired even if queueing a callable throws (a lost
  // wake-up would hang its task); the callables after that are dropped.
  struct finish {
    std::vector<remote_message>& batch;
    std::size_t next = 0;
    ~finish() {
      for (; next < batch.size(); ++next)
        if (batch[next].fire != nullptr) batch[next].fire(batch[next].arg);
      batch.clear();
    }
  } taking{remote_batch_};
  for (; taking.next < remote_batch_.size(); ++taking.next) {
    remote_message& m = remote_batch_[taking.next];
    if (m.fire != nullptr) m.fire(m.arg);
    else facade.call_soon(std::move(m.fn));
  }
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
      if constexpr (timed) run_timed_callback(r);
      else r->run(r);
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

void loop_core::report_slow(const task_base* t, loop_clock::duration ran) noexcept {
  try {
    std::ostringstream msg;
    msg << "Executing task '" << task_name(t) << "' (spawned at " << t->spawned_at.file_name() << ":"
        << t->spawned_at.line() << ") took " << std::chrono::duration<double>(ran).count() << " seconds";
    exception_report r{msg.str(), std::string(task_name(t)), nullptr, ran, t->spawned_at};
    report(r);
  } catch (const std::bad_alloc&) {
  }
}

// The turn order is stated in include/weft/loop.hpp; this follows it.
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
    timeout = options.virtual_time
                  ? std::chrono::nanoseconds::zero()
                  : std::chrono::duration_cast<std::chrono::nanoseconds>(timers.top_deadline() - now());
  else if (reactor.watched() == 0 && keep_alive_count.load(std::memory_order_acquire) == 0 && options.detect_deadlock)
    return true;

  // 3. Poll; on virtual time, jump to the next deadline if nothing else can
  //    run (time stands still while anything is runnable).
  // A zero-timeout poll with no fd watched would be a wasted syscall (the
  // remote queue has its own flag).
  bool io_happened = false;
  bool blocks = !timeout || timeout->count() > 0;
  // Only another thread can wake a loop with no fd watched: it may spin
  // for that first (src/loop/idle_spin.hpp), then sleeps what is left.
  bool idle = blocks && reactor.watched() == 0;
  if (idle && spinner.spin(remote_pending, timeout)) {
    idle = false;  // a message came: no sleep
    timeout = std::chrono::nanoseconds::zero();
    last_now = now();
  }
  blocks = !timeout || timeout->count() > 0;
  if (blocks || reactor.watched() > 0) {
    // Dekker with post_remote() (src/loop/timer.cpp): announce the sleep,
    // then look at the queue; a sender either sees the announcement and
    // writes the eventfd, or its message is seen here.
    if (blocks) {
      sleeping.store(true, std::memory_order_seq_cst);
      if (remote_pending.load(std::memory_order_seq_cst)) timeout = std::chrono::nanoseconds::zero();
    }
    io_ready_.clear();
    io_happened = reactor.poll(timeout, io_ready_);
    for (task_base* t : io_ready_) unpark(t, wake_reason::woken);
    if (blocks) {
      sleeping.store(false, std::memory_order_relaxed);
      // Time passed while it blocked: "waiting since" must not date from
      // before. One clock read per blocking poll, a syscall anyway.
      last_now = now();
    }
  }
  if (idle) spinner.woke(remote_pending.load(std::memory_order_acquire));
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
    else if (!t->parked()) out << "ready";
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

void loop_core::report(const exception_report& r) noexcept {
  try {
    exception_handler(r);
  } catch (...) {
    default_exception_handler(r);
  }
}

}  // namespace detail

// --- weft::loop ---------------------------------------------------------

loop::loop(loop_options options) {
  if (detail::current_core != nullptr)
    throw invalid_state("weft: a loop cannot be made inside a running loop (one loop per thread)");
  core_ = std::make_unique<detail::loop_core>(*this, options);
}

loop::~loop() {
  detail::loop_core& core = *core_;
  if (core.closed) return;
  if (core.is_running) detail::fatal("a loop was destroyed while it runs (from inside its own task?)");
  if (detail::current_core == nullptr) {
    try {
      close();
      return;
    } catch (...) {
      core.report({"Exception while closing the loop in its destructor", "", std::current_exception()});
    }
  } else {
    // No turn can run here, so the tasks get no grace: they are unwound at
    // once (their destructors run) and the loop reports it.
    core.report(
        {"Loop destroyed while another loop runs on its thread: its tasks were unwound without a turn", "", nullptr});
    core.tasks.for_each([](detail::task_base* t) { detail::cancel_task(t); });
  }
  core.finish_close();
}

void loop::run_until_done(detail::task_base* t) {
  if (t == nullptr) throw invalid_state("weft: run_until_complete of an empty task handle");
  if (t->loop != core_.get() && !t->done()) throw invalid_state("weft: run_until_complete of another loop's task");
  run_until(t->phase);
}

void loop::run_until_done(detail::future_base* f) {
  if (f == nullptr) throw invalid_state("weft: run_until_complete of an empty future handle");
  if (f->loop != core_.get() && !f->done()) throw invalid_state("weft: run_until_complete of another loop's future");
  run_until(f->phase);
}

void loop::run_until(const detail::task_phase& phase) {
  detail::running_scope scope(*core_);
  core_->awaited = &phase;
  auto done = [&] { return detail::is_done(phase); };
  struct forget {
    detail::loop_core& core;
    ~forget() { core.awaited = nullptr; }
  } guard{*core_};
  while (!done()) {
    if (!core_->turn()) core_->raise_deadlock();
    // asyncio's run_until_complete raises when stop() ends its run early.
    // Ignoring the stop would spin: a returning loop neither blocks nor
    // moves virtual time on.
    if (core_->stop_requested && !done()) {
      core_->stop_requested = false;
      throw invalid_state("weft: loop stopped before the task completed");
    }
  }
}

void loop::run_forever() {
  detail::running_scope scope(*core_);
  // A stop() made before the run is kept: the run then makes exactly one
  // turn (asyncio's documented rule).
  for (;;) {
    bool alive = core_->turn();
    if (core_->stop_requested) break;
    if (!alive) core_->raise_deadlock();
  }
  core_->stop_requested = false;
}

void loop::stop() noexcept { core_->stop_requested = true; }
bool loop::is_running() const noexcept { return core_->is_running; }
bool loop::is_closed() const noexcept { return core_->closed; }

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

void loop::call_exception_handler(const exception_report& report) {
  core_->check_thread("loop::call_exception_handler");
  core_->report(report);
}

std::string loop::dump() const { return core_->dump(); }

loop::keep_alive::keep_alive(loop& lp) : core_(lp.core_.get()) {
  core_->keep_alive_count.fetch_add(1, std::memory_order_acq_rel);
}
loop::keep_alive::keep_alive(const keep_alive& other) : core_(other.core_) {
  core_->keep_alive_count.fetch_add(1, std::memory_order_acq_rel);
}
loop::keep_alive::~keep_alive() {
  if (core_->keep_alive_count.fetch_sub(1, std::memory_order_acq_rel) == 1) core_->reactor.wake();
}

void detail::loop_core::finish_close() noexcept {
  // Whatever is still stuck is unwound by force (its destructors run);
  // first empty the run queue, which may still hold some of them.
  drop_callbacks();
  tasks.for_each([this](task_base* t) {
    running = t;  // code unwinding in it may still ask for its task
    t->fib = fiber();
    running = nullptr;
    task_finished(t);
  });
  held.for_each([this](task_base* t) {
    if (t->error && !t->retrieved && !t->was_cancelled()) report_unretrieved(*this, t);
    held.erase(t);
    t->loop = nullptr;
  });
  disown_futures(*this);
  drop_callbacks();
  idle_workers_.clear();
  default_executor.reset();  // no task is left to wait on its jobs
  closed = true;
}

void detail::loop_core::refuse_other_thread(const char* op) {
  throw invalid_state(std::string("weft: ") + op +
                      " from another thread than the loop's (a loop is bound to the thread that made it; "
                      "from other threads use loop::call_soon_threadsafe)");
}

void loop::close() {
  detail::loop_core& core = *core_;
  if (core.closed) return;
  core.check_thread("loop::close");
  if (core.is_running) throw invalid_state("weft: close() of a running loop");
  // Cancel what is alive and let it clean up, for at most the grace period
  // (on the loop's clock) and as long as anything can still happen.
  core.tasks.for_each([](detail::task_base* t) { detail::cancel_task(t); });
  if (!core.tasks.empty()) {
    detail::running_scope scope(core);
    // The grace ends by its own flag: a stop() left pending from before, or
    // made by a task while it cleans up, must not cut it short, so each is
    // dropped. Its end also requests a stop, so that the turn it ends in
    // neither blocks nor moves virtual time on (returning()).
    core.stop_requested = false;
    core.closing = true;
    bool grace_over = false;
    // Cancelled on every way out, a throwing turn included: the timer
    // refers to this frame.
    struct grace_timer {
      timer_handle handle;
      ~grace_timer() { handle.cancel(); }
    } grace{call_later(core.options.close_grace, [&core, &grace_over] {
      grace_over = true;
      core.stop_requested = true;
    })};
    while (!core.tasks.empty() && !grace_over && core.turn()) core.stop_requested = false;
    core.stop_requested = false;
    core.closing = false;
  }
  core.finish_close();
}

}  // namespace weft
