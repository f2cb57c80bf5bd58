# weft_gdb.py - gdb commands for weft's tasks and fibers.
#
#   info weft-fibers          every task of every live weft::loop: id, name,
#                             state (running/ready/waiting), what it waits on
#                             (the words of loop::dump()), where it was spawned,
#                             its stack size and high-water mark
#   weft-bt ID [BT-ARGS]      the backtrace of task ID's fiber, from the
#                             function it suspended in; BT-ARGS go to gdb's
#                             backtrace (e.g. `weft-bt 3 -full`)
#   weft-bt all [BT-ARGS]     the same for every task
#
# Works on a live process and on a core file alike, with either context
# backend (asm or Boost.Context) on x86-64. The AArch64 frame layouts are
# below too but untested: the machine this was written on has no AArch64 gdb.
# It reads weft's structures through their DWARF types, never through
# hard-coded offsets (except the switch frame, whose layout the asm files
# fix). src/debug/registry.cpp is compiled with -g in every build type, so
# those types are in Release programs too; the rest of the program needs -g
# only for file:line and arguments in the backtraces (without it, gdb
# unwinds through .eh_frame and shows function names).
#
# Loading. The script is embedded in every program linked with weft, as an
# inline-script entry of the .debug_gdb_scripts section (src/debug/
# registry.cpp), so gdb loads it by itself once auto-loading from that
# program is allowed:  add-auto-load-safe-path /path/to/program  (or
# `set auto-load safe-path /` in ~/.gdbinit). It is also installed as
# share/weft/gdb/weft_gdb.py for `source`. Loading it twice is harmless.
#
# Finding the loops. The library keeps every live loop in a list headed by
# the extern "C" variable `weft_debug_loops` (src/debug/registry.hpp). From
# there the script walks each loop_core's list of unfinished tasks, reading
# memory only, so nothing runs in the inferior (a core file has nothing to
# run). `weft_debug_context_backend` says which switch saved the fibers.
#
# How weft-bt unwinds a suspended fiber. A suspended fiber is its saved
# stack pointer (fiber_control::context) with the switch's frame under it:
# the callee-saved registers and the resume address. The usual trick,
# writing that into $sp/$pc/$fp, running `bt` and restoring them, needs a
# process: a core file's registers cannot be written. `frame view` (gdb 10+)
# makes a frame from a stack address and a pc only, and unwinds it with the
# thread's real registers, so it walks the wrong stack (on gdb 13.1, `up`
# from such a frame lands in the thread's own frame #1). What works for both,
# on gdb 13.1 as on newer ones, is a Python frame unwinder (gdb.unwinder):
# for the duration of one weft-bt it claims the innermost real frame of the
# selected thread (the carrier) and says that frame's caller has the
# fiber's saved registers. gdb's own DWARF unwinder then walks the fiber's
# stack from the suspension point outwards, with inline frames, arguments
# and `bt full` locals. The carrier's frames are dropped from the output
# and the rest renumbered from #0. The carrier's frame id is given the
# fiber's stack pointer, so gdb's check that each caller is outer to its
# callee holds wherever the fiber's stack was mapped. Nothing in the
# inferior is written, and the frame cache is flushed before and after.
#
# Frame layouts (offsets from the saved stack pointer; the fiber resumes
# with its stack pointer at `sp`):
#   x86-64 asm     asm/switch_x86_64_sysv_elf.S: r12 r13 r14 r15 rbx rbp
#                  at 0x00..0x28, resume address 0x30, sp +0x38
#   x86-64 boost   Boost 1.74 jump_fcontext: mxcsr/x87 cw 0x00, r12 r13 r14
#                  r15 rbx rbp at 0x08..0x30, return address 0x38, sp +0x40
#   AArch64 asm    asm/switch_aarch64_aapcs_elf.S: d8-d15 0x00, x19-x28
#                  0x40, fp 0x90, lr (resume address) 0x98, sp +0xa0
#   AArch64 boost  Boost jump_arm64_aapcs_elf_gas.S: as asm, then pc 0xa0,
#                  sp +0xb0

