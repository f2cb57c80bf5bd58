// The link-time check that a program and libweft agree on sanitizers.
//
// The fiber control block's layout and the switch paths' bookkeeping differ
// under AddressSanitizer and ThreadSanitizer, so everything linked with weft
// must be built with the same -fsanitize flags as the library (UBSan alone
// changes nothing). libweft defines one symbol that names how it was built;
// every translation unit that includes the fiber layer references the one
// matching its own flags. A mismatch therefore fails to link, with an
// undefined reference that says what the program expected of the library,
// e.g. `weft_library_built_with_asan`, instead of running with false reports.
#pragma once

#include "weft/detail/sanitizer.hpp"

#if defined(WEFT_ASAN)
#define WEFT_BUILD_ABI_SYMBOL weft_library_built_with_asan
#elif defined(WEFT_TSAN)
#define WEFT_BUILD_ABI_SYMBOL weft_library_built_with_tsan
#else
#define WEFT_BUILD_ABI_SYMBOL weft_library_built_without_sanitizers
#endif

extern "C" const char WEFT_BUILD_ABI_SYMBOL;

namespace weft::detail {

// Emitted in every translation unit that includes this header (`used`), so
// its relocation reaches the linker whether or not anything reads it.
[[gnu::used]] inline const char* const build_abi_check = &WEFT_BUILD_ABI_SYMBOL;

}  // namespace weft::detail
