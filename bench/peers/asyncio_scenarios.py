#!/usr/bin/env python3
"""The event-loop scenarios of bench/loop_bench.cpp on Python's asyncio (and
uvloop when installed), for the comparison in docs/performance.md.

Prints one line per scenario and loop: `name loop median_ns min_ns max_ns`,
the median of 5 repetitions of ns per operation:
  yield_pingpong  two tasks alternating through asyncio.sleep(0), per yield
  spawn_join      create_task of an empty coroutine and await it
  queue_pingpong  two tasks passing an int through two queues, per hop
  timers/N        N tasks each sleeping a random 0-1 s on the real clock,
                  reported as process CPU time per timer (the loop's cost of
                  arming, ordering and firing, not the sleeping)
"""
import asyncio
import random
import statistics
import sys
import time

REPETITIONS = 5


async def yield_pingpong(n):
    stop = False

    async def other():
        while not stop:
            await asyncio.sleep(0)

    t = asyncio.create_task(other())
    start = time.perf_counter_ns()
    for _ in range(n):
        await asyncio.sleep(0)
    elapsed = time.perf_counter_ns() - start
    stop = True
    await t
    return elapsed / (2 * n)


async def spawn_join(n):
    async def empty():
        pass

    start = time.perf_counter_ns()
    for _ in range(n):
        await asyncio.create_task(empty())
    return (time.perf_counter_ns() - start) / n


async def queue_pingpong(n):
    ping, pong = asyncio.Queue(), asyncio.Queue()

    async def echo():
        for _ in range(n):
            pong.put_nowait(await ping.get())

    t = asyncio.create_task(echo())
    start = time.perf_counter_ns()
    for i in range(n):
        ping.put_nowait(i)
        await pong.get()
    elapsed = time.perf_counter_ns() - start
    await t
    return elapsed / (2 * n)


async def timers(n):
    rng = random.Random(42)
    delays = [rng.random() for _ in range(n)]
    start = time.process_time_ns()
    await asyncio.gather(*(asyncio.sleep(d) for d in delays))
    return (time.process_time_ns() - start) / n


SCENARIOS = [
    ("yield_pingpong", lambda: yield_pingpong(200_000)),
    ("spawn_join", lambda: spawn_join(100_000)),
    ("queue_pingpong", lambda: queue_pingpong(100_000)),
    ("timers/10000", lambda: timers(10_000)),
]


def run(loop_name, new_loop):
    for name, make in SCENARIOS:
        samples = []
        for _ in range(REPETITIONS):
            loop = new_loop()
            try:
                samples.append(loop.run_until_complete(make()))
            finally:
                loop.close()
        print(f"{name} {loop_name} {statistics.median(samples):.1f} {min(samples):.1f} {max(samples):.1f}",
              flush=True)


def main():
    run("asyncio", asyncio.new_event_loop)
    try:
        import uvloop
    except ImportError:
        print("# uvloop not installed (Debian: python3-uvloop)", file=sys.stderr)
        return
    run("uvloop", uvloop.new_event_loop)


if __name__ == "__main__":
    main()
