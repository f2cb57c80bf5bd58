// Seed 000, "yield": test_func(n) yields the first n Fibonacci numbers;
// each next() resumes it after its yield. The sixth next() finds it
// exhausted: Python raises StopIteration, weft::generator::next() throws
// weft::stop_iteration.
//
//   def test_func(n):
//       x, y = 0, 1
//       i = 0
//       while i < n:
//           yield y
//           x, y = y, x+y
//           i += 1
#include <weft/generator.hpp>

#include <cstdio>

weft::generator<int> test_func(int n) {
  return weft::generator<int>([n](weft::yielder<int>& out) {
    int x = 0, y = 1;
    int i = 0;
    while (i < n) {
      // When the function runs here, it stops and hands out y.
      out.yield(y);
      int next_y = x + y;
      x = y;
      y = next_y;
      i += 1;
    }
  });
}

int main() {
  weft::generator<int> func_object = test_func(5);
  for (int call = 0; call < 5; ++call) std::printf("%d\n", func_object.next());
  // When the loop stops, next() throws.
  try {
    func_object.next();
  } catch (const weft::stop_iteration&) {
    std::printf("StopIteration\n");
  }
}
