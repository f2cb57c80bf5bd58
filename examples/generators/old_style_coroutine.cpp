// Seed 002, "Introduction of the asyncio Library (Python 3.4)": a
// generator-based coroutine that delegates to asyncio.sleep with yield from,
// then finishes.
//
//   @asyncio.coroutine  # Decorator to mark a coroutine
//   def old_style_coroutine():
//       yield from asyncio.sleep(1)  # Delegate to other generators
//       print("Execution completed")
//
// The seed shows no driver; this program runs the coroutine to completion
// on the virtual-time loop of sleep_loop.hpp and prints the loop's clock
// before and after, so the one-second sleep is visible.
#include <cstdio>

#include "sleep_loop.hpp"

sleep_loop::task old_style_coroutine() {
  return sleep_loop::task(
      [](sleep_loop::yielder& y) {
        y.yield_from(sleep_loop::sleep(1));  // delegate to another generator
        std::printf("Execution completed\n");
      },
      {.name = "old_style_coroutine"});
}

int main() {
  sleep_loop::loop event_loop;
  std::printf("loop time %.1f\n", event_loop.time());
  event_loop.run_until_complete(old_style_coroutine());
  std::printf("loop time %.1f\n", event_loop.time());
}
