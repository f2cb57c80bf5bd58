// Seed 001, "yield from": parser() delegates to a parse_number()
// sub-generator, which takes characters until a non-digit and returns the
// number. The caller feeds "123x45y" one character at a time into the
// outer generator; yield from routes every send to the sub-generator and
// hands its return value back to parser().
//
//   def parse_number():
//       digits = []
//       while True:
//           ch = yield
//           if ch.isdigit():
//               digits.append(ch)
//           else:
//               break
//       return int("".join(digits))
//
//   def parser():
//       while True:
//           result = yield from parse_number()
//           print("Parsed number: ", result)
//
//   p = parser()
//   next(p)
//   for c in "123x45y":
//       p.send(c)
//
// Both generators yield None (bare `yield`): weft's void Yield.
#include <weft/generator.hpp>

#include <cctype>
#include <cstdio>
#include <string>

weft::generator<void, char, int> parse_number() {
  return weft::generator<void, char, int>(
      [](weft::yielder<void, char>& y) {
        std::string digits;
        for (;;) {
          char ch = y.yield().value_or('\0');
          if (std::isdigit(static_cast<unsigned char>(ch))) digits += ch;
          else break;
        }
        return std::stoi(digits);
      },
      {.name = "parse_number"});
}

weft::generator<void, char> parser() {
  return weft::generator<void, char>(
      [](weft::yielder<void, char>& y) {
        for (;;) {
          int result = y.yield_from(parse_number());
          std::printf("Parsed number:  %d\n", result);
        }
      },
      {.name = "parser"});
}

int main() {
  auto p = parser();
  p.next();
  for (char c : std::string("123x45y")) p.send(c);
}
