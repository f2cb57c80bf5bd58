// Seed 000: two workers, A and B, take turns in one thread. task1 (worker
// A) is a generator; task2 (worker B) primes it with next() and hands the
// turn over with send(None) (weft: send(std::nullopt), the same as next()).
//
//   def task1():
//       while True:
//           yield "Worker A tired, let B work a while."
//           time.sleep(1)
//           print("Worker A do some work for a while...")
//
//   def task2(t):
//       next(t)
//       while True:
//           print("-----------------------------------")
//           print("Worker B working for some time......")
//           time.sleep(2)
//           print("Worker B tired, let worker A do some work......")
//           ret = t.send(None)
//           print(ret)
//       t.close()
//
// Differences, both to keep the example a quick, finite program: the
// workers' sleeps are left out (they only slow the output down), and B
// works three rounds instead of forever, so the final t.close() is reached.
#include <weft/generator.hpp>

#include <cstdio>
#include <optional>
#include <string>

weft::generator<std::string> task1() {
  return weft::generator<std::string>(
      [](weft::yielder<std::string>& y) {
        for (;;) {
          y.yield("Worker A tired, let B work a while.");
          std::printf("Worker A do some work for a while...\n");
        }
      },
      {.name = "worker A"});
}

void task2(weft::generator<std::string>& t, int rounds) {
  t.next();
  for (int round = 0; round < rounds; ++round) {
    std::printf("-----------------------------------\n");
    std::printf("Worker B working for some time......\n");
    std::printf("Worker B tired, let worker A do some work......\n");
    std::string ret = t.send(std::nullopt);
    std::printf("%s\n", ret.c_str());
  }
  t.close();
}

int main() {
  weft::generator<std::string> t = task1();
  task2(t, 3);
}