import re
import struct

import gdb
import gdb.unwinder

_LAYOUTS = {
    ("x86_64", "asm"): {
        "regs": {"r12": 0x00, "r13": 0x08, "r14": 0x10, "r15": 0x18, "rbx": 0x20, "rbp": 0x28},
        "pc": 0x30, "sp": 0x38, "pc_name": "rip", "sp_name": "rsp"},
    ("x86_64", "boost"): {
        "regs": {"r12": 0x08, "r13": 0x10, "r14": 0x18, "r15": 0x20, "rbx": 0x28, "rbp": 0x30},
        "pc": 0x38, "sp": 0x40, "pc_name": "rip", "sp_name": "rsp"},
    ("aarch64", "asm"): {
        "regs": dict([("x%d" % (19 + i), 0x40 + 8 * i) for i in range(10)] + [("x29", 0x90), ("x30", 0x98)]),
        "pc": 0x98, "sp": 0xa0, "pc_name": "pc", "sp_name": "sp"},
    ("aarch64", "boost"): {
        "regs": dict([("x%d" % (19 + i), 0x40 + 8 * i) for i in range(10)] + [("x29", 0x90), ("x30", 0x98)]),
        "pc": 0xa0, "sp": 0xb0, "pc_name": "pc", "sp_name": "sp"},
}

# loop.cpp's to_string(wait_kind), so both report a wait in the same words.
_WAIT_WORDS = {
    "none": "ready", "sleep": "sleep", "readable": "fd readable", "writable": "fd writable",
    "join": "join", "primitive": "sync", "executor": "executor", "signal": "signal",
}

# A loop or task list longer than this is taken for a corrupt one.
_MAX_ITEMS = 10_000_000


def _arch():
    name = gdb.selected_inferior().architecture().name()
    if "x86-64" in name:
        return "x86_64"
    if "aarch64" in name:
        return "aarch64"
    raise gdb.GdbError("weft: no fiber frame layout for architecture %s" % name)


def _backend():
    try:
        return gdb.parse_and_eval("weft_debug_context_backend").string()
    except gdb.error:
        return "asm"


def _layout():
    key = (_arch(), _backend())
    if key not in _LAYOUTS:
        raise gdb.GdbError("weft: no fiber frame layout for %s with the %s backend" % key)
    return _LAYOUTS[key]


def _string(value):
    """A std::string, std::string_view or const char* as a Python str."""
    t = value.type.strip_typedefs()
    if t.code == gdb.TYPE_CODE_PTR:
        return value.string() if int(value) != 0 else ""
    fields = [f.name for f in t.fields()]
    if "_M_str" in fields:  # std::string_view
        n = int(value["_M_len"])
        return value["_M_str"].string(length=n) if n else ""
    if "_M_dataplus" in fields:  # std::string (libstdc++, C++11 ABI)
        n = int(value["_M_string_length"])
        return value["_M_dataplus"]["_M_p"].string(length=n) if n else ""
    return str(value)


def _base_offset(derived, base_name):
    """Byte offset of the base class `base_name` inside `derived`."""
    for f in derived.strip_typedefs().fields():
        if f.is_base_class and f.type.strip_typedefs().name.endswith(base_name):
            return f.bitpos // 8
    raise gdb.GdbError("weft: %s has no base %s" % (derived, base_name))


