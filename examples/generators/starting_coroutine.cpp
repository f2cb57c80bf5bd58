// Seed 002, "Generator Foundation": the coroutine is started with next(),
// which runs it to its first yield, then resumed with send(42), which
// becomes the value of that yield.
//
//   def simple_coroutine():
//       print("Starting coroutine")
//       x = yield  # Pause point, receives value from outside
//       print("Received value:", x)
//
//   coro = simple_coroutine()
//   next(coro)      # Start the coroutine, execute up to the first yield
//   coro.send(42)   # Send a value to the coroutine, resume execution
//
// A bare `yield` hands out None: a generator yielding void.
#include <weft/generator.hpp>

#include <cstdio>

weft::generator<void, int> simple_coroutine() {
  return weft::generator<void, int>([](weft::yielder<void, int>& y) {
    std::printf("Starting coroutine\n");
    int x = *y.yield();  // pause point, receives a value from outside
    std::printf("Received value: %d\n", x);
  });
}

int main() {
  weft::generator<void, int> coro = simple_coroutine();
  coro.next();  // start the coroutine, run up to the first yield
  try {
    coro.send(42);  // send a value to the coroutine, resume it
  } catch (const weft::stop_iteration&) {
    // The body returned: Python's script ends with a StopIteration
    // traceback here.
    std::printf("StopIteration\n");
  }
}
