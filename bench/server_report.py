"""The server benchmarks' part of docs/performance.md (issues 15 and 19).

bench/report.py --servers runs bench/echo_compare and bench/http_compare,
each also with --loops 2 (each interleaves its servers round by round and
prints medians and each round's figures), turns their lines into tables
with ratios, checks
the issues' claims on them, and draws docs/performance-servers.png with
matplotlib when Debian's python3-matplotlib is there.
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench", "net"))
import compare_common as cc  # noqa: E402
CHART = "docs/performance-servers.png"

# (script arguments, title, reference server, what the cases are)
RUNS = [
    ("echo", ["bench/echo_compare"], "Echo servers", "epoll",
     "64-byte ping-pong at 1, 100 and 1,000 connections and `stream` (100 connections, 8 messages of 512 "
     "bytes in flight on each); the server on CPU 0, bench/net/echo_client.c on CPU 1."),
    ("loops", ["bench/echo_compare", "--loops", "2"], "Echo on 1 and 2 loops", "weft/1",
     "weft's echo server on one loop and on two (`--loops 2`, one SO_REUSEPORT listener per loop; `handoff`: "
     "one acceptor handing connections round-robin), and beside them the hand-written epoll server on one "
     "thread and on two (`epoll/2`: a SO_REUSEPORT listener and epoll set per thread, the same CPUs). On 2 "
     "CPUs the client shares a CPU with the second loop or thread, so req/s says little; server CPU per "
     "request is the figure. `/batch`: the same servers under SCHED_BATCH (`chrt -b 0`), whose threads do "
     "not preempt the client when its request wakes them (bench/echo_compare says why that matters here); "
     "their ratios are to `weft/1/batch`."),
    ("http", ["bench/http_compare"], "HTTP servers", "nginx",
     "wrk -t1 -c100 with keep-alive against weft's examples/net/http_server and nginx (one worker, access log "
     "off, the same document root): a fixed 13-byte response and a 4 KiB static file."),
    ("http-loops", ["bench/http_compare", "--loops", "2"], "HTTP on 1 and 2 loops", "weft/1",
     "The same two cases with weft's http_server on one loop and on two (`--loops 2`, a SO_REUSEPORT listener "
     "per loop) and nginx with one worker process and with two (`listen ... reuseport`), on the same CPUs; "
     "wrk shares CPU 1 with the second loop or worker. `/batch`: under SCHED_BATCH, ratios to "
     "`weft/1/batch`, as in the echo run above."),
]

# What --quick passes each run. http_compare has no --quick: its quick
# loops run takes 2 s windows (3 rounds, 8 servers, 2 cases: about two
# minutes). The echo loops run gets longer windows and more rounds than the
# other echo run: it checks a ratio of CPU per request between two
# configurations of one server, which 0.3 s windows on a shared 2-CPU
# machine leave swinging by more than the 10 % the claim allows; 5 rounds
# of 1 s add about three minutes.
QUICK = {"echo": ["--quick"], "loops": ["--quick", "--rounds", "5", "--seconds", "1"], "http": [],
         "http-loops": ["--seconds", "2"]}

# (run, server, case or None for every case, figure, relation, factor, source, reference); figure: rps
# or cpu, each the median over the rounds of the server's figure over the reference's in the same case
# and round; reference None: the run's reference server. Issue 19's line is checked on the servers
# under SCHED_BATCH: on 2 CPUs the client shares a CPU with the second loop, and under the default
# policy a loop woken by a request preempts the client, which costs any server, the hand-written one
# too (bench/echo_compare, docs/multicore.md). Lines whose source starts with "reference:" are no
# claim on weft: they show that cost, and what the split costs a hand-written server.
CLAIMS = [
    ("echo", "weft", None, "rps", ">=", 0.95, "issue 15", None),
    ("echo", "weft", None, "cpu", "<=", 1.1, "issue 15", None),
    ("echo", "weft", "100", "rps", ">=", 1.0, "issue 15", "asio"),
    ("echo", "weft", "1000", "rps", ">=", 1.0, "issue 15", "asio"),
    ("loops", "weft/2/batch", None, "cpu", "<=", 1.1, "issue 19", "weft/1/batch"),
    ("loops", "weft/2", None, "cpu", "<=", 1.1, "reference: default policy", None),
    ("loops", "epoll/2/batch", None, "cpu", "<=", 1.1, "reference: hand-written", "epoll/1/batch"),
    ("loops", "epoll/2", None, "cpu", "<=", 1.1, "reference: hand-written, default policy", "epoll/1"),
    ("http", "weft", None, "rps", ">=", 1.0, "issue 15", None),
]


def parse(output):
    """{(server, case): (req_s, p99_us, cpu_us)} from a compare script's median lines."""
    rows = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 5 and not line.startswith(("#", "=")):
            rows[(parts[0], parts[1])] = tuple(float(x) for x in parts[2:])
    return rows


