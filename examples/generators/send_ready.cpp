// Seed 001, "Send": yield as an expression. next() runs to the first yield
// and gets "ready"; send("hello") resumes it with "hello" as the value of
// that yield.
//
//   def gen():
//       value = yield "ready"
//       print("Received:", value)
//
//   g = gen()         # intialize generator
//   print(next(g))    # "ready"
//   g.send("hello")   # Resume and send value
#include <weft/generator.hpp>

#include <cstdio>
#include <string>

weft::generator<std::string, std::string> gen() {
  return weft::generator<std::string, std::string>([](weft::yielder<std::string, std::string>& y) {
    std::optional<std::string> value = y.yield("ready");
    std::printf("Received: %s\n", value ? value->c_str() : "None");
  });
}

int main() {
  auto g = gen();  // initialise the generator: nothing runs yet
  std::printf("%s\n", g.next().c_str());
  try {
    g.send("hello");  // resume and send a value
  } catch (const weft::stop_iteration&) {
    // The body returned after printing: Python's script ends with a
    // StopIteration traceback here.
    std::printf("StopIteration\n");
  }
}
