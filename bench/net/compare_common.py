"""What bench/echo_compare and bench/http_compare share: building the
programs, starting a server pinned to CPU 0 and reading its port, its CPU
time, medians and the report's header lines.

Servers follow examples/net/echo_server's convention: the first line on
stdout is "listening on HOST:PORT".
"""
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "build", "bench-net")
SERVER_CPU, CLIENT_CPU = "0", "1"


def note(message):
    print(f"# {message}", file=sys.stderr, flush=True)


def stale(target, sources):
    return not os.path.exists(target) or any(os.path.getmtime(s) > os.path.getmtime(target) for s in sources)


def build(target, sources, command):
    """Runs `command` (a list) when `target` is older than any of `sources`; returns target."""
    os.makedirs(OUT, exist_ok=True)
    if stale(target, sources):
        note(f"building {os.path.relpath(target, ROOT)}")
        subprocess.run(command, check=True, cwd=OUT)
    return target


def build_c(name, source, extra=()):
    src = os.path.join(ROOT, "bench", "net", source)
    out = os.path.join(OUT, name)
    compiler = ["gcc", "-O2", "-std=c11"] if source.endswith(".c") else ["g++", "-O2", "-std=c++20"]
    return build(out, [src], compiler + ["-Wall", "-Wextra", "-o", out, src, *extra])


def build_weft_examples(targets):
    """Builds weft's examples in Release; returns {target: path} for those that exist."""
    cmake_dir = os.path.join(OUT, "weft")
    # Configured every time: cheap when nothing changed, and a target added
    # since the last run must show up in the list below.
    subprocess.run(["cmake", "-S", ROOT, "-B", cmake_dir, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                    "-DWEFT_BUILD_TESTS=OFF", "-DWEFT_BUILD_BENCH=OFF", "-DWEFT_BUILD_EXAMPLES=ON"],
                   check=True, stdout=subprocess.DEVNULL)
    known = subprocess.run(["ninja", "-C", cmake_dir, "-t", "targets", "all"], check=True,
                           capture_output=True, text=True).stdout
    found = {}
    for t in targets:
        if f"\n{t}: " in "\n" + known:
            subprocess.run(["ninja", "-C", cmake_dir, t], check=True, stdout=subprocess.DEVNULL)
            path = subprocess.run(["find", os.path.join(cmake_dir, "examples"), "-type", "f", "-name", t],
                                  check=True, capture_output=True, text=True).stdout.split()
            if path:
                found[t] = path[0]
        else:
            note(f"weft has no target {t} yet: left out")
    return found


def process_cpu_seconds(pid):
    """utime + stime of a process, all threads."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid):
    """The live child processes of every thread of `pid`."""
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            found += [int(c) for c in f.read().split()]
    return found


def same_policy(reference, name):
    """The reference server a row's ratios compare with: for a server under
    SCHED_BATCH (a name ending in /batch), the reference under it too."""
    return reference + "/batch" if name.endswith("/batch") else reference


def sched_batch():
    """Puts the calling process under SCHED_BATCH (what `chrt -b 0` does);
    its threads inherit it."""
    os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))


class server:
    """A server process pinned to `cpus` (SERVER_CPU unless given), under
    SCHED_BATCH with `batch`; `port` is read from its first line."""

    def __init__(self, name, argv, env=None, cpus=SERVER_CPU, batch=False):
        self.name = name
        self.proc = subprocess.Popen(["taskset", "-c", cpus, *argv], stdout=subprocess.PIPE,
                                     env={**os.environ, **(env or {})}, text=True, start_new_session=True,
                                     preexec_fn=sched_batch if batch else None)
        line = self.proc.stdout.readline()
        if not line.startswith("listening on "):
            self.stop()
            raise RuntimeError(f"{name}: first line was {line!r}, not 'listening on HOST:PORT'")
        self.port = int(line.rsplit(":", 1)[1])
        # taskset execs the server, so the pid is the server's.
        self.pid = self.proc.pid

    def cpu_seconds(self):
        """utime + stime of the server, all threads, and of its live child
        processes (nginx's workers)."""
        return sum(process_cpu_seconds(pid) for pid in [self.pid, *children(self.pid)])

    def stop(self):
        # The whole process group the server leads (a wrapper's children too).
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def client(argv):
    """Runs a client pinned to CLIENT_CPU; returns its stdout."""
    return subprocess.run(["taskset", "-c", CLIENT_CPU, *argv], check=True, capture_output=True, text=True).stdout


def header(title, rounds):
    model = "unknown CPU"
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    print(f"# {title}; {rounds} rounds, servers interleaved in each; median of the rounds")
    print(f"# {model}, {os.cpu_count()} CPUs; server on CPU {SERVER_CPU}, client on CPU {CLIENT_CPU}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")


def paired_ratio(runs, reference_runs, column):
    """The median over rounds of one figure's ratio to the reference's in
    the same round. Round r of each was measured within one case's turn,
    seconds apart, so a machine that turns slower or faster for a while
    (these shared VMs do, by up to 1.7 times) moves both alike; the ratio of
    two medians would take each from whichever rounds the mode favoured."""
    ratios = [a[column] / b[column] for a, b in zip(runs, reference_runs) if b[column] > 0]
    return statistics.median(ratios) if ratios else None


def report(rows, reference, label):
    """rows: {(server, case): [(req_s, p99_us, cpu_us) of each round]}.
    Prints the median lines, each round's figures as '= server case round
    req/s p99 cpu' lines, then as comments each figure's min-max and req/s
    and CPU per request as ratios (paired_ratio) to `reference` in the same
    case (same_policy: a /batch row's to `reference`/batch)."""
    med = {k: tuple(statistics.median(r[i] for r in v) for i in range(3)) for k, v in rows.items()}
    for (name, case), (rps, p99, cpu) in med.items():
        print(f"{name} {case} {rps:.0f} {p99:.0f} {cpu:.2f}")
    for (name, case), v in rows.items():
        for r, (rps, p99, cpu) in enumerate(v):
            print(f"= {name} {case} {r} {rps:.0f} {p99:.0f} {cpu:.2f}")
    batch = f"; /batch rows to {reference}/batch" if any(name.endswith("/batch") for name, _ in rows) else ""
    print(f"# {'server':<10} {label:<8} {'req/s min-max':>17} {'p99 us min-max':>15} {'cpu us/req min-max':>19}"
          f" {'req/s ratio':>11} {'cpu ratio':>9}  (medians of each round's ratio to {reference}{batch})")
    for (name, case), v in rows.items():
        ref = rows.get((same_policy(reference, name), case))
        ratio = f"{paired_ratio(v, ref, 0):11.2f} {paired_ratio(v, ref, 2):9.2f}" if ref else ""
        lo = [min(r[i] for r in v) for i in range(3)]
        hi = [max(r[i] for r in v) for i in range(3)]
        print(f"# {name:<10} {case:<8} {lo[0]:8.0f}-{hi[0]:<8.0f} {lo[1]:7.0f}-{hi[1]:<7.0f} "
              f"{lo[2]:9.2f}-{hi[2]:<9.2f} {ratio}")


def have(program):
    return shutil.which(program) is not None
