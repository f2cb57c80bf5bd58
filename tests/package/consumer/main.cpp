// A program outside weft's tree, built only from what a consumer gets: the
// installed headers and libweft.a (or the source tree via add_subdirectory).
// One fiber computes in two halves around a suspension; main checks every
// step it observes and exits 0 only if all of them are as expected.
#include <weft/fiber.hpp>

#include <cstdio>
#include <vector>

int main() {
  std::vector<int> steps;
  long sum = 0;
  weft::fiber f(
      [&] {
        for (int i = 1; i <= 50; ++i) sum += i;
        steps.push_back(1);
        weft::this_fiber::suspend();
        for (int i = 51; i <= 100; ++i) sum += i;
        steps.push_back(3);
      },
      {.name = "consumer"});

  f.resume();
  steps.push_back(2);
  bool suspended_halfway = f.state() == weft::fiber_state::suspended && sum == 1275;
  f.resume();
  steps.push_back(4);

  bool ok = suspended_halfway && f.finished() && sum == 5050 && steps == std::vector<int>{1, 2, 3, 4} &&
            f.name() == "consumer";
  if (!ok) {
    std::fprintf(stderr, "weft consumer: FAILED (state %s, sum %ld, %zu steps)\n",
                 std::string(weft::to_string(f.state())).c_str(), sum, steps.size());
    return 1;
  }
  std::printf("weft consumer: ok (fiber '%s' on a %s stack, sum %ld)\n", std::string(f.name()).c_str(),
              std::string(weft::to_string(f.stack())).c_str(), sum);
  return 0;
}
