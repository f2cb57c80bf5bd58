// The generator's switch keeps every value that is live across it, on both
// sides. Where the build has the inline switch, it saves only rbp and the
// resume address and declares every other register clobbered, so the
// compiler must keep nothing else in registers across a yield; a clobber
// missing from its list would show here as a wrong sum.
#include <gtest/gtest.h>

#include <cstdint>

#include "weft/generator.hpp"

namespace {

using weft::generator;
using weft::yielder;

// Runs 200 steps of integer, double and long double arithmetic on many
// locals (more than fit in the registers of each kind), calling
// between(checksum) after each step with all of them live. The doubles stay
// small integers, so every result is exact however the compiler orders it.
template <class Between>
std::uint64_t mix(std::uint64_t seed, Between between) {
  std::uint64_t i0 = seed, i1 = seed * 3, i2 = seed + 7, i3 = seed ^ 0x55, i4 = 11, i5 = seed * seed;
  double d0 = static_cast<double>(seed % 100), d1 = 2, d2 = 3, d3 = 5, d4 = 7, d5 = 11, d6 = 13, d7 = 17, d8 = 19,
         d9 = 23, d10 = 29, d11 = 31, d12 = 37, d13 = 41, d14 = 43, d15 = 47, d16 = 53, d17 = 59;
  long double x0 = 1, x1 = 2;
  std::uint64_t total = 0;
  for (int k = 0; k < 200; ++k) {
    i0 += i1;
    i1 ^= i2 << 1;
    i2 += i3 * 3;
    i3 -= i4;
    i4 += i5 & 0xff;
    i5 = i5 * 5 + 1;
    d0 = d1 - d0 + k;
    d1 = d2 - d1 + 1;
    d2 = d3 - d2 + 2;
    d3 = d4 - d3 + 3;
    d4 = d5 - d4 + 4;
    d5 = d6 - d5 + 5;
    d6 = d7 - d6 + 6;
    d7 = d8 - d7 + 7;
    d8 = d9 - d8 + 8;
    d9 = d10 - d9 + 9;
    d10 = d11 - d10 + 10;
    d11 = d12 - d11 + 11;
    d12 = d13 - d12 + 12;
    d13 = d14 - d13 + 13;
    d14 = d15 - d14 + 14;
    d15 = d16 - d15 + 15;
    d16 = d17 - d16 + 16;
    d17 = d0 - d17 + 17;
    x0 = x1 - x0 + 3;
    x1 = x0 + x1 - 1;
    double ds = d0 + d1 + d2 + d3 + d4 + d5 + d6 + d7 + d8 + d9 + d10 + d11 + d12 + d13 + d14 + d15 + d16 + d17;
    std::uint64_t step = (i0 ^ i1 ^ i2 ^ i3 ^ i4 ^ i5) + static_cast<std::uint64_t>(static_cast<std::int64_t>(ds)) +
                         static_cast<std::uint64_t>(static_cast<std::int64_t>(x0 - x1));
    total = total * 31 + step;
    between(step);
  }
  return total;
}

TEST(generator_switch, values_live_across_every_yield_survive_on_both_sides) {
  std::uint64_t body_expected = 0;
  mix(12345, [&](std::uint64_t step) { body_expected += step; });
  const std::uint64_t caller_expected = mix(678, [](std::uint64_t) {});

  generator<std::uint64_t, void, std::uint64_t> g(
      [](yielder<std::uint64_t>& y) { return mix(12345, [&](std::uint64_t step) { y.yield(step); }); });
  std::uint64_t received = 0;
  const std::uint64_t caller_total = mix(678, [&](std::uint64_t) { received += g.next(); });
  EXPECT_EQ(caller_total, caller_expected);
  EXPECT_EQ(received, body_expected);
}

}  // namespace
