#!/usr/bin/env python3
"""Runs weft's benchmarks and writes docs/performance.md from that one run.

    python3 bench/report.py --bench BUILD/bench/weft_bench \\
        [--million BUILD/bench/million_fibers] [--filter REGEX] \\
        [--repetitions 5] [--output docs/performance.md] [--no-callgrind] [--strict]

What it does, in order:
  1. runs weft_bench once with --benchmark_repetitions, random interleaving
     and JSON output, and takes per benchmark the median, min and max of the
     repetitions' real time;
  2. evaluates every claim in CLAIMS against those medians (PASS/FAIL; a
     claim naming a benchmark that did not run is listed as "not run");
  3. for each benchmark in CALLGRIND, counts instructions per iteration
     under valgrind --tool=callgrind (method in callgrind_per_iteration());
  4. with --million, runs the million-fibers program and checks
     MILLION_CLAIMS against its output;
  5. writes the Markdown file with the machine, compiler and date;
  6. when that file is docs/performance.md, refills the figures other
     documents quote from it (bench/quote_figures.py --write).

Everything in the file comes from this run; nothing is carried over. To add
a section (event loop, generators, ...) add a row to SECTIONS and its claims
to CLAIMS. --strict makes the exit status 1 if any claim fails.
Standard library only.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

import quote_figures
import server_report

# --- what the report covers --------------------------------------------------

# (title, regex on benchmark names, one line on what the rows measure).
# A benchmark goes to the first section whose regex matches; others go to
# "Other benchmarks".
SECTIONS = [
    ("Context switch", r"^BM_switch_roundtrip/",
     "One round trip (there and back) between the benchmark loop and a context that only "
     "jumps back; every switch mechanism in the same binary."),
    ("Fibers", r"^BM_fiber_",
     "The fiber layer: a resume/suspend round trip, and create/destroy on pooled stacks."),
    ("Generators", r"^BM_generator_",
     "One value per iteration out of a generator (next), into and out of one (send), and through "
     "a recursion N calls deep (yield_depth/N); Boost.Coroutine2's pull_type in the same binary."),
    ("Event loop", r"^BM_(yield_pingpong|spawn_join|queue_pingpong|timers)",
     "The scheduler against Boost.Fiber in the same binary. yield_pingpong: one iteration is a round "
     "in which each of two tasks yields once (ns_per_yield is half). spawn_join: spawn an empty task "
     "and join it. queue_pingpong: a round trip through two queues. timers/N: N tasks sleeping a "
     "random 0-1 s on virtual time, all joined (CPU cost per timer = median / N)."),
    ("Between loops", r"^BM_cross_loop_pingpong",
     "A round trip between threads: a message to a task on another loop and one back. weft: two loops "
     "of a weft::runtime and two cross_channels, with the loops' default spin before sleep "
     "(loop_options::idle_spin, docs/multicore.md); no_spin: the same with idle_spin = 0, so both sides "
     "block while they wait; eventfd_floor: two pthreads, a lock-free slot and an eventfd each, written "
     "by hand (the least a blocking hand-off costs); boost_fiber: Boost.Fiber buffered_channels between "
     "fibers on two threads (its threads block while they wait). The CPU column is the benchmark "
     "thread's CPU time per round trip (one side's): a spinning side spends its wait on the CPU. Go's "
     "channels with GOMAXPROCS=2 are under \"other runtimes\" below."),
    ("Sockets", r"^BM_socket_",
     "Two tasks of one loop bouncing 64 bytes over a Unix socket pair; one iteration is a round trip "
     "(two waits, two polls). registered: weft::net sockets, in epoll once for their lifetime; "
     "per_wait: raw fds through wait_readable, an EPOLL_CTL_ADD and DEL per wait."),
]

# (benchmark, relation, factor, reference, source): median(benchmark)
# <relation> factor * median(reference), on real time.
CLAIMS = [
    ("BM_switch_roundtrip/asm", "<=", 1.0, "BM_switch_roundtrip/boost_fcontext", "issue 3"),
    ("BM_switch_roundtrip/asm", "<=", 1.15, "BM_switch_roundtrip/bare_limit", "issue 3"),
    ("BM_switch_roundtrip/ucontext", ">=", 20.0, "BM_switch_roundtrip/asm", "issue 3"),
    ("BM_generator_next", "<=", 0.5, "BM_generator_next/boost_coroutine2", "issue 4"),
    ("BM_generator_next", "<=", 1.5, "BM_switch_roundtrip/asm", "issue 4"),
    ("BM_generator_yield_depth/256", "<=", 1.2, "BM_generator_yield_depth/1", "issue 4"),
    ("BM_yield_pingpong", "<=", 0.25, "BM_yield_pingpong/boost_fiber", "issue 5"),
    ("BM_spawn_join", "<=", 0.2, "BM_spawn_join/boost_fiber", "issue 5"),
    ("BM_socket_pingpong/registered", "<=", 1.0, "BM_socket_pingpong/per_wait", "issue 15"),
    ("BM_cross_loop_pingpong", "<=", 1.2, "BM_cross_loop_pingpong/eventfd_floor", "issue 19"),
    ("BM_cross_loop_pingpong", "<", 1.0, "BM_cross_loop_pingpong/boost_fiber", "issue 19"),
    ("BM_cross_loop_pingpong/no_spin", "<=", 1.2, "BM_cross_loop_pingpong/eventfd_floor", "issue 19, spin off"),
]

# Sections whose table also shows the benchmark thread's CPU time.
CPU_SECTIONS = {"Between loops"}

# (benchmark, its function as callgrind names it). Wildcards allowed; the
# name must end with the parameter list so that lambdas inside the
# function (named "...(benchmark::State&)::{lambda()#1}...") do not match.
CALLGRIND = [
    ("BM_switch_roundtrip/asm", "*BM_switch_roundtrip_weft(benchmark::State&)"),
    ("BM_switch_roundtrip/weft_boost_backend", "*BM_switch_roundtrip_weft(benchmark::State&)"),
    ("BM_switch_roundtrip/boost_fcontext", "*BM_switch_roundtrip_fcontext(benchmark::State&)"),
    ("BM_switch_roundtrip/ucontext", "*BM_switch_roundtrip_ucontext(benchmark::State&)"),
    ("BM_switch_roundtrip/bare_limit", "*BM_switch_roundtrip_bare(benchmark::State&)"),
    ("BM_fiber_roundtrip", "*BM_fiber_roundtrip(benchmark::State&)"),
    ("BM_generator_next", "*BM_generator_next(benchmark::State&)"),
    ("BM_generator_next/boost_coroutine2", "*BM_generator_next_boost_coroutine2(benchmark::State&)"),
    ("BM_yield_pingpong", "*BM_yield_pingpong(benchmark::State&)"),
    ("BM_yield_pingpong/boost_fiber", "*BM_yield_pingpong_boost_fiber(benchmark::State&)"),
    ("BM_spawn_join", "*BM_spawn_join(benchmark::State&)"),
    ("BM_spawn_join/boost_fiber", "*BM_spawn_join_boost_fiber(benchmark::State&)"),
]

# Programs whose output goes into the report verbatim, each under its title:
# (option, title, what it shows, the argument lists it is run with, one run
# each, outputs in that order).
PROGRAMS = [
    ("sleepers", "One million sleeping tasks",
     "bench/million_sleepers.cpp: 1,000,000 tasks asleep at once on one loop (real time, random "
     "0-1 s), with the RSS per sleeping task (issue 5).", [[]]),
    ("lateness", "Timer lateness",
     "bench/timer_lateness.cpp: 10,000 tasks each sleeping a random 1-10 ms in a loop for 10 s of "
     "real time; how late each wake-up came (issue 5: p99 <= 200 us). 10,000 tasks ask for about 1.8 "
     "million wake-ups a second, close to what one loop serves on these machines, so on one loop the tail "
     "also shows how often the loop fell behind (in the machine's slow spells). So the same again with the "
     "tasks split over two loops on two threads (thread-per-core), once whole and once leaving out the "
     "wake-ups due in the first second, then 2,000 tasks on one loop. Set-up (spawning the tasks, mapping "
     "their stacks, running each to its first sleep) comes before the measured 10 s; its time is printed on "
     "its own line. A task past the end waits for the others before it finishes, so that no task's exit "
     "delays a measured wake-up.",
     [[], ["--threads", "2"], ["--threads", "2", "--warmup", "1"], ["--tasks", "2000"]]),
    ("rotated_scale", "rotated at scale",
     "examples/rotated/figures.cpp, the daemon's own scheduler, service and engine on real files under "
     "TMPDIR: 10,000 watched files on one thread (idle CPU between checks, RSS), then 1,000 files due at "
     "the same instant (issue 6: idle CPU < 1 %, all rotated within 1 s).",
     [["idle", "10000", "30", "10s"], ["burst", "1000"]]),
]

# The same loop scenarios on other runtimes (bench/peers), run when their
# interpreter or compiler is present: (title, command).
PEERS = [
    ("Python asyncio and uvloop", ["/usr/bin/python3", "bench/peers/asyncio_scenarios.py"]),
    ("Go (GOMAXPROCS=1)", ["go", "run", "bench/peers/go_scenarios.go"]),
    ("Go channel ping-pong between two threads (GOMAXPROCS=2)", ["go", "run", "bench/peers/go_cross_pingpong.go"]),
    ("CPython generator send", ["/usr/bin/python3", "bench/python_generator_send.py"]),
]

# (what, regex with one number group on the million-fibers output, relation,
# limit, unit, source).
MILLION_CLAIMS = [
    ("resident memory per suspended fiber", r"RSS per fiber:\s+([0-9.]+) KiB", "<=", 5.0, "KiB", "issue 3"),
    ("fibers without a guard (kernel 6.13+)", r"stacks:\s+[0-9]+ guarded, ([0-9]+) dense", "<=", 0, "fibers",
     "issue 16"),
]

RELATIONS = {"<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b,
             ">": lambda a, b: a > b}
RELATION_TEXT = {"<=": "≤", ">=": "≥", "<": "<", ">": ">"}
TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
CALLGRIND_MIN_TIME = "0.2"  # seconds of (slowed-down) benchmark time per callgrind run


def fail(message):
    print(f"report.py: {message}", file=sys.stderr)
    sys.exit(2)


def run(command, **kwargs):
    """Runs a command; stops the report with its output if it fails."""
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        fail(f"{' '.join(command)} exited with {result.returncode}\n{result.stdout[-2000:]}{result.stderr[-4000:]}")
    return result


# --- the benchmark run ---------------------------------------------------------

def run_benchmarks(bench, repetitions, name_filter):
    command = [bench, f"--benchmark_repetitions={repetitions}", "--benchmark_enable_random_interleaving=true",
               "--benchmark_format=json"]
    if name_filter:
        command.append(f"--benchmark_filter={name_filter}")
    print(f"report.py: running {' '.join(command)}", file=sys.stderr)
    output = json.loads(run(command).stdout)
    samples, cpu_samples, errors, order = {}, {}, {}, {}
    for entry in output["benchmarks"]:
        if entry.get("run_type") != "iteration":
            continue
        name = entry["run_name"]
        # Random interleaving shuffles the output; rows follow registration.
        order[name] = (entry.get("family_index", 0), entry.get("per_family_instance_index", 0))
        if entry.get("error_occurred"):
            errors[name] = entry.get("error_message", "error")
            continue
        samples.setdefault(name, []).append(entry["real_time"] * TO_NS[entry["time_unit"]])
        cpu_samples.setdefault(name, []).append(entry["cpu_time"] * TO_NS[entry["time_unit"]])
    output["context"]["load_avg_after"] = read_load_average()
    summary = {name: {"median": statistics.median(samples[name]), "min": min(samples[name]),
                      "max": max(samples[name]), "n": len(samples[name]),
                      "cpu_median": statistics.median(cpu_samples[name])}
               for name in sorted(samples, key=lambda n: order[n])}
    return summary, errors, output["context"], command


def read_load_average():
    try:
        with open("/proc/loadavg", encoding="utf-8") as f:
            return [float(x) for x in f.read().split()[:3]]
    except OSError:
        return None


def evaluate(claim, summary):
    name, relation, factor, reference, source = claim
    missing = [n for n in (name, reference) if n not in summary]
    if missing:
        return {"claim": claim, "result": "not run", "missing": missing}
    a, b = summary[name]["median"], summary[reference]["median"]
    ok = RELATIONS[relation](a, factor * b)
    return {"claim": claim, "result": "PASS" if ok else "FAIL", "a": a, "b": b, "ratio": a / b}


# --- instructions per iteration under callgrind ----------------------------------

CALLGRIND_METHOD = (
    "Instructions (callgrind's Ir) per iteration, one benchmark per `valgrind --tool=callgrind` run "
    f"(`--benchmark_filter=^NAME$ --benchmark_min_time={CALLGRIND_MIN_TIME}`). Google Benchmark calls the "
    "benchmark function several times (1, 10, 100, ... iterations) before the timed call it reports, so "
    "callgrind dumps its counters at each entry to the benchmark function (`--dump-before=FUNCTION`) and at "
    "the entry to the JSON reporter (`--dump-before=*JSONReporter::ReportRuns*`): the last dump holds exactly "
    "the reported call. Its Ir, less the fixed cost of one call (the smallest earlier call, of 1-10 "
    "iterations), divided by that call's `iterations` from the JSON, is the figure. A round trip counts both "
    "directions, the benchmark loop's own instructions and, for ucontext, the user-space side of the "
    "rt_sigprocmask system call; the kernel is not counted.")


def read_callgrind_part(path):
    trigger, total = "", None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("desc: Trigger:"):
                trigger = line.split(":", 2)[2].strip()
            elif line.startswith("totals:") or (total is None and line.startswith("summary:")):
                total = int(line.split()[1])
    return trigger, total or 0


def callgrind_per_iteration(bench, name, function):
    """Ir per iteration of the reported call of `name`, or an explanation."""
    with tempfile.TemporaryDirectory(prefix="weft-callgrind-") as tmp:
        out = os.path.join(tmp, "cg.out")
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--dump-instr=no",
                   f"--dump-before={function}", "--dump-before=*JSONReporter::ReportRuns*",
                   bench, f"--benchmark_filter=^{re.escape(name)}$", f"--benchmark_min_time={CALLGRIND_MIN_TIME}",
                   "--benchmark_format=json"]
        print(f"report.py: callgrind {name}", file=sys.stderr)
        result = run(command)
        runs = [b for b in json.loads(result.stdout)["benchmarks"] if b.get("run_type") == "iteration"]
        if len(runs) != 1:
            return None, f"expected one run of {name}, got {len(runs)}"
        iterations = runs[0]["iterations"]
        parts = sorted((int(p.rsplit(".", 1)[1]), p) for p in os.listdir(tmp) if re.fullmatch(r"cg\.out\.\d+", p))
        parts = [read_callgrind_part(os.path.join(tmp, p)) for _, p in parts]
    # parts[i] holds what ran since the previous dump; a part whose trigger is
    # the reporter, preceded by one triggered at the benchmark function, is
    # exactly the reported call.
    # parts[0] is the start-up before the first call; parts[1:-1] the
    # earlier, shorter calls.
    if len(parts) < 2 or "ReportRuns" not in parts[-1][0] or "ReportRuns" in parts[-2][0]:
        return None, f"callgrind dumps did not isolate the reported call of {name} (function {function} not entered?)"
    reported = parts[-1][1]
    earlier = [total for _, total in parts[1:-1]]
    overhead = min(earlier) if earlier else 0
    return (reported - overhead) / iterations, f"{iterations} iterations, {reported} Ir, fixed cost {overhead} Ir"


# --- the million-fibers program ----------------------------------------------------

def run_million(program):
    print(f"report.py: running {program}", file=sys.stderr)
    result = run([program])
    checks = []
    for what, pattern, relation, limit, unit, source in MILLION_CLAIMS:
        m = re.search(pattern, result.stdout)
        if not m:
            checks.append((what, None, relation, limit, unit, source, "not run"))
            continue
        value = float(m.group(1))
        verdict = "PASS" if RELATIONS[relation](value, limit) else "FAIL"
        checks.append((what, value, relation, limit, unit, source, verdict))
    return result.stdout, checks


# --- the machine -------------------------------------------------------------------

def cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def build_facts(bench):
    """Compiler, build type and backend from the CMake cache of bench's build tree."""
    facts = {}
    directory = os.path.dirname(os.path.abspath(bench))
    while directory != os.path.dirname(directory):
        cache = os.path.join(directory, "CMakeCache.txt")
        if os.path.exists(cache):
            with open(cache, encoding="utf-8", errors="replace") as f:
                for line in f:
                    m = re.match(r"(CMAKE_CXX_COMPILER|CMAKE_BUILD_TYPE|WEFT_CONTEXT|WEFT_SANITIZE):\w+=(.*)", line)
                    if m:
                        facts[m.group(1)] = m.group(2).strip()
            break
        directory = os.path.dirname(directory)
    compiler = facts.get("CMAKE_CXX_COMPILER")
    if compiler:
        version = subprocess.run([compiler, "--version"], capture_output=True, text=True).stdout
        facts["compiler"] = version.splitlines()[0] if version else compiler
    return facts


