#include "weft/detail/fatal.hpp"

#include <cstdio>
#include <cstdlib>

namespace weft::detail {

void fatal(const char* what) noexcept {
  std::fprintf(stderr, "weft: %s\n", what);
  std::abort();
}

}  // namespace weft::detail
