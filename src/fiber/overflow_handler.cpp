// Turning a stack overflow's fault into a one-line report naming the fiber.
//
// A fault is an overflow of the running fiber's stack when it lies in that
// stack's guard, or when the stack pointer is already below the stack (a
// frame larger than the guard, or a dense slab's first stack running off
// the slab): stack_allocation::overflow_fault().
//
// A stack overflow faults with the stack pointer already in the guard,
// so the handler cannot run on the faulting stack: every thread that owns
// guarded fibers gets an alternate signal stack. The handler only reads the
// thread's current fiber (a TLS load) and formats with write(2): nothing in
// it allocates or takes a lock. A fault that is not ours goes to whatever
// handler was installed before (ASan's, a crash reporter's, or the default).
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <system_error>

#include "weft/detail/fatal.hpp"
#include "weft/detail/fiber/fiber_switch.hpp"

namespace weft::detail {
namespace {

struct sigaction previous_segv {};
constexpr std::size_t alt_stack_size = 64 * 1024;

struct line_writer {
  char buf[512];
  std::size_t len = 0;
  void text(const char* s) {
    while (*s && len < sizeof buf) buf[len++] = *s++;
  }
  void number(unsigned long long v, unsigned base = 10) {
    char digits[24];
    int n = 0;
    do {
      digits[n++] = "0123456789abcdef"[v % base];
      v /= base;
    } while (v != 0);
    while (n > 0 && len < sizeof buf) buf[len++] = digits[--n];
  }
  void flush() {
    std::size_t off = 0;
    while (off < len) {
      ssize_t w = ::write(STDERR_FILENO, buf + off, len - off);
      if (w <= 0) break;
      off += static_cast<std::size_t>(w);
    }
  }
};

void chain_to_previous(int sig, siginfo_t* info, void* uctx) {
  if (previous_segv.sa_flags & SA_SIGINFO) {
    previous_segv.sa_sigaction(sig, info, uctx);
  } else if (previous_segv.sa_handler != SIG_DFL && previous_segv.sa_handler != SIG_IGN) {
    previous_segv.sa_handler(sig);
  } else {
    // Reinstate the default and return: the faulting instruction runs
    // again and the fault now takes its ordinary course (core dump).
    ::sigaction(SIGSEGV, &previous_segv, nullptr);
  }
}

const void* stack_pointer(const void* uctx) noexcept {
  const auto* uc = static_cast<const ucontext_t*>(uctx);
#if defined(__x86_64__)
  return reinterpret_cast<const void*>(uc->uc_mcontext.gregs[REG_RSP]);
#elif defined(__aarch64__)
  return reinterpret_cast<const void*>(uc->uc_mcontext.sp);
#else
  (void)uc;
  return nullptr;  // the guard alone decides
#endif
}

void on_segv(int sig, siginfo_t* info, void* uctx) {
  const fiber_control* f = this_thread.current;
  if (f != nullptr && f->stack.overflow_fault(info->si_addr, stack_pointer(uctx)))
    report_stack_overflow(*f, info->si_addr);
  chain_to_previous(sig, info, uctx);
}

void install_alt_stack() {
  stack_t current{};
  if (::sigaltstack(nullptr, &current) == 0 && !(current.ss_flags & SS_DISABLE)) return;  // one exists
  void* mem = ::mmap(nullptr, alt_stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "weft: mmap of a signal stack");
  stack_t ss{};
  ss.ss_sp = mem;
  ss.ss_size = alt_stack_size;
  if (::sigaltstack(&ss, nullptr) != 0) {
    int err = errno;
    WEFT_ASSERT(::munmap(mem, alt_stack_size) == 0, "munmap of an unused signal stack failed");
    throw std::system_error(err, std::generic_category(), "weft: sigaltstack");
  }
  // The signal stack lives as long as the thread; the kernel forgets it
  // when the thread exits, and the mapping is leaked deliberately (64 KiB
  // per thread that ever made a guarded fiber).
}

void install_process_handler() {
  struct sigaction sa {};
  sa.sa_sigaction = &on_segv;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  if (::sigaction(SIGSEGV, &sa, &previous_segv) != 0)
    throw std::system_error(errno, std::generic_category(), "weft: sigaction(SIGSEGV)");
}

}  // namespace

// Runs inside the SIGSEGV handler, so it writes with write(2) through
// line_writer and aborts itself: detail::fatal uses stdio, which is not
// async-signal-safe.
[[noreturn]] __attribute__((noinline)) void report_stack_overflow(const fiber_control& f,
                                                                  const void* fault_address) noexcept {
  line_writer w;
  w.text("weft: stack overflow in fiber #");
  w.number(f.id);
  w.text(" '");
  w.text(f.name.c_str());
  w.text("' (");
  w.text(to_string(f.stack.mode).data());  // a literal, so NUL-terminated
  w.text(" stack of ");
  w.number(f.stack.size);
  w.text(" bytes, guard of ");
  w.number(f.stack.guard);
  w.text(" bytes; fault at 0x");
  w.number(reinterpret_cast<std::uintptr_t>(fault_address), 16);
  w.text(")\n");
  w.flush();
  std::abort();
}

void install_overflow_handler() {
  thread_local bool installed = false;
  if (installed) [[likely]]
    return;
  static std::once_flag process_once;
  std::call_once(process_once, install_process_handler);
  install_alt_stack();
  installed = true;
}

}  // namespace weft::detail
