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
run_config asm -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_CONTEXT=asm
