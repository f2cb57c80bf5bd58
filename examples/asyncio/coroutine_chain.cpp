// Seed 004, "Chaining Coroutines" (asyncio_coroutine_chain.py): one
// coroutine awaits two others in order and returns both results.
//
//   async def outer():
//       print('in outer')
//       print('waiting for result1')
//       result1 = await phase1()
//       print('waiting for result2')
//       result2 = await phase2(result1)
//       return (result1, result2)
//
//   async def phase1():
//       print('in phase1')
//       return 'result1'
//
//   async def phase2(arg):
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
// A task is a fiber, so `await phase1()` is an ordinary call: phase1 may
// itself sleep or wait, suspending the whole chain, with no await keyword and
// no async colouring of the functions.
#include <weft/loop.hpp>

#include <cstdio>
#include <string>
#include <utility>

std::string phase1() {
  std::printf("in phase1\n");
  return "result1";
}

std::string phase2(const std::string& arg) {
  std::printf("in phase2\n");
  return "result2 derived from " + arg;
}

std::pair<std::string, std::string> outer() {
  std::printf("in outer\n");
  std::printf("waiting for result1\n");
  std::string result1 = phase1();
  std::printf("waiting for result2\n");
  std::string result2 = phase2(result1);
  return {result1, result2};
}

int main() {
  weft::loop event_loop;
  struct close_at_exit {
    weft::loop& lp;
    ~close_at_exit() { lp.close(); }
  } finally{event_loop};
  auto return_value = event_loop.run_until_complete(outer);
  std::printf("return value: ('%s', '%s')\n", return_value.first.c_str(), return_value.second.c_str());
}
