// Seed 004, "Generators Instead of Coroutines" (asyncio_generator.py): a
// coroutine written as a generator chains two phases with yield from and
// returns both results; run_until_complete() drives it to the end and takes
// its return value.
//
//   @asyncio.coroutine
//   def outer():
//       print('in outer')
//       print('waiting for result1')
//       result1 = yield from phase1()
//       print('waiting for result2')
//       result2 = yield from phase2(result1)
//       return (result1, result2)
//
//   @asyncio.coroutine
//   def phase1():
//       print('in phase1')
//       return 'result1'
//
//   @asyncio.coroutine
//   def phase2(arg):
//       print('in phase2')
//       return 'result2 derived from {}'.format(arg)
//
//   event_loop = asyncio.get_event_loop()
//   try:
//       return_value = event_loop.run_until_complete(outer())
//       print('return value: {!r}'.format(return_value))
//   finally:
//       event_loop.close()
//
// asyncio's loop is replaced by the smallest driver that does its job
// here: resume the coroutine until it returns. (Nothing in these phases
// waits, so nothing is ever yielded.)
#include <weft/generator.hpp>

#include <cstdio>
#include <string>
#include <utility>

template <class R>
using coroutine = weft::generator<void, void, R>;
using yielder = weft::yielder<void>;

coroutine<std::string> phase1() {
  return coroutine<std::string>([](yielder&) -> std::string {
    std::printf("in phase1\n");
    return "result1";
  });
}

coroutine<std::string> phase2(std::string arg) {
  return coroutine<std::string>([arg](yielder&) -> std::string {
    std::printf("in phase2\n");
    return "result2 derived from " + arg;
  });
}

coroutine<std::pair<std::string, std::string>> outer() {
  return coroutine<std::pair<std::string, std::string>>([](yielder& y) {
    std::printf("in outer\n");
    std::printf("waiting for result1\n");
    std::string result1 = y.yield_from(phase1());
    std::printf("waiting for result2\n");
    std::string result2 = y.yield_from(phase2(result1));
    return std::pair(result1, result2);
  });
}

template <class R>
R run_until_complete(coroutine<R> coro) {
  while (coro.try_next()) {
  }
  return std::move(*coro.return_value());
}

int main() {
  auto return_value = run_until_complete(outer());
  std::printf("return value: ('%s', '%s')\n", return_value.first.c_str(), return_value.second.c_str());
}
