#!/usr/bin/env python3
"""The gdb extension's frame layouts for the asm backend (src/gdb/weft_gdb.py,
_LAYOUTS) must match src/context/switch_frame_layout.h, the one source that
the .S files and switch_frame.hpp also read. Exit 0 when they agree, 1 with a
line per difference otherwise."""
import ast
import re
import sys

root = sys.argv[1]
macros = {}
with open(f"{root}/src/context/switch_frame_layout.h") as f:
    for name, value in re.findall(r"#define (WEFT_\w+) (0x[0-9a-fA-F]+)", f.read()):
        macros[name] = int(value, 16)

with open(f"{root}/src/gdb/weft_gdb.py") as f:
    source = f.read()
layouts_source = re.search(r"^_LAYOUTS = (\{.*?^\})", source, re.S | re.M).group(1)
layouts = eval(compile(ast.parse(layouts_source, mode="eval"), "weft_gdb.py", "eval"), {"dict": dict, "range": range})

expected = {
    ("x86_64", "asm"): {
        "regs": {r: macros[f"WEFT_X86_64_FRAME_{r.upper()}"] for r in ("r12", "r13", "r14", "r15", "rbx", "rbp")},
        "pc": macros["WEFT_X86_64_FRAME_RESUME"], "sp": macros["WEFT_X86_64_FRAME_SIZE"]},
    ("aarch64", "asm"): {
        "regs": dict([("x%d" % (19 + i), macros["WEFT_AARCH64_FRAME_X19"] + 8 * i) for i in range(10)] +
                     [("x29", macros["WEFT_AARCH64_FRAME_FP"]), ("x30", macros["WEFT_AARCH64_FRAME_LR"])]),
        "pc": macros["WEFT_AARCH64_FRAME_LR"], "sp": macros["WEFT_AARCH64_FRAME_SIZE"]},
}

differences = []
for key, want in expected.items():
    got = layouts.get(key)
    if got is None:
        differences.append(f"{key}: no layout in weft_gdb.py")
        continue
    for field in ("regs", "pc", "sp"):
        if got[field] != want[field]:
            differences.append(f"{key} {field}: weft_gdb.py has {got[field]}, switch_frame_layout.h says {want[field]}")
for d in differences:
    print(d)
print(f"frame layouts: {len(expected) - len({d.split(':')[0] for d in differences})} of {len(expected)} agree")
sys.exit(1 if differences else 0)
