// Per-fiber C++ exception state.
//
// The C++ runtime keeps, per thread, the chain of exceptions currently
// caught (std::current_exception, rethrow) and the count of exceptions in
// flight (std::uncaught_exceptions). A fiber that suspends inside a catch
// block or inside a destructor during unwinding leaves its entries in that
// per-thread record; if the next fiber catches or throws, the chains
// interleave and __cxa_end_catch pops the wrong exception. So every switch
// saves the leaving side's record and installs the entering side's.
//
// The record is __cxa_eh_globals, declared (incomplete) in <cxxabi.h>. Its
// first two fields are the same in libsupc++ (unwind-cxx.h) and libc++abi
// (cxa_exception.h); the ARM EH ABI adds a third.
#pragma once

#include <cxxabi.h>

#include <cstdint>

namespace weft::detail {

struct eh_globals {
  void* caught_exceptions = nullptr;
  unsigned int uncaught_exceptions = 0;
#if defined(__ARM_EABI_UNWINDER__)
  void* propagating_exceptions = nullptr;
#endif
};

// Field by field, never as one block: the runtime writes the fields with
// separate 8- and 4-byte stores, and a 16-byte load of them right after a
// switch cannot be store-forwarded (a stall, measured).
inline void copy_eh(eh_globals& to, const eh_globals& from) noexcept {
  to.caught_exceptions = from.caught_exceptions;
  to.uncaught_exceptions = from.uncaught_exceptions;
#if defined(__ARM_EABI_UNWINDER__)
  to.propagating_exceptions = from.propagating_exceptions;
#endif
}

// One test and one branch for both fields (this runs twice per switch).
inline bool eh_empty(const eh_globals& eh) noexcept {
  return (reinterpret_cast<std::uintptr_t>(eh.caught_exceptions) | eh.uncaught_exceptions) == 0;
}

inline eh_globals* this_thread_eh_globals() noexcept { return reinterpret_cast<eh_globals*>(abi::__cxa_get_globals()); }

}  // namespace weft::detail