def parse_rounds(output):
    """{(server, case): [(req_s, p99_us, cpu_us) of each round]} from its '=' lines."""
    rounds = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 7 and parts[0] == "=":
            rounds.setdefault((parts[1], parts[2]), []).append(tuple(float(x) for x in parts[4:]))
    return rounds


def run_all(quick):
    results = {}
    for key, script, _, _, _ in RUNS:
        command = [sys.executable, os.path.join(ROOT, script[0])] + script[1:] + (QUICK[key] if quick else [])
        print(f"report.py: running {' '.join(command[1:])}", file=sys.stderr)
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        results[key] = (done.returncode, done.stdout, done.stderr[-2000:])
    return results


def ratio(rounds, server, reference, case, column):
    """The median of each round's ratio (compare_common.paired_ratio)."""
    a, b = rounds.get((server, case)), rounds.get((reference, case))
    return cc.paired_ratio(a, b, column) if a and b else None


def evaluate(results):
    verdicts = []
    for run, server, only_case, figure, relation, factor, source, reference in CLAIMS:
        _, output, _ = results.get(run, (1, "", ""))
        rows = parse_rounds(output)
        reference = reference or next(r[3] for r in RUNS if r[0] == run)
        cases = [only_case] if only_case else sorted({c for (_, c) in rows}, key=case_order) or ["every case"]
        for case in cases:
            value = ratio(rows, server, reference, case, 0 if figure == "rps" else 2)
            ok = value is not None and (value >= factor if relation == ">=" else value <= factor)
            what = "req/s" if figure == "rps" else "server CPU per request"
            sign = "≥" if relation == ">=" else "≤"
            verdicts.append({"text": f"`{server}` {what} {sign} {factor:g} × `{reference}`, {case}",
                             "source": source, "ratio": value, "claim": not source.startswith("reference:"),
                             "result": "not run" if value is None else ("PASS" if ok else "FAIL")})
    return verdicts


def case_order(case):
    return (0, int(case)) if case.isdigit() else (1, case)


