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
run_config asm -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_CONTEXT=asm
