#!/usr/bin/env python3
"""kill -9 at every file-changing syscall of a rotation; a restart must recover exactly.

    python3 tests/rotated/stress/kill_at_every_syscall.py BUILD/examples/rotated/rotated \\
        [--modes plain,gzip,zstd,dateext] [--double]

What it checks, per mode (keep = 3; plain, gzip, zstd, and dateext with
gzip), on files in a temporary directory (TMPDIR chooses where):
  1. `rotated --once --force` of app.log beside three full versions, run
     under kill_at_syscall.c (an LD_PRELOAD library built here with cc),
     numbers the rotation's file-changing calls: N of them, from the first
     state save through the cascade, the fresh file, the compression and
     the journal's end. strace, run on the same rotation, must count the
     same N (so the library misses none).
  2. For each k in 1..N, on a fresh trial: the same run killed (SIGKILL)
     just before call k, then `rotated --once` (the restart, which replays
     the journal). Then
       - the directory holds exactly the versions from before the rotation,
         or exactly those after it: every version's (decompressed) content
         in its place, nothing lost, nothing twice, no hold name, temporary
         file or spare left, and the journal has nothing pending;
       - a further `rotated --once --force` rotates once more, correctly,
         and leaves every version but the newest compressed.
  3. With --double, each restart is itself killed before each of its own
     file-changing calls, then restarted and checked the same way.
Prints "MODE: N kill points, B broken" per mode; exits 1 if any broke.
Runs as root or not; needs cc, strace and zstd (.ci/install-deps installs them).
ctest runs it as rotated.kill_at_every_syscall (without --double).
"""

import argparse
import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
KEEP = 3
# Per mode: the configuration's extra lines, and the names of the versions
# before the rotation, oldest first (app.log itself comes after them).
MODES = {
    "plain": ("", ["app.log.3", "app.log.2", "app.log.1"]),
    "gzip": ('compress = "gzip"\n', ["app.log.3.gz", "app.log.2.gz", "app.log.1"]),
    "zstd": ('compress = "zstd"\n', ["app.log.3.zst", "app.log.2.zst", "app.log.1"]),
    "dateext": ('compress = "gzip"\ndateext = "-%Y%m%d%H%M%S"\n',
                ["app.log-20261201000000.gz", "app.log-20261202000000.gz", "app.log-20261203000000"]),
}
VERSION = re.compile(r"^app\.log(?:\.([0-9]+)|-([0-9]{14}))(\.gz|\.zst)?$")
# What strace must see as the library does: the calls that change files.
STRACE_CALLS = ("open,openat,creat,write,pwrite64,writev,pwritev,pwritev2,fsync,fdatasync,ftruncate,truncate,"
                "rename,renameat,renameat2,link,linkat,symlink,symlinkat,unlink,unlinkat,mkdir,mkdirat,rmdir,"
                "chmod,fchmod,fchmodat,chown,fchown,fchownat,lchown,fallocate,copy_file_range")


def compress(data, name):
    if name.endswith(".gz"):
        return gzip.compress(data)
    if name.endswith(".zst"):
        return subprocess.run(["zstd", "-q", "-c"], input=data, stdout=subprocess.PIPE, check=True).stdout
    return data


def decompress(path):
    if path.endswith(".zst"):
        return subprocess.run(["zstd", "-d", "-q", "-c", path], stdout=subprocess.PIPE, check=True).stdout
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        return f.read()


class trial:
    """A directory with app.log and its versions, its configuration and state."""

    def __init__(self, root, mode):
        self.root, self.mode = root, mode
        self.dir = os.path.join(root, "logs")
        self.state = os.path.join(root, "state")
        os.makedirs(self.dir)
        extra, names = MODES[mode]
        for i, name in enumerate(names):  # "version 3" is the oldest
            with open(os.path.join(self.dir, name), "wb") as f:
                f.write(compress(b"version %d\n" % (KEEP - i), name))
        with open(os.path.join(self.dir, "app.log"), "wb") as f:
            f.write(b"live line 1\nlive line 2\n")
        self.config = os.path.join(root, "rotated.toml")
        with open(self.config, "w") as f:
            f.write(f'[[file]]\npath = "{self.dir}/app.log"\nkeep = {KEEP}\nevery = "1d"\n{extra}')
        os.chmod(self.config, 0o600)

    def run(self, rotated, *args, env=None):
        """Runs rotated on this trial; returns (exit status or -signal, output)."""
        p = subprocess.run([rotated, "--config", self.config, "--state-dir", self.state, *args],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=60)
        return p.returncode, p.stdout.decode(errors="replace")

    def versions(self):
        """(contents oldest first with app.log last, names oldest first, stray entries)."""
        numbered, stray = [], []
        for name in os.listdir(self.dir):
            m = VERSION.match(name)
            if m:
                numbered.append((-int(m.group(1)) if m.group(1) else int(m.group(2)), name))
            elif name != "app.log":
                stray.append(name)
        names = [n for _, n in sorted(numbered)]
        contents = [decompress(os.path.join(self.dir, n)) for n in names]
        live = os.path.join(self.dir, "app.log")
        contents.append(decompress(live) if os.path.exists(live) else None)
        return contents, names, stray


def problems(t, acceptable, canonical):
    """What is wrong with t's directory; `acceptable`: the contents it may hold."""
    contents, names, stray = t.versions()
    found = []
    if stray:
        found.append(f"stray entries {sorted(stray)}")
    if contents not in acceptable:
        found.append(f"contents {contents}, expected one of {acceptable}")
    if canonical and MODES[t.mode][0]:
        plain = [n for n in names[:-1] if not n.endswith((".gz", ".zst"))]
        if plain:
            found.append(f"left uncompressed: {plain}")
    journal = os.path.join(t.state, "journal.log")
    if os.path.exists(journal) and os.path.getsize(journal) > 0:
        found.append("the journal is not empty")
    return found


