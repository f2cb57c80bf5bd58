// The process-wide list of live loops, kept for debuggers, and the fiber dump
// on a signal (loop_options::dump_signal). Private to the library.
//
// gdb entry point: `weft_debug_loops`, an extern "C" pointer to the first
// loop_registration of a null-terminated doubly linked list; each entry
// names its loop_core. src/gdb/weft_gdb.py finds every loop, task and fiber
// by reading memory from there, never by running code in the process, so it
// works on a core file as well as on a live process. The symbol is marked
// `used` and is referenced by every loop, so it is in every program that
// runs one. `weft_debug_context_backend` ("asm" or "boost") tells the
// script which frame a suspended fiber's saved context points to.
//
// The list changes under a mutex. A debugger that stops the process in the
// middle of a change may see a half-linked entry; the script stops at a
// null, repeated or unreadable pointer.
#pragma once

#include <atomic>

namespace weft::detail {

class loop_core;

// A member of loop_core, declared last: its constructor links the fully
// built loop into the list (and, with a dump signal, into the table the
// signal handler wakes); its destructor unlinks it before any other member
// is destroyed. Loop thread only, except where noted.
class loop_registration {
 public:
  // Throws std::invalid_argument or std::system_error if the loop's
  // dump_signal cannot be handled, invalid_state if more than
  // max_dump_loops loops ask for one at once.
  explicit loop_registration(loop_core& core);
  ~loop_registration();
  loop_registration(const loop_registration&) = delete;
  loop_registration& operator=(const loop_registration&) = delete;

  // At the start of each turn of the loop: writes the loop's dump to stderr
  // if its dump signal arrived since the last turn. One relaxed load when
  // it did not.
  void dump_if_requested() noexcept {
    if (dump_requested.load(std::memory_order_relaxed)) [[unlikely]]
      write_dump();
  }

  loop_core* const core;
  loop_registration* prev = nullptr;        // guarded by the list's mutex
  loop_registration* next = nullptr;        // guarded by the list's mutex
  const int dump_signal;                    // 0: none
  std::atomic<bool> dump_requested{false};  // set by the signal handler, any thread

 private:
  void write_dump() noexcept;
  int dump_slot_ = -1;  // index in the handler's table, -1: none
};

// src/debug/dump_signal.cpp: the signal handler's table of loops. claim
// installs the handler for r's signal on first use; release waits for any
// handler still looking at r before it returns, and restores the signal's
// previous action when the last loop using it is gone.
inline constexpr int max_dump_loops = 256;
int claim_dump_slot(loop_registration* r);
void release_dump_slot(int slot, int signal) noexcept;

}  // namespace weft::detail

extern "C" {
// The head of the list of live loops (see above); null when there is none.
extern weft::detail::loop_registration* weft_debug_loops;
extern const char weft_debug_context_backend[];
}
