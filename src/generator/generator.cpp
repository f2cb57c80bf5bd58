// The cold paths of weft/generator.hpp: protocol errors with the
// generator's name in the message, the signals a paused yield acts on, the
// end of a generator (detail::generator_base) and the destructor's report.
// Nothing here runs per value.
#include "weft/generator.hpp"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>

#include "weft/detail/fatal.hpp"

namespace weft {

std::string_view to_string(generator_state state) noexcept {
  switch (state) {
    case generator_state::created: return "created";
    case generator_state::running: return "running";
    case generator_state::suspended: return "suspended";
    case generator_state::closed: return "closed";
  }
  return "?";
}

const char* stop_iteration::what() const noexcept { return "weft: generator exhausted (stop_iteration)"; }

namespace detail {
namespace {

std::string label(std::string_view name, std::uint64_t id) {
  if (!name.empty()) return "generator '" + std::string(name) + "'";
  return "generator #" + std::to_string(id);
}

// Any thread may set it; the destructor reporting reads it once.
std::atomic<unraisable_hook> current_hook{nullptr};

[[noreturn]] void throw_not_started(const fiber_control& f) {
  throw generator_not_started("weft: can't send a value to just-started " + generator_label(f) +
                              " (call next() first)");
}

// PEP 479: the exception to report for a stop_iteration that escaped the
// body of `f`. Call from inside the catch block.
std::exception_ptr stop_iteration_escaped(const fiber_control& f) {
  try {
    std::throw_with_nested(generator_raised_stop_iteration("weft: " + generator_label(f) + " raised stop_iteration"));
  } catch (...) {
    return std::current_exception();
  }
}

}  // namespace

std::string generator_label(const fiber_control& f) { return label(f.name, f.id); }

void throw_already_executing(const fiber_control& f) {
  throw generator_already_executing("weft: " + generator_label(f) + " already executing");
}

void throw_ignored_exit(const fiber_control& f) {
  throw generator_ignored_exit("weft: " + generator_label(f) + " ignored generator_exit");
}

void throw_stop_iteration() { throw stop_iteration{}; }

void throw_no_exception(const fiber_control& f) {
  throw std::invalid_argument("weft: throw_in() on " + generator_label(f) + " with a null exception_ptr");
}

void throw_no_return_value(const fiber_control& f) {
  throw invalid_state("weft: yield_from in " + generator_label(f) + ": the delegate ended without returning a value");
}

void yield_outside_body(const fiber_control* f) noexcept {
  fatalf("yield on %s from outside its body (another fiber or thread)",
         f ? generator_label(*f).c_str() : "a generator that has ended");
}

void raise_signal(generator_signal& signal, std::exception_ptr& raised) {
  switch (signal) {
    case generator_signal::none: return;
    case generator_signal::raise:
      signal = generator_signal::none;
      std::rethrow_exception(std::exchange(raised, nullptr));
    case generator_signal::exit:
      signal = generator_signal::none;
      // A destructor yielding while an exception (say, the generator_exit
      // of an earlier close()) unwinds the body: let that unwind finish it.
      if (std::uncaught_exceptions() > 0) return;
      throw generator_exit{};
    case generator_signal::unwind:
      // Stays set: every later yield of a generator being destroyed unwinds.
      throw_if_destroying();
      return;
  }
}

bool is_generator_exit(const std::exception_ptr& e) noexcept {
  try {
    std::rethrow_exception(e);
  } catch (const generator_exit&) {
    return true;
  } catch (...) {
    return false;
  }
}

bool generator_base::settle(const fiber_control* f, generator_op op) {
  if (f->state == fiber_state::running) throw_already_executing(*f);
  if (op == generator_op::send && f->state == fiber_state::created) throw_not_started(*f);
  rethrow_error();
  switch (return_) {
    case return_status::pending: return_ = return_status::reported_now; return true;
    case return_status::reported_now: return_ = return_status::reported; return false;
    case return_status::none:
    case return_status::reported: return false;
  }
  return false;
}

void generator_base::raise_error() {
  error_is_exit_ = false;
  std::rethrow_exception(std::exchange(error_, nullptr));
}

void generator_base::closed() {
  if (return_ == return_status::pending) return_ = return_status::reported;
  if (error_is_exit_) {
    error_ = nullptr;
    error_is_exit_ = false;
  }
  rethrow_error();
}

void generator_base::body_raised(const fiber_control& f) {
  try {
    throw;
  } catch (const forced_unwind&) {
    throw;  // the fiber layer's, while the generator is destroyed
  } catch (const generator_exit&) {
    error_ = std::current_exception();
    error_is_exit_ = true;
  } catch (const stop_iteration&) {
    error_ = stop_iteration_escaped(f);
  } catch (...) {
    error_ = std::current_exception();
  }
}

void generator_base::report_unraisable(const fiber_control& f, std::exception_ptr error) noexcept {
  unraisable_hook hook = current_hook.load(std::memory_order_acquire);
  (hook != nullptr ? hook : &default_unraisable_hook)(unraisable{std::move(error), f.name, f.id, f.created_at});
}

}  // namespace detail

unraisable_hook set_unraisable_hook(unraisable_hook hook) noexcept {
  unraisable_hook previous = detail::current_hook.exchange(hook, std::memory_order_acq_rel);
  return previous != nullptr ? previous : &default_unraisable_hook;
}

void default_unraisable_hook(const unraisable& report) noexcept {
  std::string label = detail::label(report.name, report.id);
  std::string where = std::string(report.created_at.file_name()) + ":" + std::to_string(report.created_at.line());
  try {
    std::rethrow_exception(report.error);
  } catch (const generator_ignored_exit&) {
    std::fprintf(stderr, "weft: %s ignored generator_exit while being destroyed; unwinding it (created at %s)\n",
                 label.c_str(), where.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "weft: %s threw while being closed by its destructor: %s (created at %s)\n", label.c_str(),
                 e.what(), where.c_str());
  } catch (...) {
    std::fprintf(stderr, "weft: %s threw a non-std exception while being closed by its destructor (created at %s)\n",
                 label.c_str(), where.c_str());
  }
}

}  // namespace weft
