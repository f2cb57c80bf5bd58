#!/usr/bin/env bash
# The README's first command: installs what is missing, builds weft and its
# examples, and runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
.ci/install-deps
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S . -B build/demo "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DWEFT_BUILD_TESTS=OFF -DWEFT_BUILD_BENCH=OFF >/dev/null
cmake --build build/demo -j "$(nproc)" >/dev/null
build/demo/examples/round_robin
