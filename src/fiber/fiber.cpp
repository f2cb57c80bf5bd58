// Fiber creation, entry and exit, destruction with forced unwind, and the
// cold paths of resume/suspend. The hot switch paths are inline in
// weft/detail/fiber/fiber_switch.hpp.
#include "weft/fiber.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

#include "weft/detail/fatal.hpp"
#include "weft/detail/fiber/fiber_switch.hpp"
#include "weft/detail/sanitizer.hpp"
#include "weft/error.hpp"

namespace weft {
namespace detail {

constinit thread_local thread_state this_thread{};

namespace {

// Ids are unique per process. Each thread takes them in blocks, so making a
// fiber costs no atomic read-modify-write (a locked instruction) each time.
std::atomic<std::uint64_t> next_id_block{1};
constexpr std::uint64_t id_block_size = 1024;

std::uint64_t next_fiber_id() noexcept {
  thread_local std::uint64_t next = 0, end = 0;
  if (next == end) [[unlikely]] {
    next = next_id_block.fetch_add(id_block_size, std::memory_order_relaxed);
    end = next + id_block_size;
  }
  return next++;
}

// How often a fiber being destroyed may suspend again before weft gives up
// on unwinding it (a body that swallows forced_unwind in a loop).
constexpr int max_unwind_resumes = 64;

[[noreturn]] void fail(const fiber_control* f, const char* what) noexcept {
  fatalf("%s (fiber #%llu '%s')", what, static_cast<unsigned long long>(f ? f->id : 0), f ? f->name.c_str() : "");
}

// The fiber's life once it first runs (f->resumer set): the body, then the
// last switch. The stack is about to be released then, so ASan is told to
// drop the fiber's fake frames (null save slot).
[[noreturn]] void run_fiber(fiber_control* f) noexcept {
#if defined(WEFT_ASAN)
  __sanitizer_finish_switch_fiber(nullptr, &f->resumer_stack_bottom, &f->resumer_stack_size);
#endif
  try {
    f->ops->invoke(f->body);
  } catch (const forced_unwind&) {
  } catch (...) {
    f->error = std::current_exception();
  }
  f->ops->destroy(f->body);
  check_canary(*f);
  f->state = fiber_state::finished;
#if defined(WEFT_ASAN)
  __sanitizer_start_switch_fiber(nullptr, f->resumer_stack_bottom, f->resumer_stack_size);
#endif
#if defined(WEFT_TSAN)
  __tsan_switch_to_fiber(f->resumer_tsan_fiber, 0);
#endif
  with_switch_of(f, [f]<bool inlined> { jump<inlined>(f->resumer, f->context, f); });
  fail(f, "a finished fiber was resumed");
}

// First entry by weft_context_jump: the transfer carries the resumer.
[[noreturn]] void fiber_entry(weft_transfer t) noexcept {
  auto* f = static_cast<fiber_control*>(t.data);
  f->resumer = t.from;
  run_fiber(f);
}

#if WEFT_INLINE_SWITCH
// First entry by the inline switch, which has already stored the resumer.
[[noreturn]] void inline_fiber_entry(void* f) noexcept { run_fiber(static_cast<fiber_control*>(f)); }
#endif

// Lays out control block, callable and context at the top of the stack.
fiber_control* place_on_stack(const stack_allocation& stack, const body_ops& ops, void* body,
                              const exclusive_use* exclusive) {
  auto down = [](std::byte* p, std::size_t size, std::size_t align) {
    return reinterpret_cast<std::byte*>((reinterpret_cast<std::uintptr_t>(p) - size) & ~(align - 1));
  };
  std::byte* control_at = down(stack.top(), sizeof(fiber_control), alignof(fiber_control));
  std::byte* body_at = down(control_at, ops.size, ops.align < 16 ? 16 : ops.align);
  std::byte* context_top = down(body_at, 0, 16);
  if (static_cast<std::size_t>(context_top - stack.low) < page_size())
    throw std::length_error("weft: fiber callable does not fit on its stack");
  // Default-initialised: every member has an initialiser; `{}` would
  // zero-fill the whole block first.
  auto* f = ::new (control_at) fiber_control;
  f->stack = stack;
  ops.move_to(body, body_at);
  f->ops = &ops;
  f->body = body_at;
  if (exclusive != nullptr) {
    f->exclusive = true;
    f->exclusive_why = exclusive->why;
    f->inline_switch = have_inline_switch && exclusive->inline_switch;
  }
#if WEFT_INLINE_SWITCH
  if (f->inline_switch) {
    f->context = make_inline_context(context_top, &inline_fiber_entry, f);
    return f;
  }
#endif
  f->context = weft_context_make(context_top, static_cast<std::size_t>(context_top - stack.low), &fiber_entry);
  return f;
}

}  // namespace

void switch_into_slow(fiber_control* f) noexcept {
  eh_globals& live = *this_thread.eh;
  eh_globals mine;
  copy_eh(mine, live);
  copy_eh(live, f->eh);
  if (f->preserve_fp) {
    f->resumer_fp = read_fp_env();
    write_fp_env(f->fp);
  }
  with_switch_of(f, [f]<bool inlined> { enter<inlined>(f); });
  if (f->preserve_fp) {
    f->fp = read_fp_env();
    write_fp_env(f->resumer_fp);
  }
  copy_eh(f->eh, live);
  copy_eh(live, mine);
  f->slow_switch = f->preserve_fp || !eh_empty(f->eh);
}

void keep_fiber_eh(fiber_control* f) noexcept {
  eh_globals& live = *this_thread.eh;
  copy_eh(f->eh, live);
  copy_eh(live, eh_globals{});
  f->slow_switch = true;
}

void refuse_resume(fiber_control* f) {
  if (f == nullptr) throw invalid_state("weft: resume of an empty fiber");
  if (f->home_thread != running_thread()) fail(f, "a fiber was resumed on a thread other than the one that created it");
  throw invalid_state("weft: resume of a " + std::string(to_string(f->state)) + " fiber '" + f->name + "'");
}

void rethrow_fiber_error(fiber_control* f) { std::rethrow_exception(std::exchange(f->error, nullptr)); }

void suspend_refused(const fiber_control* f) {
  if (f == nullptr) throw invalid_state("weft: this_fiber::suspend() outside a fiber");
  fail(f, ("this_fiber::suspend() in a fiber of exclusive use: " + std::string(f->exclusive_why)).c_str());
}

void report_dense_overflow(const fiber_control& f) noexcept {
  fail(&f, "stack overflow detected: the canary below a dense stack was overwritten");
}

void throw_if_destroying() {
  // A destructor that suspends while the forced unwind is already in flight
  // just continues; anything else being resumed for destruction unwinds.
  if (std::uncaught_exceptions() == 0) throw forced_unwind{};
}

fiber_control* create_fiber(const body_ops& ops, void* body, const fiber_options& options, std::source_location where,
                            const exclusive_use* exclusive) {
  stack_allocation stack = allocate_stack(options.stack, options.stack_size);
  install_overflow_handler();
  fiber_control* f;
  try {
    f = place_on_stack(stack, ops, body, exclusive);
  } catch (...) {
    release_stack(stack);
    throw;
  }
  f->home_thread = running_thread();
  f->id = next_fiber_id();
  if (!options.name.empty()) f->name.assign(options.name);  // most fibers are unnamed
  f->created_at = where;
  f->preserve_fp = options.preserve_fp_env;
  f->slow_switch = f->preserve_fp;
  if (f->preserve_fp) f->fp = read_fp_env();
  if (this_thread.eh == nullptr) [[unlikely]]
    this_thread.eh = this_thread_eh_globals();
#if defined(WEFT_TSAN)
  f->tsan_fiber = __tsan_create_fiber(0);
#endif
  return f;
}

// Apart, so that relabelling an unnamed worker for an unnamed job (most
// jobs, like most fibers, are unnamed) saves no registers: spawn+join pays
// for relabel_fiber on every task.
namespace {
[[gnu::noinline]] void rename_fiber(fiber_control* f, std::string_view name) {
  if (f->name != name) f->name.assign(name);
}
}  // namespace

void relabel_fiber(fiber_control* f, std::string_view name, std::source_location where) {
  f->id = next_fiber_id();
  f->created_at = where;
  if (!name.empty() || !f->name.empty()) [[unlikely]]
    rename_fiber(f, name);  // last: a tail call
}

void destroy_fiber(fiber_control* f) noexcept {
  if (f == nullptr) return;
  if (f->home_thread != running_thread())
    fail(f, "a fiber was destroyed on a thread other than the one that created it");
  if (f->state == fiber_state::running) fail(f, "a running fiber was destroyed (from inside itself?)");
  if (f->state == fiber_state::created) f->ops->destroy(f->body);
  f->unwinding = true;
  for (int i = 0; f->state == fiber_state::suspended; ++i) {
    if (i == max_unwind_resumes) fail(f, "a fiber being destroyed keeps suspending (forced_unwind swallowed?)");
    with_switch_of(f, [f]<bool inlined> { resume_control<inlined>(f); });
  }
  if (f->error) {
    // The body turned the forced unwind into another exception; nobody can
    // receive it now, so say so rather than lose it.
    try {
      std::rethrow_exception(f->error);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "weft: fiber #%llu '%s' threw while being destroyed: %s\n",
                   static_cast<unsigned long long>(f->id), f->name.c_str(), e.what());
    } catch (...) {
      std::fprintf(stderr, "weft: fiber #%llu '%s' threw a non-std exception while being destroyed\n",
                   static_cast<unsigned long long>(f->id), f->name.c_str());
    }
  }
#if defined(WEFT_TSAN)
  __tsan_destroy_fiber(f->tsan_fiber);
#endif
  stack_allocation stack = f->stack;
  f->~fiber_control();
  release_stack(stack);
}

}  // namespace detail