class Task:
    """What the script knows about one task, read from the inferior."""

    def __init__(self, core, value):
        self.core = core
        self.value = value
        self.id = int(value["id"])
        name = _string(value["name"])
        self.name = name if name else "task-%d" % self.id
        # task_phase (weft/detail/loop/task_state.hpp): created, running,
        # parked, finished, cancelled.
        phase = str(value["phase"]).split("::")[-1]
        self.parked = phase == "parked"
        # A pooled worker waiting for its new task is a suspended fiber too:
        # whether the body has run is the task's to say.
        self.started = phase != "created"
        self.control = value["fib"]["control_"]
        self.fiber_state = None
        if int(self.control) != 0:
            self.fiber_state = str(self.control["state"]).split("::")[-1]
        self.running = int(core["running"]) == int(value.address)

    def state(self):
        if self.running:
            return "running"
        if not self.parked:
            return "ready" if self.started else "ready (not started)"
        return "waiting"

    def wait_words(self):
        """What a waiting task waits on, as loop_core::dump() says it."""
        w = self.value["waiting"]
        kind = str(w["kind"]).split("::")[-1]
        words = "waiting on " + _WAIT_WORDS.get(kind, kind)
        what = _string(w["what"])
        if what:
            words += " " + what
        name = _string(w["name"])
        if name:
            words += " '%s'" % name
        joined = w["joined"]
        if int(joined) != 0:
            jname = _string(joined["name"])
            words += " '%s'" % (jname if jname else "task-%d" % int(joined["id"]))
        fd = int(w["fd"])
        if fd >= 0:
            words += " fd %d" % fd
        return words

    def spawned_at(self):
        impl = self.value["spawned_at"]["_M_impl"]
        if int(impl) == 0:
            return "?"
        return "%s:%d" % (impl["_M_file_name"].string(), int(impl["_M_line"]))

    def stack_range(self):
        stack = self.control["stack"]
        low = int(stack["low"])
        return low, low + int(stack["size"])

    def stack_words(self):
        """Its stack's size and high-water mark, as loop_core::dump() says them.
        The mark is the distance from the top to the lowest byte that is not
        zero: a stack's pages start zeroed (untouched ones read as zeros, in a
        core file too), and a recycled stack keeps what earlier fibers wrote,
        so like dump()'s it is an upper bound."""
        if int(self.control) == 0:
            return "stack ?"
        low, high = self.stack_range()
        try:
            memory = bytes(gdb.selected_inferior().read_memory(low, high - low))
        except gdb.MemoryError:
            return "stack %d KiB" % ((high - low) // 1024)
        used = len(memory.lstrip(b"\0"))
        return "stack %d KiB, high water %d KiB" % ((high - low) // 1024, (used + 1023) // 1024)


def _loops():
    """(address, loop_core value) of every registered loop, newest first."""
    try:
        head = gdb.parse_and_eval("weft_debug_loops")
    except gdb.error as e:
        raise gdb.GdbError("weft: %s (is this program linked with weft, and built with -g?)" % e)
    if head.type.strip_typedefs().code != gdb.TYPE_CODE_PTR:
        raise gdb.GdbError("weft: weft_debug_loops has no type: weft was built without debug information")
    loops, seen, node = [], set(), head
    while int(node) != 0 and int(node) not in seen and len(loops) < _MAX_ITEMS:
        seen.add(int(node))
        core = node["core"].dereference()
        loops.append((int(node["core"]), core))
        node = node["next"]
    return loops


def _tasks(core):
    """The loop's unfinished tasks, in its list's order (spawn order)."""
    task_type = gdb.lookup_type("weft::detail::task_base")
    offset = _base_offset(task_type, "list_hook")
    root = core["tasks"]["root_"]
    root_address = int(root.address)
    tasks, hook, n = [], root["next"], 0
    while int(hook) != root_address and int(hook) != 0 and n < _MAX_ITEMS:
        address = int(hook) - offset
        tasks.append(Task(core, gdb.Value(address).cast(task_type.pointer()).dereference()))
        hook = hook["next"]
        n += 1
    return tasks


def _all_tasks():
    return [(address, core, t) for address, core in _loops() for t in _tasks(core)]


def _thread_on_stack(low, high):
    """The thread whose stack pointer lies in [low, high), or None."""
    sp_name = _layout()["sp_name"]
    selected = gdb.selected_thread()
    found = None
    try:
        for thread in gdb.selected_inferior().threads():
            thread.switch()
            sp = int(gdb.newest_frame().read_register(sp_name))
            if low <= sp < high:
                found = thread
                break
    finally:
        if selected is not None:
            selected.switch()
    return found


class InfoWeftFibers(gdb.Command):
    """List the tasks of every weft::loop of the program.

Usage: info weft-fibers
For each loop: every unfinished task's id, name and state (running, ready,
waiting), what a waiting task waits on, where the task was spawned, and its
stack's size and high-water mark (an upper bound: a recycled stack keeps
what earlier fibers wrote)."""

    def __init__(self):
        super().__init__("info weft-fibers", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        loops = _loops()
        if not loops:
            print("No weft loops.")
            return
        for address, core in loops:
            tasks = _tasks(core)
            print("weft loop 0x%x: %d task%s (%s context%s)" % (
                address, len(tasks), "" if len(tasks) == 1 else "s", _backend(),
                ", virtual time" if bool(core["options"]["virtual_time"]) else ""))
            for t in tasks:
                state = t.state()
                if t.running:
                    low, high = t.stack_range()
                    thread = _thread_on_stack(low, high)
                    if thread is not None:
                        state += " (thread %d)" % thread.num
                elif t.parked:
                    state = t.wait_words()
                print("  task #%d '%s' %s (spawned at %s) %s" % (t.id, t.name, state, t.spawned_at(), t.stack_words()))


class _FrameId:
    """A frame id for create_unwind_info; gdb 13 wants gdb.Values in it."""

    def __init__(self, sp, pc):
        self.sp = sp
        self.pc = pc


class _FiberUnwinder(gdb.unwinder.Unwinder):
    """Gives the carrier frame a suspended fiber's registers as its caller's.

Inert unless weft-bt has set `fiber`. The carrier is the innermost
non-inline frame of the selected thread: the first frame asked about whose
stack pointer is the thread's own."""

    def __init__(self):
        super().__init__("weft-fiber")
        # (layout, thread sp as int, saved sp as gdb.Value, {register: gdb.Value})
        self.fiber = None
        self.carrier_level = None

    def __call__(self, pending_frame):
        if self.fiber is None:
            return None
        layout, thread_sp, saved_sp, registers = self.fiber
        if int(pending_frame.read_register(layout["sp_name"])) != thread_sp:
            return None
        pc = pending_frame.read_register(layout["pc_name"])
        info = pending_frame.create_unwind_info(_FrameId(saved_sp, pc))
        for name, value in registers.items():
            info.add_saved_register(name, value)
        self.carrier_level = pending_frame.level()
        return info


_unwinder = _FiberUnwinder()
gdb.unwinder.register_unwinder(None, _unwinder, replace=True)


def _saved_registers(layout, context):
    """The registers a suspended fiber resumes with, as gdb.Values."""
    frame = gdb.newest_frame()
    size = max(list(layout["regs"].values()) + [layout["pc"]]) + 8
    words = gdb.selected_inferior().read_memory(context, size).tobytes()

    def word(offset):
        return struct.unpack_from("<Q", words, offset)[0]

    def typed(name, value):
        return gdb.Value(value).cast(frame.read_register(name).type)

    registers = {name: typed(name, word(offset)) for name, offset in layout["regs"].items()}
    registers[layout["pc_name"]] = typed(layout["pc_name"], word(layout["pc"]))
    registers[layout["sp_name"]] = typed(layout["sp_name"], context + layout["sp"])
    return registers, typed(layout["sp_name"], context)


def _fiber_backtrace(task, bt_args):
    """gdb's backtrace of a suspended fiber, carrier frames removed."""
    layout = _layout()
    context = int(task.control["context"])
    selected_level = gdb.selected_frame().level()
    thread_sp = int(gdb.newest_frame().read_register(layout["sp_name"]))
    registers, saved_sp = _saved_registers(layout, context)
    _unwinder.fiber = (layout, thread_sp, saved_sp, registers)
    _unwinder.carrier_level = None
    gdb.invalidate_cached_frames()
    try:
        text = gdb.execute("backtrace " + bt_args, to_string=True)
        carrier = _unwinder.carrier_level
    finally:
        _unwinder.fiber = None
        gdb.invalidate_cached_frames()
        frame = gdb.newest_frame()
        while frame is not None and frame.level() < selected_level:
            frame = frame.older()
        if frame is not None:
            frame.select()
    if carrier is None:
        raise gdb.GdbError("weft: could not attach the fiber's frames to thread %d" % gdb.selected_thread().num)
    # Keep the fiber's frames: those after the carrier's, up to fiber_entry,
    # the first function every fiber runs. Above it is the backend's
    # trampoline: the asm one's CFI ends the walk there, but Boost's
    # make_fcontext has none and gdb goes on into whatever lies above the
    # fiber's stack.
    out, keep, last = [], False, False
    for line in text.splitlines():
        m = re.match(r"#(\d+)(\s+)(.*)", line)
        if m:
            if last:
                break
            level = int(m.group(1))
            keep = level > carrier
            if keep:
                last = re.search(r"::fiber_entry ?\(", line) is not None
                number = str(level - carrier - 1)
                line = "#" + number + " " * max(1, len(m.group(1)) + len(m.group(2)) - len(number)) + m.group(3)
        if keep:
            out.append(line)
    return "\n".join(out)


def _print_backtrace(task, bt_args):
    print("task #%d '%s' %s (spawned at %s)" % (
        task.id, task.name, task.wait_words() if task.parked else task.state(), task.spawned_at()))
    if task.running:
        low, high = task.stack_range()
        thread = _thread_on_stack(low, high)
        if thread is None:
            print("  running, but no thread's stack pointer is on its stack")
            return
        selected = gdb.selected_thread()
        try:
            thread.switch()
            print("running on thread %d:" % thread.num)
            gdb.execute("backtrace " + bt_args)
        finally:
            selected.switch()
        return
    if not task.started:
        print("  not started: its body has not run yet")
        return
    if task.fiber_state != "suspended":
        print("  no saved context (fiber state %s)" % task.fiber_state)
        return
    print(_fiber_backtrace(task, bt_args))


class WeftBt(gdb.Command):
    """Backtrace of a weft task's fiber.

Usage: weft-bt ID [BACKTRACE-ARGS]
       weft-bt all [BACKTRACE-ARGS]
ID is a task id as `info weft-fibers` shows it (with or without the #).
A suspended task's backtrace starts in the function where it suspended; a
running task's is its thread's. BACKTRACE-ARGS are passed to `backtrace`,
e.g. `weft-bt 7 -full`. Works on core files too."""

    def __init__(self):
        super().__init__("weft-bt", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        args = gdb.string_to_argv(arg)
        if not args:
            raise gdb.GdbError("usage: weft-bt ID|all [BACKTRACE-ARGS]")
        which, bt_args = args[0].lstrip("#"), " ".join(args[1:])
        tasks = [t for _, _, t in _all_tasks()]
        if which == "all":
            for i, t in enumerate(tasks):
                if i:
                    print()
                _print_backtrace(t, bt_args)
            return
        try:
            wanted = int(which)
        except ValueError:
            raise gdb.GdbError("weft-bt: '%s' is not a task id (see info weft-fibers)" % args[0])
        for t in tasks:
            if t.id == wanted:
                _print_backtrace(t, bt_args)
                return
        raise gdb.GdbError("weft-bt: no unfinished task #%d in any loop" % wanted)


InfoWeftFibers()
WeftBt()
