#include "weft/context.hpp"

// Compiled here so that its layout checks are too.
#include "context/switch_frame.hpp"

namespace weft {

#if defined(WEFT_CONTEXT_BOOST)
std::string_view context_backend() noexcept { return "boost"; }
bool context_switch_preserves_fp_env() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  return true;
#else
  return false;
#endif
}
#else
std::string_view context_backend() noexcept { return "asm"; }
bool context_switch_preserves_fp_env() noexcept { return false; }
#endif

}  // namespace weft
