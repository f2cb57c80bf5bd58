// Seed 001, "Coroutines Python2": a generator is a lazily evaluated list;
// `yield` emits a value and pauses until the caller asks for the next one.
//
//   def square(limit):
//       for i in range(limit):
//           yield i * i
//
// The seed only defines it; this program iterates square(5), printing each
// value as it is produced, the way `for v in square(5): print(v)` would.
#include <weft/generator.hpp>

#include <cstdio>

weft::generator<int> square(int limit) {
  return weft::generator<int>([limit](weft::yielder<int>& y) {
    for (int i = 0; i < limit; ++i) y.yield(i * i);
  });
}

int main() {
  for (int v : square(5)) std::printf("%d\n", v);
}