def render(results, verdicts, chart_made):
    lines = []
    add = lines.append
    add("## Servers")
    add("")
    add("Each compare script interleaves its servers round by round (at least 3 rounds) and reports medians; "
        "server CPU per request is the server process's user and system time over the measured window divided "
        "by the requests completed in it (echo: its CPU-time clock, to the nanosecond; HTTP: utime+stime, in "
        "clock ticks). On these 2-CPU machines the client and the kernel bound req/s, so the CPU "
        "column is the one that tells servers apart.")
    for key, script, title, reference, what in RUNS:
        add("")
        add(f"### {title}")
        add("")
        code, output, errors = results[key]
        add(what + f" `python3 {' '.join(script)}`; ratios to `{reference}` in the same case, each the "
            "median over the rounds of that round's ratio.")
        add("")
        rows, rounds = parse(output), parse_rounds(output)
        if code != 0 or not rows:
            add(f"Not measured: the script exited with {code}.")
            add("")
            add("```")
            add((errors or output).strip()[-1500:])
            add("```")
            continue
        add("| server | case | req/s | p99 µs | server CPU µs / request | req/s ratio | CPU ratio |")
        add("|---|---|---:|---:|---:|---:|---:|")
        for (server, case), (rps, p99, cpu) in sorted(rows.items(), key=lambda kv: (case_order(kv[0][1]), kv[0][0])):
            ref = cc.same_policy(reference, server)
            shown = ["" if r is None else f"{r:.2f}"
                     for r in (ratio(rounds, server, ref, case, 0), ratio(rounds, server, ref, case, 2))]
            add(f"| `{server}` | {case} | {rps:,.0f} | {p99:,.0f} | {cpu:.2f} | {shown[0]} | {shown[1]} |")
        spread = [line[2:] for line in output.splitlines() if line.startswith("# ")]
        if spread:
            add("")
            add("Min–max over the rounds, as the script printed them:")
            add("")
            add("```")
            add("\n".join(spread))
            add("```")
    add("")
    add("| claim | source | ratio | result |")
    add("|---|---|---:|---|")
    for v in verdicts:
        shown = "" if v["ratio"] is None else f"{v['ratio']:.2f}"
        add(f"| {v['text']} | {v['source']} | {shown} | **{v['result']}** |")
    if chart_made:
        add("")
        add(f"![req/s and server CPU per request by server]({os.path.basename(CHART)})")
    return lines


CHART_SCRIPT = r"""
import json, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
data = json.load(sys.stdin)
panels = [(t, rows) for t, rows in data["runs"] if rows]
fig, axes = plt.subplots(len(panels), 2, figsize=(11, 3.2 * len(panels)), squeeze=False)
for (title, rows), (left, right) in zip(panels, axes):
    cases = sorted({r[1] for r in rows}, key=lambda c: (0, int(c)) if c.isdigit() else (1, c))
    servers = list(dict.fromkeys(r[0] for r in rows))
    width = 0.8 / len(servers)
    for i, s in enumerate(servers):
        by_case = {r[1]: r for r in rows if r[0] == s}
        xs = [j + i * width for j in range(len(cases))]
        left.bar(xs, [by_case[c][2] if c in by_case else 0 for c in cases], width, label=s)
        right.bar(xs, [by_case[c][4] if c in by_case else 0 for c in cases], width, label=s)
    for ax, what in ((left, "req/s"), (right, "server CPU us / request")):
        ax.set_xticks([j + 0.4 - width / 2 for j in range(len(cases))], cases)
        ax.set_title(f"{title}: {what}", fontsize=9)
        ax.tick_params(labelsize=8)
    right.legend(fontsize=7, ncol=2)
fig.tight_layout()
fig.savefig(data["out"], dpi=90)
"""


def draw_chart(results):
    """Draws CHART with Debian's matplotlib (python3-matplotlib); False if it cannot."""
    python = "/usr/bin/python3"
    probe = subprocess.run([python, "-c", "import matplotlib"], capture_output=True)
    if probe.returncode != 0:
        print("report.py: no matplotlib for /usr/bin/python3 (python3-matplotlib): no chart", file=sys.stderr)
        return False
    runs = [(title, [[s, c, *v] for (s, c), v in parse(results[key][1]).items()]) for key, _, title, _, _ in RUNS]
    payload = json.dumps({"runs": runs, "out": os.path.join(ROOT, CHART)})
    done = subprocess.run([python, "-c", CHART_SCRIPT], input=payload, text=True, capture_output=True)
    if done.returncode != 0:
        print(f"report.py: chart failed: {done.stderr[-1000:]}", file=sys.stderr)
    return done.returncode == 0


def section(quick):
    """Runs the servers and returns (markdown lines, verdicts)."""
    results = run_all(quick)
    verdicts = evaluate(results)
    return render(results, verdicts, draw_chart(results)), verdicts

