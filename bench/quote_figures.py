#!/usr/bin/env python3
"""Keeps the figures other documents quote in step with docs/performance.md.

    python3 bench/quote_figures.py --write   # refill every quote
    python3 bench/quote_figures.py --check   # exit 1 on any drift

docs/performance.md, which bench/report.py generates, is the one source of
measured figures. Another document quotes one through a marker whose key
names the figure; --write fills in the value, --check fails when it differs:

    a yield costs <!-- fig: BM_yield_pingpong median_ns -->21.62<!-- /fig --> ns

Keys (FIGURES below lists the named ones):
    BENCH median_ns | min_ns | max_ns   a row of a benchmark table
    BENCH cpu_ns                        its CPU column, where it has one
    BENCH instructions                  callgrind's count per iteration
    BENCH ratio_to REFERENCE            the ratio column of a claim
    NAME                                a named figure out of a program's output

--check also fails on
  - a marker whose key performance.md does not have;
  - a link to a section of performance.md that does not exist;
  - a figure typed by hand: a number followed by ns, µs, us, ms, ×, x or
    "instructions" in prose (code blocks, inline code and markers aside).
    Two kinds of text may carry one, each marked so that a reader of the
    source sees why:
      <!-- fact -->64 KiB guard, 18 instructions<!-- /fact -->
          what the code or the kernel is, not how fast it ran;
      <!-- once -->... (measured once on 2026-12-04, AMD EPYC; not
      regenerated)<!-- /once -->
          a one-off A/B experiment that performance.md does not carry;
          the text inside must say "measured once on <date>" and "not
          regenerated";
  - a measured figure in a comment of include/, src/ or asm/ (ns, µs, ×,
    cycles): code comments link to the documents instead.

bench/report.py runs the write step after it regenerates performance.md.
Standard library only.
"""

import argparse
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = "docs/performance.md"
# The documents whose figures are checked: every hand-written Markdown file.
DOCUMENTS = ["README.md", "CONTRIBUTING.md", "docs/*.md", "bench/*/README.md", "tests/*/README.md",
             "examples/**/*.md"]
CODE = ["include/**/*.hpp", "src/**/*.hpp", "src/**/*.cpp", "src/**/*.h", "asm/*.S"]

# Named figures: (key, performance.md section title, regex whose first group
# is the value). They read the programs' outputs that performance.md holds
# verbatim, so a change of an output's wording shows up as a missing key.
FIGURES = [
    ("rotated.idle_start_ms", "rotated at scale", r"start \(spawn, baseline, first checks\): ([0-9.]+) ms"),
    ("rotated.idle_cpu_between_checks_percent", "rotated at scale", r"CPU between checks: ([0-9.]+)%"),
    ("rotated.idle_cpu_with_checks_percent", "rotated at scale", r"CPU over 20 s including 2 check rounds: ([0-9.]+)%"),
    ("rotated.idle_rss_mib", "rotated at scale", r"RSS: ([0-9.]+) MiB"),
    ("rotated.idle_rss_before_mib", "rotated at scale", r"\(([0-9.]+) MiB before starting"),
    ("rotated.burst_last_durable_ms", "rotated at scale", r"last rotation durable .* ([0-9.]+) ms after"),
    ("cpython.generator_next_ns", "CPython generator send", r"python_generator_next +([0-9.]+) ns"),
    ("cpython.generator_send_ns", "CPython generator send", r"python_generator_send +([0-9.]+) ns"),
]

MARKER = re.compile(r"<!-- fig: (.+?) -->(.*?)<!-- /fig -->")
FENCE = re.compile(r"^ *(```|~~~).*?^ *\1[^\n]*$", re.S | re.M)
ALLOWED = re.compile(r"<!-- (fact|once) -->(.*?)<!-- /\1 -->", re.S)
CODE_SPAN = re.compile(r"`[^`\n]*`")
MASKED = [MARKER, re.compile(r"<!--.*?-->", re.S), re.compile(r"\]\([^)\s]*\)")]
# A number, maybe a range, then a unit of time, a ratio or a count.
BARE = re.compile(r"(?<![\w.])[0-9][0-9.,]*(?:[–-][0-9][0-9.,]*)?(?:\s*(?:ns|µs|us|ms|×|instructions?)|x|-instructions?)"
                  r"(?![\w])")
CODE_BARE = re.compile(r"[0-9] ?(?:ns|µs|×)(?![\w])|[0-9][ -]cycles?\b")
PERF_LINK = re.compile(r"performance\.md#([\w-]+)")


def set_root(root):
    global ROOT
    ROOT = os.path.abspath(root)


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def documents():
    found = set()
    for pattern in DOCUMENTS:
        found.update(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, pattern), recursive=True))
    found.discard(SOURCE)
    return sorted(found)


# --- what performance.md says --------------------------------------------------------

def sections(text):
    """Section title -> its text (up to the next heading of any level)."""
    found, title, body = {}, None, []
    for line in text.splitlines():
        m = re.match(r"#+ (.*)", line)
        if m:
            if title is not None:
                found[title] = "\n".join(body)
            title, body = m.group(1).strip(), []
        else:
            body.append(line)
    if title is not None:
        found[title] = "\n".join(body)
    return found


