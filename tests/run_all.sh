#!/usr/bin/env bash
# The whole test suite, as CI runs it: every configuration weft supports,
# each configured, built and run with ctest. The plain asm build runs last
# so that ctest's summary is the final thing printed. Exits non-zero if any
# configuration fails.
set -euo pipefail
cd "$(dirname "$0")/.."
.ci/install-deps

jobs=$(nproc)
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

run_config() {  # name, cmake arguments...
  local name=$1; shift
  echo "=== weft tests: $name" >&2
  cmake -S . -B "build/$name" "${generator[@]}" "$@" >/dev/null
  cmake --build "build/$name" -j "$jobs"
  (cd "build/$name" && ctest -j "$jobs" --output-on-failure --timeout 300)
}

run_config boost -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_CONTEXT=boost -DWEFT_BUILD_BENCH=OFF
run_config asan-ubsan -DCMAKE_BUILD_TYPE=Debug -DWEFT_SANITIZE=address,undefined -DWEFT_BUILD_BENCH=OFF
# The second compiler: Debian 12's clang-16 with libstdc++ 12, the asm
# backend (the boost one is compiler-independent C++), no benchmarks.
run_config clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_CONTEXT=asm -DWEFT_BUILD_BENCH=OFF \
  -DCMAKE_C_COMPILER=clang-16 -DCMAKE_CXX_COMPILER=clang++-16
# AArch64: the AAPCS64 asm switch, cross-compiled with g++-aarch64-linux-gnu
# and run under qemu-user (the toolchain file names it as ctest's emulator).
# Only the layers the switch carries: context, stack, fiber. No Boost for
# aarch64 here, hence asm and no benchmarks or examples.
run_cross() {  # name, toolchain file, ctest -R regex
  local name=$1 toolchain=$2 select=(-R "$3")
  echo "=== weft tests: $name (ctest ${select[*]})" >&2
  cmake -S . -B "build/$name" "${generator[@]}" -DCMAKE_TOOLCHAIN_FILE="$PWD/$toolchain" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_CONTEXT=asm -DWEFT_BUILD_BENCH=OFF -DWEFT_BUILD_EXAMPLES=OFF >/dev/null
  cmake --build "build/$name" -j "$jobs"
  (cd "build/$name" && ctest -j "$jobs" --output-on-failure --timeout 300 --no-tests=error "${select[@]}")
}
run_cross aarch64-qemu .ci/aarch64-linux-gnu.cmake '^(context|stack|fiber)[a-z_]*\.'
# ThreadSanitizer over the whole suite: the fiber switch announces itself
# (__tsan_switch_to_fiber), and any report makes TSan exit 66, failing the
# test.
run_config tsan -DCMAKE_BUILD_TYPE=Debug -DWEFT_SANITIZE=thread -DWEFT_BUILD_BENCH=OFF
# Valgrind memcheck over the context, stack, fiber and generator tests of the
# asm build,
# configured with the last line's arguments (which then finds it built).
# Fiber stacks are registered with VALGRIND_STACK_REGISTER. Left out:
#  fiber_death*, stack_death.*  each forks a child that is meant to abort
#    (or, for the older kernels' emulation, to run apart); under Valgrind
#    that is slow and its expected crash is reported as an error.
#  fiber_fp_env.preserving_fiber_keeps_its_rounding_mode_across_suspend
#    Valgrind ignores the SSE rounding mode (divsd rounds to nearest whatever
#    MXCSR says), so 1/3 rounded up and down come out equal.
#  stack_pool.an_impossible_mapping_throws_system_error_with_errno
#    Valgrind's mmap answers a 4 EiB request with EINVAL; the kernel, ENOMEM.
valgrind_skip='fiber_death*:stack_death.*:fiber_fp_env.preserving_fiber_keeps_its_rounding_mode_across_suspend'
valgrind_skip+=':stack_pool.an_impossible_mapping_throws_system_error_with_errno'
echo "=== weft tests: valgrind memcheck (asm; gtest filter -$valgrind_skip)" >&2
cmake -S . -B build/asm "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_CONTEXT=asm >/dev/null
cmake --build build/asm -j "$jobs"
for layer in context stack fiber generator; do
  valgrind --error-exitcode=1 --leak-check=full -q \
    "build/asm/tests/$layer/${layer}_tests" --gtest_brief=1 --gtest_filter="-$valgrind_skip"
done
run_config asm -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_CONTEXT=asm
