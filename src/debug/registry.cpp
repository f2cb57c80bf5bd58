// The list of live loops that debuggers read, and the gdb extension embedded
// in every program that links weft. See registry.hpp.
#include "debug/registry.hpp"

#include "annotated_mutex.hpp"
#include "loop/loop_core.hpp"

extern "C" {
__attribute__((used)) weft::detail::loop_registration* weft_debug_loops = nullptr;
#if defined(WEFT_CONTEXT_BOOST)
__attribute__((used)) const char weft_debug_context_backend[] = "boost";
#else
__attribute__((used)) const char weft_debug_context_backend[] = "asm";
#endif
}

// src/gdb/weft_gdb.py as an inline-script entry of .debug_gdb_scripts
// (prefix byte 4, the script's name up to a newline, its text, a NUL), so
// that gdb auto-loads the extension from the program itself, whatever its
// name and wherever it lives, once `auto-load safe-path` allows that path.
// "MS": the linker keeps one copy however many objects carry it. The section
// is not allocated: it costs the running program nothing, and strip
// removes it along with the debug information the script needs anyway.
#if defined(WEFT_GDB_SCRIPT)
__asm__(
    ".pushsection \".debug_gdb_scripts\", \"MS\", %progbits, 1\n"
    ".byte 4\n"
    ".ascii \"weft_gdb.py\\n\"\n"
    ".incbin \"" WEFT_GDB_SCRIPT
    "\"\n"
    ".byte 0\n"
    ".popsection\n");
#endif

namespace weft::detail {

namespace {
constinit annotated_mutex registry_mutex;  // guards weft_debug_loops and the links (gdb reads them unlocked)
}  // namespace

loop_registration::loop_registration(loop_core& c) : core(&c), dump_signal(c.options.dump_signal) {
  if (dump_signal != 0) dump_slot_ = claim_dump_slot(this);
  lock_guard lock(registry_mutex);
  next = weft_debug_loops;
  if (next != nullptr) next->prev = this;
  weft_debug_loops = this;
}

loop_registration::~loop_registration() {
  if (dump_slot_ >= 0) release_dump_slot(dump_slot_, dump_signal);
  lock_guard lock(registry_mutex);
  if (prev != nullptr) prev->next = next;
  else weft_debug_loops = next;
  if (next != nullptr) next->prev = prev;
}

}  // namespace weft::detail
