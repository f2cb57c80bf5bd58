// Seed 002, "Introduction of the asyncio Library (Python 3.4)": a coroutine
// that delegates to asyncio.sleep, then reports.
//
//   @asyncio.coroutine  # Decorator to mark a coroutine
//   def old_style_coroutine():
//       yield from asyncio.sleep(1)  # Delegate to other generators
//       print("Execution completed")
//
// On weft's loop the delegation is a plain call to sleep_for(). The seed has
// no driver; this one runs the coroutine on virtual time and prints the
// loop's clock around it. (examples/generators/old_style_coroutine.cpp runs
// the generator form of the same coroutine on a toy loop.)
#include <weft/loop.hpp>

#include <chrono>
#include <cstdio>

using namespace std::chrono_literals;

void old_style_coroutine() {
  weft::sleep_for(1s);
  std::printf("Execution completed\n");
}

int main() {
  weft::loop lp({.virtual_time = true});
  auto start = lp.now();
  auto clock = [&] { return std::chrono::duration<double>(lp.now() - start).count(); };
  std::printf("loop time %.1f\n", clock());
  lp.run_until_complete(old_style_coroutine);
  std::printf("loop time %.1f\n", clock());
}
