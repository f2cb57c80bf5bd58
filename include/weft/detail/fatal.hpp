// Broken invariants and misuse that cannot be reported to a caller end the
// process with one line on stderr, in every build type: "weft: <what>".
//
//   WEFT_ASSERT(cond, what)   checked in every build
//   WEFT_DASSERT(cond, what)  checked only in debug builds (NDEBUG unset):
//                             preconditions on hot paths (list, queue, heap)
#pragma once

namespace weft::detail {

// Prints "weft: <what>" and aborts. Out of line and plainly named, so it
// shows in backtraces. Safe in a signal handler only if `what` is static.
[[noreturn, gnu::cold]] void fatal(const char* what) noexcept;

// The same with a printf format, for messages that name the fiber, task or
// primitive involved. Not for signal handlers (stdio is not async-signal-safe).
[[noreturn, gnu::cold, gnu::format(printf, 1, 2)]] void fatalf(const char* format, ...) noexcept;

}  // namespace weft::detail

#define WEFT_ASSERT(cond, what)    \
  do {                             \
    if (!(cond)) [[unlikely]]      \
      ::weft::detail::fatal(what); \
  } while (false)

#ifdef NDEBUG
#define WEFT_DASSERT(cond, what) \
  do {                           \
  } while (false)
#else
#define WEFT_DASSERT(cond, what) WEFT_ASSERT(cond, what)
#endif
