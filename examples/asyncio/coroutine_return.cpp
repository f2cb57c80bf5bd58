// Seed 004, "Returning Values from Coroutines" (asyncio_coroutine_return.py):
// run_until_complete() hands back what the coroutine returned.
//
//   async def coroutine():
//       print('in coroutine')
//       return 'result'
//
//   event_loop = asyncio.get_event_loop()
//   try:
//       return_value = event_loop.run_until_complete(coroutine())
//       print('it returned: {!r}'.format(return_value))
//   finally:
//       event_loop.close()
#include <weft/loop.hpp>

#include <cstdio>
#include <string>

std::string coroutine() {
  std::printf("in coroutine\n");
  return "result";
}

int main() {
  weft::loop event_loop;
  struct close_at_exit {
    weft::loop& lp;
    ~close_at_exit() { lp.close(); }
  } finally{event_loop};
  std::string return_value = event_loop.run_until_complete(coroutine);
  std::printf("it returned: '%s'\n", return_value.c_str());
}
