// Seed 002, "Error Handling": an exception from an awaited call is caught
// like any other, and gather(..., return_exceptions=True) hands back each
// coroutine's exception as its result instead of raising the first.
//
//   async def risky_operation():
//       try:
//           await some_async_call()
//       except Exception as e:
//           print(f"Operation failed: {e}")
//
//   # Error handling for multiple coroutines
//   async def batch_operations():
//       results = await asyncio.gather(
//           task1(), task2(), task3(),
//           return_exceptions=True  # Return exceptions as results
//       )
//
// The seed leaves some_async_call and task1..task3 undefined; here they
// sleep and then succeed or fail, and batch_operations prints each outcome.
// Without return_exceptions the first failure would be raised, which the
// last part shows. Virtual time: the seconds printed are exact.
#include <weft/gather.hpp>
#include <weft/loop.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;

void some_async_call() {
  weft::sleep_for(500ms);
  throw std::runtime_error("connection reset by peer");
}

void risky_operation() {
  try {
    some_async_call();
  } catch (const std::exception& e) {
    std::printf("Operation failed: %s\n", e.what());
  }
}

int task1() {
  weft::sleep_for(1s);
  return 1;
}
int task2() {
  weft::sleep_for(2s);
  throw std::invalid_argument("task2 got a bad record");
}
std::string task3() {
  weft::sleep_for(3s);
  return "three";
}

template <class T>
void print_outcome(const char* name, const weft::outcome<T>& o) {
  if (!o.has_value()) {
    try {
      std::rethrow_exception(o.error());
    } catch (const std::exception& e) {
      std::printf("  %s raised: %s\n", name, e.what());
    }
    return;
  }
  if constexpr (std::is_same_v<T, std::string>) std::printf("  %s returned '%s'\n", name, o->c_str());
  else std::printf("  %s returned %d\n", name, *o);
}

void batch_operations() {
  auto [r1, r2, r3] = weft::gather(weft::return_exceptions, task1, task2, task3);
  print_outcome("task1", r1);
  print_outcome("task2", r2);
  print_outcome("task3", r3);
}

int main() {
  weft::loop lp({.virtual_time = true});
  auto start = lp.now();
  auto at = [&] { return std::chrono::duration<double>(lp.now() - start).count(); };
  lp.run_until_complete([&] {
    risky_operation();
    std::printf("(t = %.1f s)\n", at());

    start = lp.now();
    std::printf("batch_operations, return_exceptions:\n");
    batch_operations();
    std::printf("(t = %.1f s: gather waited for all three)\n", at());

    start = lp.now();
    try {
      weft::gather(task1, task2, task3);
    } catch (const std::exception& e) {
      std::printf("without return_exceptions, gather raised: %s\n", e.what());
    }
    std::printf("(t = %.1f s: the first failure, at once)\n", at());
  });
}