# --- the document --------------------------------------------------------------------

def fmt_ns(value):
    return f"{value:.2f}" if value < 100 else f"{value:.1f}" if value < 1000 else f"{value:.0f}"


def section_of(name):
    for title, pattern, _ in SECTIONS:
        if re.search(pattern, name):
            return title
    return "Other benchmarks"


def claim_text(claim):
    name, relation, factor, reference, _ = claim
    return f"`{name}` {RELATION_TEXT[relation]} {factor:g} × `{reference}`"


def render(args, summary, errors, context, command, verdicts, instructions, million, facts, extra, peers, servers):
    lines = []
    add = lines.append
    regenerate = "python3 bench/report.py " + " ".join(args.argv)
    add("<!-- Generated by bench/report.py from one benchmark run; do not edit by hand. -->")
    add("# weft performance")
    add("")
    add("*Generated by `bench/report.py`. To regenerate, build weft in Release and run the script from the "
        "repository root:*")
    add("")
    add("```sh")
    add("cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build build-bench")
    add("python3 bench/report.py --bench build-bench/bench/weft_bench --million build-bench/bench/million_fibers \\")
    add("  --sleepers build-bench/bench/million_sleepers --lateness build-bench/bench/timer_lateness \\")
    add("  --rotated-scale build-bench/examples/rotated/rotated_figures --peers --servers quick")
    add("```")
    add("")
    add("This file was produced by:")
    add("")
    add(f"    {regenerate}")
    add("")
    add("## Machine and build")
    add("")
    add("| | |")
    add("|---|---|")
    add(f"| CPU | {cpu_model()} ({context.get('num_cpus', '?')} logical CPUs, "
        f"{context.get('mhz_per_cpu', '?')} MHz reported, frequency scaling "
        f"{'on' if context.get('cpu_scaling_enabled') else 'off'}) |")
    for key, when in (("load_avg", "start"), ("load_avg_after", "end")):
        if context.get(key):
            add(f"| load average (1, 5, 15 min) at the timed run's {when} | "
                f"{', '.join(f'{x:.2f}' for x in context[key])} |")
    add(f"| kernel | {platform.system()} {platform.release()} |")
    add(f"| date | {context.get('date', datetime.datetime.now(datetime.timezone.utc).isoformat())} |")
    add(f"| compiler | {facts.get('compiler', 'unknown')} |")
    add(f"| build | CMAKE_BUILD_TYPE={facts.get('CMAKE_BUILD_TYPE', '?')}, "
        f"WEFT_CONTEXT={facts.get('WEFT_CONTEXT', '?')}"
        f"{', WEFT_SANITIZE=' + facts['WEFT_SANITIZE'] if facts.get('WEFT_SANITIZE') else ''} |")
    add(f"| Google Benchmark | library built as {context.get('library_build_type', '?')} "
        "(the library's own build; the code measured is weft's) |")
    add(f"| run | `{' '.join(os.path.relpath(c) if os.path.exists(c) else c for c in command)}` |")
    add("")
    add(f"Times are real time per iteration in ns: the median of {args.repetitions} repetitions, with the "
        "smallest and largest beside it. Claims compare medians. Instructions per iteration are from callgrind "
        "(see the method below the last table); they do not move with the machine's load.")

    titles = [t for t, _, _ in SECTIONS]
    by_section = {}
    for name in summary:
        by_section.setdefault(section_of(name), []).append(name)
    claims_by_section = {}
    for v in verdicts:
        claims_by_section.setdefault(section_of(v["claim"][0]), []).append(v)
    order = titles + ["Other benchmarks"]
    notes = {t: n for t, _, n in SECTIONS}
    for title in order:
        names = by_section.get(title, [])
        claims = claims_by_section.get(title, [])
        if not names and not claims:
            continue
        if lines[-1]:
            add("")
        add(f"## {title}")
        add("")
        if title in notes:
            add(notes[title])
            add("")
        if names:
            show_ir = any(n in instructions for n in names)
            show_cpu = title in CPU_SECTIONS
            add("| benchmark | median ns | min–max ns |" + (" median CPU ns |" if show_cpu else "") +
                (" instructions / iteration |" if show_ir else ""))
            add("|---|---:|---:|" + ("---:|" if show_cpu else "") + ("---:|" if show_ir else ""))
            for name in names:
                s = summary[name]
                row = f"| `{name}` | {fmt_ns(s['median'])} | {fmt_ns(s['min'])}–{fmt_ns(s['max'])} |"
                if show_cpu:
                    row += f" {fmt_ns(s['cpu_median'])} |"
                if show_ir:
                    ir = instructions.get(name)
                    row += f" {ir[0]:.1f} |" if ir and ir[0] is not None else " – |"
                add(row)
            add("")
        if claims:
            add("| claim | source | medians | ratio | result |")
            add("|---|---|---|---:|---|")
            for v in claims:
                claim = v["claim"]
                if v["result"] == "not run":
                    add(f"| {claim_text(claim)} | {claim[4]} | not run: "
                        f"{', '.join('`' + m + '`' for m in v['missing'])} | – | not run |")
                else:
                    add(f"| {claim_text(claim)} | {claim[4]} | {fmt_ns(v['a'])} / {fmt_ns(v['b'])} ns "
                        f"| {v['ratio']:.3f} | **{v['result']}** |")
            add("")

    if errors:
        add("## Benchmarks that reported an error")
        add("")
        for name, message in errors.items():
            add(f"- `{name}`: {message}")
        add("")

    add("## Instructions per iteration")
    add("")
    if instructions:
        add(CALLGRIND_METHOD)
        add("")
        add("| benchmark | instructions / iteration | reported call |")
        add("|---|---:|---|")
        for name, (ir, detail) in instructions.items():
            add(f"| `{name}` | {f'{ir:.1f}' if ir is not None else 'not measured'} | {detail} |")
    else:
        add("Not measured in this run (" + ("--no-callgrind" if args.no_callgrind else "valgrind not found") + ").")
    add("")

    add("## One million fibers")
    add("")
    if million:
        output, checks = million
        add(f"`{os.path.relpath(args.million)}` (bench/million_fibers.cpp): 1,000,000 fibers that each "
            "suspend once, all held suspended, then resumed to completion, in the default stack mode "
            "(automatic). Its output, which shows the vm.max_map_count in effect:")
        add("")
        add("```")
        add(output.rstrip())
        add("```")
        add("")
        add("| claim | source | measured | result |")
        add("|---|---|---:|---|")
        for what, value, relation, limit, unit, source, verdict in checks:
            measured = f"{value:g} {unit}" if value is not None else "not in the output"
            add(f"| {what} {RELATION_TEXT[relation]} {limit:g} {unit} | {source} | {measured} | **{verdict}** |")
    else:
        add("Not run (pass `--million PATH` to include it).")

    for option, title, what, _ in PROGRAMS:
        add("")
        add(f"## {title}")
        add("")
        output = extra.get(option)
        if output is None:
            add(f"Not run (pass `--{option.replace('_', '-')} PATH` to include it).")
            continue
        add(what)
        add("")
        add("```")
        add(output.rstrip())
        add("```")

    add("")
    add("## The same scenarios on other runtimes")
    add("")
    add("bench/peers runs the loop scenarios (and bench/python_generator_send.py the generator one) on "
        "other runtimes, on the same machine right after the run above. Lines read `scenario runtime "
        "median_ns min_ns max_ns` per operation, 5 repetitions.")
    for title, output in peers:
        add("")
        add(f"### {title}")
        add("")
        add("```")
        add(output.rstrip())
        add("```")
    add("")
    lines.extend(servers[0] if servers else ["## Servers", "", "Not run (pass `--servers quick` or `--servers full`)."])
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bench", default="build-bench/bench/weft_bench", help="the weft_bench binary")
    parser.add_argument("--filter", help="--benchmark_filter for the timed run")
    parser.add_argument("--million", help="the million_fibers binary; its output goes into the report")
    for option, title, _, _ in PROGRAMS:
        parser.add_argument(f"--{option.replace('_', '-')}", dest=option, help=f"the program for '{title}'")
    parser.add_argument("--peers", action="store_true", help="run bench/peers where python3/go exist")
    parser.add_argument("--servers", choices=["quick", "full"],
                        help="run bench/echo_compare (also --loops 2) and bench/http_compare")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--output", default="docs/performance.md")
    parser.add_argument("--no-callgrind", action="store_true", help="skip the instruction counts")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a claim fails")
    args = parser.parse_args()
    args.argv = sys.argv[1:]
    # Every program is checked before the first (long) timed run.
    if not os.access(args.bench, os.X_OK):
        fail(f"{args.bench} is not an executable; build weft_bench first (see --help)")
    for program in [args.million] + [getattr(args, option) for option, _, _, _ in PROGRAMS]:
        if program and not os.access(program, os.X_OK):
            fail(f"{program} is not an executable (was it built? examples need WEFT_BUILD_EXAMPLES=ON)")
    if args.repetitions < 1:
        fail("--repetitions must be at least 1")

    summary, errors, context, command = run_benchmarks(args.bench, args.repetitions, args.filter)
    verdicts = [evaluate(c, summary) for c in CLAIMS]

    instructions = {}
    if not args.no_callgrind and shutil.which("valgrind"):
        for name, function in CALLGRIND:
            if name in summary:
                instructions[name] = callgrind_per_iteration(args.bench, name, function)

    million = run_million(args.million) if args.million else None
    extra = {}
    for option, _, _, arguments in PROGRAMS:
        program = getattr(args, option)
        if program:
            print(f"report.py: running {program}", file=sys.stderr)
            extra[option] = "".join(run([program] + a).stdout for a in arguments)
    peers = []
    if args.peers:
        for title, peer_command in PEERS:
            if shutil.which(peer_command[0]):
                print(f"report.py: running {' '.join(peer_command)}", file=sys.stderr)
                peers.append((title, run(peer_command).stdout))
            else:
                peers.append((title, f"not run: {peer_command[0]} not found"))
    servers = server_report.section(args.servers == "quick") if args.servers else None
    facts = build_facts(args.bench)
    text = render(args, summary, errors, context, command, verdicts, instructions, million, facts, extra, peers,
                  servers)
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(text)

    for v in verdicts:
        detail = f"ratio {v['ratio']:.3f}" if "ratio" in v else "missing " + ", ".join(v["missing"])
        print(f"{v['result']:8} {claim_text(v['claim'])} ({detail})")
    if million:
        for what, value, relation, limit, unit, _, verdict in million[1]:
            print(f"{verdict:8} {what} {RELATION_TEXT[relation]} {limit:g} {unit} (measured {value})")
    print(f"report.py: wrote {args.output}", file=sys.stderr)
    if os.path.abspath(args.output) == os.path.join(quote_figures.ROOT, quote_figures.SOURCE):
        if quote_figures.main(["--write"]) != 0:
            print("report.py: documents quote figures this report no longer has (listed above)", file=sys.stderr)
    for v in servers[1] if servers else []:
        print(f"{v['result']:8} {v['text']} ({v['source']})")
    failed = any(v["result"] == "FAIL" for v in verdicts) or (million and any(c[6] == "FAIL" for c in million[1]))
    failed = failed or any(v["result"] == "FAIL" and v["claim"] for v in (servers[1] if servers else []))
    return 1 if args.strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())
