// Seed 001, "Python 3.3: yield from": chain(*generators), written the
// pre-3.3 way (iterate each generator and re-yield every item) and the
// post-3.3 way (yield from each generator).
//
//   # Implementation in pre-3.3 Python
//   def chain(*generators):
//       for generator in generators:
//           for item in generator:
//               yield item
//
//   # Implementation in post-3.3 Python
//   def chain(*generators):
//       for generator in generators:
//           yield from generator
//
// The seed shows no call; this program chains square(3) and square(4)
// with both and prints list(...) of each.
#include <weft/generator.hpp>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

weft::generator<int> square(int limit) {
  return weft::generator<int>([limit](weft::yielder<int>& y) {
    for (int i = 0; i < limit; ++i) y.yield(i * i);
  });
}

weft::generator<int> chain_pre_33(std::vector<weft::generator<int>> generators) {
  return weft::generator<int>([generators = std::move(generators)](weft::yielder<int>& y) mutable {
    for (auto& generator : generators)
      for (int item : generator) y.yield(item);
  });
}

weft::generator<int> chain_post_33(std::vector<weft::generator<int>> generators) {
  return weft::generator<int>([generators = std::move(generators)](weft::yielder<int>& y) mutable {
    for (auto& generator : generators) y.yield_from(generator);
  });
}

std::vector<weft::generator<int>> two_squares() {
  std::vector<weft::generator<int>> gens;
  gens.push_back(square(3));
  gens.push_back(square(4));
  return gens;
}

// Python's repr of a list of ints.
std::string list(weft::generator<int> g) {
  std::string text = "[";
  for (int v : g) {
    if (text.size() > 1) text += ", ";
    text += std::to_string(v);
  }
  return text + "]";
}

int main() {
  std::printf("%s\n", list(chain_pre_33(two_squares())).c_str());
  std::printf("%s\n", list(chain_post_33(two_squares())).c_str());
}