def check_recovered(rotated, t, states):
    """After a kill and a restart: t is in one of `states` (before the
    rotation, after it, after the next one), and the next rotation moves it
    one state on."""
    found = problems(t, states[:2], canonical=False)
    if found:
        return found
    now = states.index(t.versions()[0])
    # One hour on (TZ), so that a dateext name differs from the last one's.
    status, out = t.run(rotated, "--once", "--force", env=dict(os.environ, TZ="UTC-1"))
    if status != 0:
        return [f"the next --once --force exited {status}: {out}"]
    return [f"after the next rotation: {p}" for p in problems(t, [states[now + 1]], canonical=True)]


def count_calls(rotated, t, shim, args):
    """The file-changing calls `rotated args` makes on t, as the library numbers them (t is changed)."""
    trace = os.path.join(t.root, "trace")
    env = dict(os.environ, LD_PRELOAD=shim, SYSCALL_TRACE=trace, TZ="UTC0")
    status, out = t.run(rotated, *args, env=env)
    if status != 0:
        sys.exit(f"rotated {' '.join(args)} under the library exited {status}:\n{out}")
    with open(trace) as f:
        lines = f.read().splitlines()
    os.unlink(trace)
    return lines


def strace_count(rotated, t):
    """The file-changing syscalls of one rotation of t as strace sees them (t is changed)."""
    log = os.path.join(t.root, "strace")
    subprocess.run(["strace", "-f", "-qq", "-y", "-o", log, "-e", "trace=" + STRACE_CALLS, rotated,
                    "--config", t.config, "--state-dir", t.state, "--once", "--force"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    n = 0
    with open(log) as f:
        for line in f:
            if "resumed>" in line or "+++ exited" in line:
                continue
            call = re.match(r"^\d+ +(\w+)\((.*)", line)
            if not call:
                continue
            name, args = call.groups()
            if name in ("open", "openat", "openat2") and not re.search(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC", args):
                continue  # opened to read
            fd = re.match(r"(\d+)<(.)", args)
            if name.startswith(("write", "pwrite")) and not (fd and int(fd[1]) > 2 and fd[2] == "/"):
                continue  # the log (fds 0-2), or not a file: a pipe, the eventfd
            n += 1
    return n


def run_mode(rotated, shim, mode, double, scratch):
    def fresh(tag):
        root = os.path.join(scratch, f"{mode}-{tag}")
        shutil.rmtree(root, ignore_errors=True)
        return trial(root, mode)

    def under_shim(**variables):
        return dict(os.environ, LD_PRELOAD=shim, TZ="UTC0", **variables)

    t = fresh("count")
    before = t.versions()[0]
    # before, after this rotation, after the next one
    states = [before, before[1:-1] + [before[-1], b""], before[2:-1] + [before[-1], b"", b""]]
    calls = count_calls(rotated, t, shim, ["--once", "--force"])
    if problems(t, [states[1]], canonical=True):
        sys.exit(f"{mode}: an uninterrupted rotation is wrong: {problems(t, [states[1]], canonical=True)}")
    traced = strace_count(rotated, fresh("strace"))
    if traced != len(calls):
        sys.exit(f"{mode}: strace sees {traced} file-changing syscalls, the library {len(calls)}:\n" +
                 "\n".join(calls))

    def killed_at(k):
        """A fresh trial whose rotation was killed before call k."""
        t = fresh("kill")
        status, out = t.run(rotated, "--once", "--force", env=under_shim(KILL_AT_SYSCALL=str(k)))
        return t, [] if status == -9 else [f"not killed (exit {status}): {out}"]

    points = broken = 0
    for k in range(1, len(calls) + 1):
        # A restart left alone, then (--double) one killed before each of
        # its own calls; each on a trial made anew (a copy would give the
        # files new inodes, which the journal rightly does not recognise).
        restarts = [None]
        if double:
            restarts += range(1, len(count_calls(rotated, killed_at(k)[0], shim, ["--once"])) + 1)
        for m in restarts:
            points += 1
            t, found = killed_at(k)
            if m is not None:
                t.run(rotated, "--once", env=under_shim(KILL_AT_SYSCALL=str(m)))
            restart_status, restart_out = t.run(rotated, "--once", env=dict(os.environ, TZ="UTC0"))
            if restart_status != 0 or "error" in restart_out:
                found.append(f"the restart exited {restart_status}: {restart_out}")
            found += check_recovered(rotated, t, states)
            if found:
                broken += 1
                where = f"killed before {calls[k - 1]}" + (f", its restart before its call {m}" if m else "")
                print(f"{mode}: BROKEN, {where}:\n  " + "\n  ".join(found), file=sys.stderr)
    print(f"{mode}: {len(calls)} file-changing calls per rotation, {points} kill points, {broken} broken")
    return broken


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("rotated", help="the rotated binary")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated, of " + ", ".join(MODES))
    parser.add_argument("--double", action="store_true", help="also kill each restart at each of its calls")
    args = parser.parse_args()
    rotated = os.path.abspath(args.rotated)
    with tempfile.TemporaryDirectory(prefix="rotated-kill-") as scratch:
        shim = os.path.join(scratch, "kill_at_syscall.so")
        subprocess.run([os.environ.get("CC", "cc"), "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror",
                        "-o", shim, os.path.join(HERE, "kill_at_syscall.c"), "-ldl"], check=True)
        broken = sum(run_mode(rotated, shim, mode, args.double, scratch) for mode in args.modes.split(","))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
