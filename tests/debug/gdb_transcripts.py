#!/usr/bin/env python3
"""The gdb transcripts of docs/debugging.md, from a real run of gdb.

    python3 tests/debug/gdb_transcripts.py --gdb gdb --target BUILD/tests/debug/weft_gdb_target --write
    python3 tests/debug/gdb_transcripts.py --gdb gdb --target BUILD/tests/debug/weft_gdb_target --check

Runs gdb on weft_gdb_target (the program tests/debug/gdb_test.cpp debugs)
with the commands TRANSCRIPTS lists, from the repository root, and puts
each session between its markers in docs/debugging.md:

    <!-- gdb-transcript: live -->
    ```
    $ gdb ...
    ```
    <!-- /gdb-transcript -->

--write pastes them in. --check runs gdb the same way and compares the
shape of each session with the pasted one: the command line, the text of
every line with addresses, task ids and stack high-water marks left out,
and for each frame its function and, in weft's own files, its file:line.
It exits 1, showing both shapes, when they differ or a marker is missing.

The transcripts come from one configuration, GCC's RelWithDebInfo build
with the asm backend, where tests/debug/CMakeLists.txt registers the
check; other builds inline differently. Standard library only.
"""

import argparse
import difflib
import os
import re
import shlex
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCUMENT = "docs/debugging.md"
SCRIPT = "src/gdb/weft_gdb.py"
CORE = "weft_gdb_target.core"
# Where the core file is said to be; the run writes it in a directory of its own.
SHOWN_CORE_DIRECTORY = "/tmp"

# name -> (gdb commands, whether gdb reads the core file the setup session wrote).
TRANSCRIPTS = {
    "live": ([f"source {SCRIPT}", "run", "info weft-fibers", "weft-bt 3"], False),
    "core": ([f"source {SCRIPT}", "info weft-fibers", "weft-bt 1"], True),
}
# Writes the core file: with guard regions off, as docs/debugging.md says.
CORE_SETUP = [f"source {SCRIPT}", "set environment WEFT_GUARD_REGIONS 0", "run", "generate-core-file {core}", "kill"]

MARKERS = re.compile(r"(<!-- gdb-transcript: (\w+) -->\n)(.*?)(<!-- /gdb-transcript -->)", re.S)
FRAME = re.compile(r"#(\d+) +(?:0x[0-9a-f]+ in )?(.*?) \(.*?\)(?: at (\S+):(\d+))?$")


def gdb_command(gdb, commands, files):
    # -nx: no user's gdbinit; the script is sourced, not auto-loaded, as
    # auto-loading would first need the safe path set.
    line = [gdb, "-batch", "-nx", "-iex", "set auto-load python-scripts off"]
    for c in commands:
        line += ["-ex", c]
    return line + files


def run_gdb(command):
    """gdb's stdout and stderr, interleaved as written; no debuginfod server."""
    environment = {k: v for k, v in os.environ.items() if k != "DEBUGINFOD_URLS"}
    return subprocess.run(["timeout", "-k", "5", "90"] + command, cwd=ROOT, env=environment, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout


def transcripts(gdb, target):
    """name -> the session as the document shows it: the command, then gdb's output."""
    build = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(target))))
    shown = {}
    with tempfile.TemporaryDirectory(prefix="weft-gdb-transcripts-") as tmp:
        core = os.path.join(tmp, CORE)
        setup = run_gdb(gdb_command(gdb, [c.format(core=core) for c in CORE_SETUP], [target]))
        if not os.path.exists(core):
            sys.exit(f"gdb_transcripts.py: gdb wrote no core file:\n{setup}")
        for name, (commands, with_core) in TRANSCRIPTS.items():
            command = gdb_command(os.path.basename(gdb), commands, [target] + ([core] if with_core else []))
            text = "$ " + shlex.join(command) + "\n" + run_gdb([gdb] + command[1:])
            # Paths as a reader's checkout would show them.
            text = text.replace(tmp, SHOWN_CORE_DIRECTORY).replace(build + "/", "build/").replace(ROOT + "/", "")
            shown[name] = text.rstrip("\n") + "\n"
    return shown


def shape(text):
    """What must stay the same from run to run: one line per line of text."""
    lines = []
    for line in text.splitlines():
        frame = FRAME.match(line)
        if frame:
            number, function, path, line_number = frame.groups()
            ours = path is not None and not path.startswith(("/", "."))
            lines.append(f"#{number} {function}" + (f" at {path}:{line_number}" if ours else ""))
            continue
        line = re.sub(r"0x[0-9a-f]+", "0x…", line)
        line = re.sub(r"task #[0-9]+ ", "task #… ", line)
        line = re.sub(r"high water [0-9]+ KiB", "high water … KiB", line)
        lines.append(re.sub(r"(process|LWP) [0-9]+", r"\1 …", line))
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help=f"paste fresh transcripts into {DOCUMENT}")
    mode.add_argument("--check", action="store_true", help=f"exit 1 if {DOCUMENT}'s transcripts changed shape")
    parser.add_argument("--gdb", default="gdb")
    parser.add_argument("--target", required=True, help="the weft_gdb_target program")
    args = parser.parse_args()

    with open(os.path.join(ROOT, DOCUMENT), encoding="utf-8") as f:
        document = f.read()
    fresh = transcripts(args.gdb, os.path.abspath(args.target))
    pasted = {m.group(2): m.group(3) for m in MARKERS.finditer(document)}
    problems = [f"{DOCUMENT}: no <!-- gdb-transcript: {name} --> marker" for name in fresh if name not in pasted]
    if args.write:
        document = MARKERS.sub(lambda m: m.group(1) + "```\n" + fresh.get(m.group(2), "") + "```\n" + m.group(4),
                               document)
        with open(os.path.join(ROOT, DOCUMENT), "w", encoding="utf-8") as f:
            f.write(document)
    else:
        for name, text in fresh.items():
            if name not in pasted:
                continue
            old = shape(pasted[name].strip("`\n"))
            new = shape(text)
            if old != new:
                problems.append(f"{DOCUMENT}: transcript '{name}' differs from a fresh gdb run (regenerate it with "
                                f"--write):\n" + "\n".join(difflib.unified_diff(old, new, "pasted", "fresh",
                                                                                 lineterm="")))
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
