// The Boost.Context backend: weft's context interface on fcontext. Unlike
// weft's own switch it saves MXCSR and the x87 control word on every jump
// (Boost does so unconditionally on x86-64), which costs a few ns more.
#include <boost/context/detail/fcontext.hpp>

#include <type_traits>

#include "weft/detail/context/context.hpp"

namespace bctx = boost::context::detail;

// weft_transfer and transfer_t are both two-pointer aggregates, so every ABI
// passes and returns them in the same registers; that is what lets an entry
// taking weft_transfer be handed to make_fcontext unchanged.
static_assert(sizeof(weft_transfer) == sizeof(bctx::transfer_t));
static_assert(std::is_standard_layout_v<bctx::transfer_t>);
static_assert(offsetof(weft_transfer, data) == offsetof(bctx::transfer_t, data));

extern "C" {

weft_transfer weft_context_jump(weft_context to, void* data) {
  bctx::transfer_t t = bctx::jump_fcontext(to, data);
  return {t.fctx, t.data};
}

weft_context weft_context_make(void* stack_top, std::size_t size, weft_context_entry entry) {
  using fcontext_entry = void (*)(bctx::transfer_t);
  return bctx::make_fcontext(stack_top, size, reinterpret_cast<fcontext_entry>(reinterpret_cast<void (*)()>(entry)));
}
}
