// Seed 001: a running average as a coroutine. The first bare `yield` hands
// out None and waits for the first number; each later yield hands out the
// average so far and takes the next number.
//
//   def averager():
//       sum = float((yield))
//       counter = itertools.count(start=1)
//       while True:
//           sum += (yield sum / next(counter))
//
//   avg = averager()
//   next(avg)
//   avg.send(10)  # 10
//   avg.send(20)  # 15
//   avg.send(30)  # 20
//
// Python's None is an empty std::optional. The results are printed as the
// Python REPL shows them (a REPL prints nothing for None).
#include <weft/generator.hpp>

#include <cstdio>
#include <optional>

using averager_gen = weft::generator<std::optional<double>, double>;

averager_gen averager() {
  return averager_gen([](weft::yielder<std::optional<double>, double>& y) {
    double sum = *y.yield(std::nullopt);  // emit None, expect a number via send
    int counter = 1;
    for (;;) {
      // Emit the average, take the next value.
      double average = sum / counter++;
      sum += *y.yield(average);
    }
  });
}

int main() {
  averager_gen avg = averager();
  avg.next();  // primes it: runs to the first yield, which hands out None
  for (double value : {10.0, 20.0, 30.0}) std::printf("%.1f\n", *avg.send(value));
}
