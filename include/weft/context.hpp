// Which context-switch backend this build of weft uses, chosen when weft was
// configured (-DWEFT_CONTEXT=asm|boost), and what that means for code that
// changes floating-point modes.
#pragma once

#include <string_view>

namespace weft {

// "asm" (weft's hand-written switch) or "boost" (Boost.Context fcontext).
std::string_view context_backend() noexcept;

// Whether every switch saves and restores the floating-point control state
// (MXCSR, x87 control word) by itself. false for asm, where that state is
// per thread unless a fiber asks for fiber_options::preserve_fp_env;
// true for boost on x86-64, which saves it on every jump.
bool context_switch_preserves_fp_env() noexcept;

}  // namespace weft
