#!/usr/bin/env python3
"""CPython's generator send() and next(), in ns per call: the peer of
BM_generator_send and BM_generator_next in bench/generator_bench.cpp.

The generators mirror the C++ ones: a running total that takes one int per
send and hands one back, and a counter that yields one int per next. Each
figure is the median of --repetitions runs of --calls calls. Times are the
thread's CPU time (time.thread_time_ns), like Google Benchmark's CPU column,
so a busy machine inflates them less than wall time; the "net" figures
subtract the same loop calling a no-op function.

    python3 bench/python_generator_send.py [--calls N] [--repetitions R]
"""

import argparse
import platform
import statistics
import time


def running_total():
    total = 0
    while True:
        total += (yield total) or 0


def counter():
    i = 0
    while True:
        yield i
        i += 1


def time_send(calls):
    g = running_total()
    next(g)
    send = g.send
    start = time.thread_time_ns()
    for i in range(calls):
        send(i)
    return time.thread_time_ns() - start


def time_next(calls):
    g = counter()
    start = time.thread_time_ns()
    for _ in range(calls):
        next(g)
    return time.thread_time_ns() - start


def time_empty_loop(calls):
    def noop(_):
        return None

    start = time.thread_time_ns()
    for i in range(calls):
        noop(i)
    return time.thread_time_ns() - start


def median_ns_per_call(measure, calls, repetitions, baseline):
    runs = [(measure(calls) - baseline) / calls for _ in range(repetitions)]
    return statistics.median(runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2_000_000)
    parser.add_argument("--repetitions", type=int, default=5)
    args = parser.parse_args()

    # The loop and a plain call cost something too; subtracting them leaves
    # what send/next add. Both raw and net figures are printed.
    loop_ns = statistics.median(time_empty_loop(args.calls) for _ in range(args.repetitions))
    send_raw = median_ns_per_call(time_send, args.calls, args.repetitions, 0)
    next_raw = median_ns_per_call(time_next, args.calls, args.repetitions, 0)
    send_net = median_ns_per_call(time_send, args.calls, args.repetitions, loop_ns)
    next_net = median_ns_per_call(time_next, args.calls, args.repetitions, loop_ns)

    print(f"{platform.python_implementation()} {platform.python_version()}, "
          f"{args.calls} calls x {args.repetitions} repetitions (median)")
    print(f"python_generator_send  {send_raw:6.1f} ns per send  "
          f"({send_net:.1f} ns net of the loop and a call)")
    print(f"python_generator_next  {next_raw:6.1f} ns per next  "
          f"({next_net:.1f} ns net of the loop and a call)")


if __name__ == "__main__":
    main()
