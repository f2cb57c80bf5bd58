// Seed 001, "throw": an exception raised inside the generator at its paused
// yield, and caught there.
//
//   def gen():
//       try:
//           yield "running"
//       except ValueError:
//           print("Caught ValueError inside generator")
//
//   g = gen()
//   print(next(g))    # "running"
//   g.throw(ValueError)
//
// After the except block the body returns, so throw() itself ends with
// StopIteration (Python's script stops there with a traceback).
#include <weft/generator.hpp>

#include <cstdio>
#include <stdexcept>
#include <string>

// Python's ValueError.
struct value_error : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

weft::generator<std::string> gen() {
  return weft::generator<std::string>([](weft::yielder<std::string>& y) {
    try {
      y.yield("running");
    } catch (const value_error&) {
      std::printf("Caught ValueError inside generator\n");
    }
  });
}

int main() {
  auto g = gen();
  std::printf("%s\n", g.next().c_str());
  try {
    g.throw_in(value_error("ValueError"));
  } catch (const weft::stop_iteration&) {
    std::printf("StopIteration\n");
  }
}
