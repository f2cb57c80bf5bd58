#!/usr/bin/env python3
"""A million numbered lines through rotations many times a second: none lost.

    python3 tests/rotated/stress/million_lines.py BUILD/examples/rotated/rotated \\
        [--lines 1000000] [--every 25ms] [--runs sighup:none,inode:gzip,...]

Per run, in a temporary directory (TMPDIR chooses where): the rotated
daemon rotates app.log every --every (keep = 1000, more than it makes, so nothing is dropped)
while a cooperating writer appends "%08d\\n" lines 0 .. N-1 to it as fast as
it can (O_APPEND) and reopens the path when told: `sighup` (notify sends it
SIGHUP through its pidfile) or `inode` (it compares the path's inode with
its file's every 100 lines, as a logger that watches for rotation does).
Compression is none, gzip or zstd. Once the writer is done, the daemon gets
SIGTERM; then every version, decompressed, oldest first, and app.log must
hold each line exactly once, in order. Prints per run the lines written,
lost, repeated, the rotations and their rate; exits 1 if any line was lost
or repeated, or the daemon logged an error. Needs zstd (.ci/install-deps).
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kill_at_every_syscall import decompress  # noqa: E402

RUNS = "sighup:none,inode:none,sighup:gzip,inode:gzip,sighup:zstd,inode:zstd"
VERSION = re.compile(r"^app\.log\.([0-9]+)(\.gz|\.zst)?$")


def moved(path, fd):
    """Whether path no longer names fd's file (as Python's WatchedFileHandler checks)."""
    try:
        return os.stat(path).st_ino != os.fstat(fd).st_ino
    except FileNotFoundError:  # between the rename and the fresh file: reopening creates it
        return True


def writer(path, lines, reopen):
    """The child: writes the lines, reopening as `reopen` says; exits 0."""
    finished = False
    try:
        told = []
        signal.signal(signal.SIGHUP, lambda *_: told.append(1))
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGHUP])  # blocked from before the fork
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
        fd = os.open(path, flags, 0o644)
        for i in range(lines):
            if told if reopen == "sighup" else i % 100 == 0 and moved(path, fd):
                told.clear()
                os.close(fd)
                fd = os.open(path, flags, 0o644)
            os.write(fd, b"%08d\n" % i)
        os.close(fd)
        finished = True
    finally:
        os._exit(0 if finished else 1)


def run(rotated, lines, every, reopen, method, scratch):
    directory = os.path.join(scratch, f"{reopen}-{method}")
    os.makedirs(directory)
    log, pidfile = os.path.join(directory, "app.log"), os.path.join(directory, "writer.pid")
    config = os.path.join(directory, "rotated.toml")
    with open(config, "w") as f:
        f.write(f'[[file]]\npath = "{log}"\nkeep = 1000\nevery = "{every}"\n')
        if method != "none":
            f.write(f'compress = "{method}"\n')
        if reopen == "sighup":
            f.write(f'notify = {{ pidfile = "{pidfile}", signal = "HUP" }}\n')
    os.chmod(config, 0o600)
    open(log, "w").close()
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGHUP])
    pid = os.fork()
    if pid == 0:
        writer(log, lines, reopen)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGHUP])
    with open(pidfile, "w") as f:
        f.write(f"{pid}\n")
    output = os.path.join(directory, "rotated.out")
    with open(output, "wb") as out:
        daemon = subprocess.Popen([rotated, "--config", config, "--foreground", "--state-dir",
                                   os.path.join(directory, "state")], stdout=out, stderr=subprocess.STDOUT)
        start = time.monotonic()
        _, status = os.waitpid(pid, 0)
        seconds = time.monotonic() - start
        time.sleep(0.2)  # one more rotation after the last line
        daemon.send_signal(signal.SIGTERM)
        daemon_status = daemon.wait(timeout=60)
    with open(output, errors="replace") as f:
        text = f.read()
    rotations = text.count(f"rotated {log} (")

    versions = []
    for name in os.listdir(directory):
        m = VERSION.match(name)
        if m:
            versions.append((-int(m.group(1)), name))
    content = b"".join(decompress(os.path.join(directory, n)) for _, n in sorted(versions))
    with open(log, "rb") as f:
        content += f.read()
    numbers = [int(line) for line in content.split(b"\n")[:-1]]
    seen = set(numbers)
    lost = lines - len(seen & set(range(lines)))
    repeated = len(numbers) - len(seen)
    in_order = numbers == sorted(numbers)
    errors = [line for line in text.splitlines() if "error" in line]
    print(f"{reopen:6} {method:4}: {lines} lines in {seconds:.1f} s, {rotations} rotations "
          f"({rotations / seconds:.0f}/s), {len(versions)} versions; {lost} lost, {repeated} repeated, "
          f"{'in order' if in_order else 'OUT OF ORDER'}, {len(errors)} errors")
    for e in errors[:5]:
        print("  " + e)
    ok = status == 0 and daemon_status == 0 and lost == 0 and repeated == 0 and in_order and not errors
    return ok and len(content) == 9 * lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("rotated", help="the rotated binary")
    parser.add_argument("--lines", type=int, default=1000000)
    parser.add_argument("--every", default="25ms", help="the rotation interval (rotated's duration syntax)")
    parser.add_argument("--runs", default=RUNS, help="comma-separated REOPEN:COMPRESSION, default " + RUNS)
    args = parser.parse_args()
    rotated = os.path.abspath(args.rotated)
    with tempfile.TemporaryDirectory(prefix="rotated-lines-") as scratch:
        results = [run(rotated, args.lines, args.every, *r.split(":"), scratch) for r in args.runs.split(",")]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
