# Cross-compiling weft for AArch64 Linux with Debian's g++-aarch64-linux-gnu;
# the test binaries run under qemu-user (Debian's qemu-user), which ctest and
# gtest_discover_tests call through CMAKE_CROSSCOMPILING_EMULATOR.
#
#   cmake -S . -B build-a64 -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=.ci/aarch64-linux-gnu.cmake \
#         -DWEFT_CONTEXT=asm -DWEFT_BUILD_BENCH=OFF -DWEFT_BUILD_EXAMPLES=OFF
#
# GoogleTest for the target is built from /usr/src/googletest
# (tests/CMakeLists.txt); Boost is not needed with WEFT_CONTEXT=asm.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)

# -L: where qemu finds the target's dynamic loader and shared libraries.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64;-L;/usr/aarch64-linux-gnu)

# Headers and libraries only from the target's tree; programs from the host.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
