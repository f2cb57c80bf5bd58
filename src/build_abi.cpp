// The symbol that says how libweft was built, for the link-time check in
// weft/detail/build_abi.hpp: exactly one of them is defined, the one this
// library's own flags select.
#include "weft/detail/build_abi.hpp"

extern "C" const char WEFT_BUILD_ABI_SYMBOL = 1;
