// Seed 001, "close": the caller ends the generator early. close() raises
// generator_exit at the paused yield, so the cleanup runs and 2 is never
// yielded.
//
//   def gen():
//       try:
//           yield 1
//           yield 2
//       finally:
//           print("Cleaning up...")
//
//   g = gen()
//   print(next(g))  # 1
//   g.close()       # Cleaning up, not yielding 2 as we closed the generator
//
// Python's `finally` is a destructor here: it runs on every way out.
#include <weft/generator.hpp>

#include <cstdio>

struct finally_print {
  const char* text;
  ~finally_print() { std::printf("%s\n", text); }
};

weft::generator<int> gen() {
  return weft::generator<int>([](weft::yielder<int>& y) {
    finally_print cleanup{"Cleaning up..."};
    y.yield(1);
    y.yield(2);
  });
}

int main() {
  auto g = gen();
  std::printf("%d\n", g.next());
  g.close();  // cleans up; 2 is never yielded
}
