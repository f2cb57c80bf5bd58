// Seed 001, "Callback style": the loop runs plain functions too — now
// (call_soon), after a delay (call_later) or at a time (call_at) — and the
// same loop runs coroutine-style tasks beside them.
//
//   loop.call_later(...)     # callback style
//   await something()        # coroutine style
//
// The seed shows only those two lines. Here callbacks are scheduled out of
// order and run in deadline order (call_soon first, in the order called;
// equal deadlines in the order scheduled), one of them is cancelled through
// its handle, a task sleeps among them, and a last callback stops the loop
// (run_forever + stop). Virtual time: the timestamps are exact.
#include <weft/loop.hpp>

#include <chrono>
#include <cstdio>
#include <string>

using namespace std::chrono_literals;

int main() {
  weft::loop loop({.virtual_time = true});
  auto start = loop.now();
  auto at = [&] { return std::chrono::duration<double>(loop.now() - start).count(); };
  auto callback = [&](std::string what) {
    return [&at, what] { std::printf("%.2f s  callback %s\n", at(), what.c_str()); };
  };

  loop.call_later(200ms, callback("call_later 0.2 s"));
  loop.call_later(100ms, callback("call_later 0.1 s"));
  loop.call_soon(callback("call_soon 1"));
  loop.call_at(start + 100ms, callback("call_at 0.1 s (same deadline, scheduled later)"));
  weft::timer_handle dropped = loop.call_later(150ms, callback("never runs: cancelled"));
  loop.call_soon(callback("call_soon 2"));
  dropped.cancel();

  auto task = loop.spawn([&] {
    std::printf("%.2f s  task: started, sleeping 0.15 s\n", at());
    weft::sleep_for(150ms);
    std::printf("%.2f s  task: woke up\n", at());
  });

  loop.call_later(300ms, [&] {
    std::printf("%.2f s  callback stopping the loop\n", at());
    loop.stop();
  });
  loop.run_forever();
  std::printf("%.2f s  run_forever returned; task done: %s, cancelled callback: %s\n", at(), task.done() ? "yes" : "no",
              dropped.cancelled() ? "yes" : "no");
}