def slug(title):
    """The anchor GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def tables(text):
    """Every Markdown table as (header cells, rows of cells)."""
    found, header, rows = [], None, []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if header is None:
                header = cells
            elif not all(re.fullmatch(r":?-+:?", c) for c in cells):
                rows.append(cells)
        elif header is not None:
            found.append((header, rows))
            header, rows = None, []
    return found


def figures(text):
    """Every key performance.md can answer, with its value as printed there."""
    values = {}
    for header, rows in tables(text):
        for row in rows:
            cells = dict(zip(header, row))
            name = re.fullmatch(r"`([^`]+)`", cells.get("benchmark", ""))
            if name:
                name = name.group(1)
                if "median ns" in cells:
                    values[f"{name} median_ns"] = cells["median ns"]
                if "median CPU ns" in cells:
                    values[f"{name} cpu_ns"] = cells["median CPU ns"]
                if "–" in cells.get("min–max ns", ""):
                    values[f"{name} min_ns"], values[f"{name} max_ns"] = cells["min–max ns"].split("–")
                ir = cells.get("instructions / iteration", "")
                if re.fullmatch(r"[0-9.]+", ir):
                    values[f"{name} instructions"] = ir
            claim = re.fullmatch(r"`([^`]+)` \S+ \S+ × `([^`]+)`", cells.get("claim", ""))
            if claim and re.fullmatch(r"[0-9.]+", cells.get("ratio", "")):
                values[f"{claim.group(1)} ratio_to {claim.group(2)}"] = cells["ratio"]
    by_title = sections(text)
    for key, title, pattern in FIGURES:
        m = re.search(pattern, by_title.get(title, ""))
        if m:
            values[key] = m.group(1)
    return values


# --- the documents ----------------------------------------------------------------------

def line_of(text, offset):
    return text.count("\n", 0, offset) + 1


def blank(match):
    """The match with every character but newlines turned into a space."""
    return re.sub(r"[^\n]", " ", match.group(0))


def bare_figures(text):
    """(line, figure) for each measured-looking figure outside markers, code
    and allowed spans; (line, message) for allowed spans that lack their note."""
    problems = []
    masked = CODE_SPAN.sub(blank, FENCE.sub(blank, text))
    for m in ALLOWED.finditer(masked):
        inside = re.sub(r"\s+", " ", m.group(2))
        if m.group(1) == "once" and not (re.search(r"measured once on \d{4}-\d\d-\d\d", inside)
                                         and "not regenerated" in inside):
            problems.append((line_of(text, m.start()),
                             '<!-- once --> span without "measured once on <date>" and "not regenerated"'))
    masked = ALLOWED.sub(blank, masked)
    for pattern in MASKED:
        masked = pattern.sub(blank, masked)
    for m in BARE.finditer(masked):
        problems.append((line_of(masked, m.start()),
                         f"figure typed by hand: '{' '.join(m.group(0).split())}' (quote it, link to {SOURCE}, or mark it)"))
    return problems


def code_figures():
    problems = []
    for pattern in CODE:
        for path in sorted(glob.glob(os.path.join(ROOT, pattern), recursive=True)):
            rel = os.path.relpath(path, ROOT)
            for number, line in enumerate(read(rel).splitlines(), 1):
                comment = re.search(r"(//|/\*|^\s*\*|#).*", line)
                if comment and CODE_BARE.search(comment.group(0)):
                    problems.append(f"{rel}:{number}: measured figure in a comment (link to the docs instead): "
                                    f"{line.strip()}")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="refill every quote from performance.md")
    mode.add_argument("--check", action="store_true", help="exit 1 on a stale or unknown quote or a bare figure")
    parser.add_argument("--root", default=ROOT, help="the repository (default: the one holding this script)")
    args = parser.parse_args(argv)
    set_root(args.root)

    source = read(SOURCE)
    values = figures(source)
    anchors = {slug(title) for title in sections(source)}
    problems = []
    for path in documents():
        text = read(path)

        def refill(m, path=path, text=text):
            key, quoted = m.group(1), m.group(2)
            where = f"{path}:{line_of(text, m.start())}: <!-- fig: {key} -->"
            if key not in values:
                problems.append(f"{where} names a figure {SOURCE} does not have")
                return m.group(0)
            if quoted != values[key]:
                if args.check:
                    problems.append(f"{where} quotes {quoted!r}, {SOURCE} has {values[key]!r}")
                return m.group(0)[:m.start(2) - m.start()] + values[key] + "<!-- /fig -->"
            return m.group(0)

        updated = MARKER.sub(refill, text)
        if args.write and updated != text:
            with open(os.path.join(ROOT, path), "w", encoding="utf-8") as f:
                f.write(updated)
            print(f"quote_figures.py: updated {path}", file=sys.stderr)
        if args.check:
            for m in PERF_LINK.finditer(text):
                if m.group(1) not in anchors:
                    problems.append(f"{path}:{line_of(text, m.start())}: {SOURCE} has no section #{m.group(1)}")
            problems += [f"{path}:{line}: {message}" for line, message in bare_figures(text)]
    if args.check:
        problems += code_figures()
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
