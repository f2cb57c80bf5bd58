// Seed 002, "async/await Syntax": the same two one-second waits, first one
// after the other (2 s), then as two tasks running concurrently (1 s).
//
//   async def say_after(delay, message):
//       await asyncio.sleep(delay)  # Asynchronous wait
//       print(message)
//
//   async def main():
//       # Sequential execution
//       await say_after(1, "Hello")
//       await say_after(1, "World")
//       # Concurrent execution
//       task1 = asyncio.create_task(say_after(1, "Task1"))
//       task2 = asyncio.create_task(say_after(1, "Task2"))
//       await task1
//       await task2
//
//   asyncio.run(main())
//
// The loop runs on virtual time, so the program finishes at once and the
// elapsed seconds it prints after each part (not in the seed) are exact.
#include <weft/loop.hpp>

#include <chrono>
#include <cstdio>

using namespace std::chrono_literals;

void say_after(weft::loop::duration delay, const char* message) {
  weft::sleep_for(delay);  // suspends this task only
  std::printf("%s\n", message);
}

int main() {
  weft::loop lp({.virtual_time = true});
  auto seconds_since = [&](weft::loop::time_point start) {
    return std::chrono::duration<double>(lp.now() - start).count();
  };
  lp.run_until_complete([&] {
    // Sequential execution
    auto start = lp.now();
    say_after(1s, "Hello");
    say_after(1s, "World");
    std::printf("sequential: %.1f s\n", seconds_since(start));

    // Concurrent execution
    start = lp.now();
    auto task1 = weft::spawn([] { say_after(1s, "Task1"); });
    auto task2 = weft::spawn([] { say_after(1s, "Task2"); });
    task1.join();
    task2.join();
    std::printf("concurrent: %.1f s\n", seconds_since(start));
  });
}