std::string_view to_string(fiber_state state) noexcept {
  switch (state) {
    case fiber_state::created: return "created";
    case fiber_state::running: return "running";
    case fiber_state::suspended: return "suspended";
    case fiber_state::finished: return "finished";
  }
  return "?";
}

std::uint64_t fiber::id() const noexcept { return control_ ? control_->id : 0; }
std::string_view fiber::name() const noexcept { return control_ ? std::string_view(control_->name) : ""; }
std::source_location fiber::created_at() const noexcept {
  return control_ ? control_->created_at : std::source_location{};
}
stack_mode fiber::stack() const noexcept { return control_ ? control_->stack.mode : stack_mode::automatic; }
std::size_t fiber::stack_size() const noexcept { return control_ ? control_->stack.size : 0; }

std::size_t fiber::stack_high_water() const noexcept {
  return control_ ? detail::stack_high_water(control_->stack) : 0;
}

namespace this_fiber {

bool in_fiber() noexcept { return detail::this_thread.current != nullptr; }
std::uint64_t id() noexcept {
  auto* f = detail::this_thread.current;
  return f ? f->id : 0;
}
std::string_view name() noexcept {
  auto* f = detail::this_thread.current;
  return f ? std::string_view(f->name) : "";
}

}  // namespace this_fiber
}  // namespace weft
