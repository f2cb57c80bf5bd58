// Three fibers take turns: each prints a line and suspends; main resumes
// them round-robin until all have finished. The smallest weft program.
#include <weft/fiber.hpp>

#include <cstdio>
#include <vector>

int main() {
  std::vector<weft::fiber> fibers;
  for (const char* name : {"alpha", "beta", "gamma"}) {
    fibers.emplace_back(
        [] {
          for (int step = 1; step <= 3; ++step) {
            std::printf("%-5s step %d\n", weft::this_fiber::name().data(), step);
            weft::this_fiber::suspend();
          }
        },
        weft::fiber_options{.name = name});
  }
  bool any_left = true;
  while (any_left) {
    any_left = false;
    for (auto& f : fibers)
      if (!f.finished()) {
        f.resume();
        any_left = true;
      }
  }
}
