// Seed 003, "Baby toy on top of generators": control passes back and forth
// between from_users() and the generator; send(None) primes it, then every
// send("A") is printed by the generator and answered with the next number,
// until the generator ends and the caller sees StopIteration.
//
//   def coroutine(num):
//       for i in range(1, num):
//           from_user = yield i
//           print(f'Send from user to generator {from_user}')
//
//   def from_users():
//       c = coroutine(10)
//       from_generator = c.send(None)
//       print(f'From primed generator to base user {from_generator}')
//       try:
//           while True:
//               from_generator = c.send("A")
//               print(f'From generator to user {from_generator}')
//       except StopIteration:
//           print("reaching the end")
#include <weft/generator.hpp>

#include <cstdio>
#include <optional>
#include <string>

weft::generator<int, std::string> coroutine(int num) {
  return weft::generator<int, std::string>([num](weft::yielder<int, std::string>& y) {
    for (int i = 1; i < num; ++i) {
      std::optional<std::string> from_user = y.yield(i);
      std::printf("Send from user to generator %s\n", from_user ? from_user->c_str() : "None");
    }
  });
}

void from_users() {
  auto c = coroutine(10);
  int from_generator = c.send(std::nullopt);
  std::printf("From primed generator to base user %d\n", from_generator);
  try {
    for (;;) {
      from_generator = c.send("A");
      std::printf("From generator to user %d\n", from_generator);
    }
  } catch (const weft::stop_iteration&) {
    std::printf("reaching the end\n");
  }
}

int main() { from_users(); }
