#include "weft/detail/fatal.hpp"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>

namespace weft::detail {

void fatal(const char* what) noexcept {
  std::fprintf(stderr, "weft: %s\n", what);
  std::abort();
}

void fatalf(const char* format, ...) noexcept {
  std::fputs("weft: ", stderr);
  va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
  std::fputc('\n', stderr);
  std::abort();
}

}  // namespace weft::detail
