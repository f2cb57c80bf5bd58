// Seed 003, "Basic async and await": the same two coroutines run three ways
// — awaited one after the other, as tasks created up front, and through
// asyncio.gather.
//
//   async def f():
//       print("hello")
//
//   async def g():
//       print("world")
//
//   # execute f() then g()
//   result_f = await f()
//   result_g = await g()
//
//   # execute f() and g() concurrently
//   task_f = asyncio.create_task(f())
//   task_g = asyncio.create_task(g())
//   await asyncio.sleep(1)
//   result_f = await task_f
//   result_g = await task_g
//
//   # wait for all tasks to finish then return values in order
//   result_f, result_g = await asyncio.gather(f(), g())
//
// The seed's fragments live in one coroutine here, with a line naming each
// part and the loop's virtual clock after it. The created tasks run while
// the creator sleeps, so hello and world come before the sleep ends.
#include <weft/gather.hpp>
#include <weft/loop.hpp>

#include <chrono>
#include <cstdio>

using namespace std::chrono_literals;

void f() { std::printf("hello\n"); }
void g() { std::printf("world\n"); }

int main() {
  weft::loop lp({.virtual_time = true});
  auto start = lp.now();
  auto at = [&] { return std::chrono::duration<double>(lp.now() - start).count(); };
  lp.run_until_complete([&] {
    std::printf("# execute f() then g()\n");
    f();
    g();
    std::printf("(t = %.1f s)\n", at());

    std::printf("# execute f() and g() concurrently\n");
    auto task_f = weft::spawn(f);
    auto task_g = weft::spawn(g);
    std::printf("tasks created\n");
    weft::sleep_for(1s);
    task_f.join();
    task_g.join();
    std::printf("(t = %.1f s)\n", at());

    std::printf("# gather: wait for all, results in order\n");
    auto [result_f, result_g] = weft::gather(f, g);  // std::monostate: f and g return nothing
    (void)result_f;
    (void)result_g;
    std::printf("(t = %.1f s)\n", at());
  });
}
