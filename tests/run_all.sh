#!/usr/bin/env bash
# The whole test suite, as CI runs it: every configuration weft supports,
# each a stage that configures, builds (warnings are errors) and tests. A
# failing stage does not stop the others; each reports on its own line at
# the end, with its time, and the script exits non-zero if any failed. The
# plain asm build runs last, so its ctest summary comes just before the
# stage table; the last line adds up every stage's tests.
set -uo pipefail
cd "$(dirname "$0")/.."
.ci/install-deps || exit 1

jobs=$(nproc)
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
logs=build/stage-logs
mkdir -p "$logs"

stage_lines=()
failed_stages=0
tests_passed=0
tests_failed=0

# stage NAME COMMAND...: runs one stage, its output teed to build/stage-logs.
stage() {
  local name=$1; shift
  echo "=== weft stage: $name" >&2
  local start=$SECONDS result=pass
  "$@" 2>&1 | tee "$logs/$name.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || { result=FAIL; failed_stages=$((failed_stages + 1)); }
  # ctest's "N% tests passed, F tests failed out of T", once per ctest run.
  local counts
  counts=$(sed -n 's/.*tests passed, \([0-9]*\) tests\{0,1\} failed out of \([0-9]*\).*/\1 \2/p' "$logs/$name.log")
  local f t
  while read -r f t; do
    [ -n "$f" ] || continue
    tests_failed=$((tests_failed + f)); tests_passed=$((tests_passed + t - f))
  done <<< "$counts"
  stage_lines+=("$(printf '  %-14s %-4s %5ds' "$name" "$result" $((SECONDS - start)))")
}

configure_build() {  # name, cmake arguments...
  local name=$1; shift
  cmake -S . -B "build/$name" "${generator[@]}" -DWEFT_WERROR=ON "$@" >/dev/null &&
    cmake --build "build/$name" -j "$jobs"
}
run_config() {  # name, cmake arguments...
  configure_build "$@" && (cd "build/$1" && ctest -j "$jobs" --output-on-failure --timeout 300)
}

stage boost run_config boost -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_CONTEXT=boost -DWEFT_BUILD_BENCH=OFF
# The second compiler: Debian 12's clang-16 with libstdc++ 12, the asm
# backend (the boost one is compiler-independent C++), no benchmarks. It
# also builds the libFuzzer targets and fuzzes each for WEFT_FUZZ_SECONDS
# (tests/fuzz/README.md says how to fuzz for longer).
# First the layout check (clang-format); the same build's compile commands
# then drive clang-tidy over the
# library's sources (.clang-tidy lists the checks and why others are off);
# any finding fails the stage. -Wthread-safety is on in every clang build.
run_clang() {
  echo "clang-format: every tracked C and C++ file as .clang-format says"
  git ls-files '*.cpp' '*.hpp' '*.h' '*.c' | xargs clang-format-16 --dry-run --Werror || return 1
  run_config clang "$@" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON || return 1
  echo "clang-tidy over src/ (findings in $logs/clang-tidy.log)"
  run-clang-tidy-16 -p build/clang -j "$jobs" -quiet 'src/.*\.cpp$' >"$logs/clang-tidy.log" 2>&1 && return 0
  grep -E 'error:|warning:' "$logs/clang-tidy.log" | sort -u
  return 1
}
stage clang run_clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_CONTEXT=asm -DWEFT_BUILD_BENCH=OFF \
  -DCMAKE_C_COMPILER=clang-16 -DCMAKE_CXX_COMPILER=clang++-16 -DWEFT_BUILD_FUZZERS=ON
stage asan-ubsan run_config asan-ubsan -DCMAKE_BUILD_TYPE=Debug -DWEFT_SANITIZE=address,undefined -DWEFT_BUILD_BENCH=OFF
# AArch64: the AAPCS64 asm switch, cross-compiled with g++-aarch64-linux-gnu
# and run under qemu-user (the toolchain file names it as ctest's emulator).
# Only the layers the switch carries: context, stack, fiber. No Boost for
# aarch64 here, hence asm and no benchmarks or examples.
run_cross() {  # name, toolchain file, ctest -R regex, ctest -E regex
  local name=$1 toolchain=$2 select=(-R "$3" -E "$4")
  configure_build "$name" -DCMAKE_TOOLCHAIN_FILE="$PWD/$toolchain" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_CONTEXT=asm -DWEFT_BUILD_BENCH=OFF -DWEFT_BUILD_EXAMPLES=OFF &&
    (cd "build/$name" && ctest -j "$jobs" --output-on-failure --timeout 300 --no-tests=error "${select[@]}")
}
# Left out there: the tests of the host kernel's guard regions. qemu-user
# answers 0 to madvise advice it does not know and applies none, so weft's
# probe rightly finds no guard regions in the emulated process, while the
# kernel is new enough for them.
stage aarch64-qemu run_cross aarch64-qemu .ci/aarch64-linux-gnu.cmake '^(context|stack|fiber)[a-z_]*\.' \
  '^stack_pool\.(guard_regions_are_used_exactly_on_linux_6_13_and_later|with_guard_regions_|past_the_old_guarded_budget_)|^stack_death\.the_guard_between_two_carved_stacks'
# ThreadSanitizer over the whole suite: the fiber switch announces itself
# (__tsan_switch_to_fiber), and any report makes TSan exit 66, failing the
# test.
stage tsan run_config tsan -DCMAKE_BUILD_TYPE=Debug -DWEFT_SANITIZE=thread -DWEFT_BUILD_BENCH=OFF
# Valgrind memcheck over the context, stack, fiber and generator tests of the
# asm build, configured with the last stage's arguments (which then finds it
# built). Fiber stacks are registered with VALGRIND_STACK_REGISTER. Left out:
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
run_valgrind() {
  configure_build asm -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_CONTEXT=asm || return 1
  local layer status=0
  for layer in context stack fiber generator; do
    echo "valgrind memcheck: ${layer}_tests (gtest filter -$valgrind_skip)"
    valgrind --error-exitcode=1 --leak-check=full -q \
      "build/asm/tests/$layer/${layer}_tests" --gtest_brief=1 --gtest_filter="-$valgrind_skip" || status=1
  done
  return $status
}
stage valgrind run_valgrind
# The Debian packages (packaging/check_debs.sh): built with CPack, installed
# on this (clean, root) machine with `apt-get install ./…deb`, the
# installed rotated run on its demo configuration, a consumer built with
# find_package and with pkg-config, then purged: the machine is left as it
# was. It refuses (exit 2) where a weft is installed from elsewhere.
stage debs packaging/check_debs.sh build/deb
stage asm run_config asm -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_CONTEXT=asm

echo
echo "weft stages:"
printf '%s\n' "${stage_lines[@]}"
echo "weft: $tests_passed passed, $tests_failed failed"
[ "$failed_stages" -eq 0 ]
