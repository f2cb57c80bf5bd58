// Seed 000, "send()": a coroutine that receives a value through `a = yield
// b`, its four states (inspect.getgeneratorstate), and why it needs
// pre-activation: sending a real value to a just-created generator is an
// error (Python: TypeError; weft: weft::generator_not_started).
//
//   def simple_coroutine():
//       print('-> Start coroutine. ')
//       b = 10
//       a = yield b
//       print('-> Coroutine received a's value : ', a)
//
//   test_coroutine = simple_coroutine()
//   ret = next(test_coroutine)
//   print(ret)
//   test_coroutine.send(10)
//
// (The seed calls next(my_coro), a name it never defined; test_coroutine
// is what it means.) The state lines and the early send are this
// program's additions, showing what the seed's text describes.
#include <weft/generator.hpp>

#include <cstdio>

using coroutine = weft::generator<int, int>;

const char* getgeneratorstate(const coroutine& g) {
  switch (g.state()) {
    case weft::generator_state::created: return "GEN_CREATED";
    case weft::generator_state::running: return "GEN_RUNNING";
    case weft::generator_state::suspended: return "GEN_SUSPENDED";
    case weft::generator_state::closed: return "GEN_CLOSED";
  }
  return "?";
}

coroutine* watched = nullptr;  // lets the body report its own state

coroutine simple_coroutine() {
  return coroutine([](weft::yielder<int, int>& y) {
    std::printf("-> Start coroutine. \n");
    std::printf("%s\n", getgeneratorstate(*watched));
    int b = 10;
    int a = *y.yield(b);
    std::printf("-> Coroutine received a's value :  %d\n", a);
  });
}

int main() {
  // Without pre-activation: the send is refused, the coroutine untouched.
  coroutine early = simple_coroutine();
  std::printf("%s\n", getgeneratorstate(early));
  try {
    early.send(10);
  } catch (const weft::generator_not_started&) {
    std::printf("TypeError: can't send non-None value to a just-started generator\n");
  }
  std::printf("%s\n", getgeneratorstate(early));

  // The seed's program.
  coroutine test_coroutine = simple_coroutine();
  watched = &test_coroutine;
  int ret = test_coroutine.next();
  std::printf("%s\n", getgeneratorstate(test_coroutine));
  std::printf("%d\n", ret);
  try {
    test_coroutine.send(10);
  } catch (const weft::stop_iteration&) {
    // Python's script ends here with a StopIteration traceback: the body
    // returned after printing.
    std::printf("StopIteration\n");
  }
  std::printf("%s\n", getgeneratorstate(test_coroutine));
}
