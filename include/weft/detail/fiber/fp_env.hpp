// The floating-point control state a fiber may keep for itself
// (fiber_options::preserve_fp_env): on x86-64 the MXCSR register (SSE
// rounding mode, exception masks, flush-to-zero) and the x87 control word;
// on AArch64 the FPCR. Elsewhere the whole <cfenv> environment.
#pragma once

#include <cstdint>

#if !defined(__x86_64__) && !defined(__aarch64__)
#include <cfenv>
#endif

namespace weft::detail {

#if defined(__x86_64__)
struct fp_env {
  std::uint32_t mxcsr;
  std::uint16_t x87_control;
};
inline fp_env read_fp_env() noexcept {
  fp_env e;
  asm volatile("stmxcsr %0" : "=m"(e.mxcsr));
  asm volatile("fnstcw %0" : "=m"(e.x87_control));
  return e;
}
inline void write_fp_env(const fp_env& e) noexcept {
  asm volatile("ldmxcsr %0" : : "m"(e.mxcsr));
  asm volatile("fldcw %0" : : "m"(e.x87_control));
}
#elif defined(__aarch64__)
struct fp_env {
  std::uint64_t fpcr;
};
inline fp_env read_fp_env() noexcept {
  fp_env e;
  asm volatile("mrs %0, fpcr" : "=r"(e.fpcr));
  return e;
}
inline void write_fp_env(const fp_env& e) noexcept { asm volatile("msr fpcr, %0" : : "r"(e.fpcr)); }
#else
struct fp_env {
  std::fenv_t env;
};
inline fp_env read_fp_env() noexcept {
  fp_env e;
  std::fegetenv(&e.env);
  return e;
}
inline void write_fp_env(const fp_env& e) noexcept { std::fesetenv(&e.env); }
#endif

}  // namespace weft::detail
