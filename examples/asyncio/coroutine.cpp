// Seed 004, "Starting a Coroutine" (asyncio_coroutine.py): the loop runs a
// coroutine to completion with run_until_complete(), and is closed at the
// end whatever happens.
//
//   async def coroutine():
//       print('in coroutine')
//
//   event_loop = asyncio.get_event_loop()
//   try:
//       print('starting coroutine')
//       coro = coroutine()
//       print('entering event loop')
//       event_loop.run_until_complete(coro)
//   finally:
//       print('closing event loop')
//       event_loop.close()
//
// In weft a coroutine is a plain function; run_until_complete() runs it as
// the loop's first task. The `finally` is a scope guard.
#include <weft/loop.hpp>

#include <cstdio>

void coroutine() { std::printf("in coroutine\n"); }

int main() {
  weft::loop event_loop;
  struct close_at_exit {
    weft::loop& lp;
    ~close_at_exit() {
      std::printf("closing event loop\n");
      lp.close();
    }
  } finally{event_loop};
  std::printf("starting coroutine\n");
  auto coro = coroutine;  // not running yet: nothing has called it
  std::printf("entering event loop\n");
  event_loop.run_until_complete(coro);
}
