# One step of the package test, run by ctest as
#   cmake -DSTEP=<install|find_package|pkg_config|add_subdirectory> -D... -P check_package.cmake
# Every command's output is kept and shown in full if the command fails.
#
#   install           cmake --install of the build tree into PREFIX, then
#                     checks the files a consumer relies on are there
#   find_package      builds consumer/ with find_package(weft CONFIG) against
#                     PREFIX and runs it
#   pkg_config        compiles consumer/main.cpp with the flags from
#                     `pkg-config --cflags --libs weft` (PKG_CONFIG_PATH at
#                     PREFIX) and runs it; checks weft.pc has no -std= and
#                     a sanitizer build's flags, and that a consumer with
#                     other sanitizer flags fails to link naming the problem
#   add_subdirectory  builds consumer/ with add_subdirectory(WEFT_SOURCE_DIR)
#                     and runs it
#   library_only      configures WEFT_SOURCE_DIR with tests, benchmarks and
#                     examples off while none of their dependencies can be
#                     found: the library alone must need none of them
#
# Inputs (all set by tests/package/CMakeLists.txt): STEP BUILD_DIR PREFIX
# WORK_DIR CONSUMER_DIR WEFT_SOURCE_DIR CONFIG GENERATOR MAKE_PROGRAM
# C_COMPILER CXX_COMPILER LIBDIR INCLUDEDIR WEFT_CONTEXT WEFT_SANITIZE.
cmake_minimum_required(VERSION 3.20)

# Runs a command; on failure stops the test with `what`, the command line
# and everything it printed. Leaves its output in step_output.
function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(NOT status EQUAL 0)
    list(JOIN ARGN " " command_line)
    message(FATAL_ERROR "package test (${STEP}): ${what} failed (exit status ${status})\n"
                        "command: ${command_line}\noutput:\n${output}")
  endif()
  set(step_output "${output}" PARENT_SCOPE)
endfunction()

# Runs the consumer program and checks its one line of success.
function(run_consumer exe)
  run_step("running the consumer ${exe}" "${exe}")
  if(NOT step_output MATCHES "^weft consumer: ok")
    message(FATAL_ERROR "package test (${STEP}): ${exe} exited 0 but printed:\n${step_output}")
  endif()
  message(STATUS "${STEP}: ${step_output}")
endfunction()

# Configures and builds consumer/ in `dir` with the given extra arguments,
# with this build's generator, compilers and configuration.
function(build_consumer dir)
  file(REMOVE_RECURSE "${dir}")
  set(configure_args -S "${CONSUMER_DIR}" -B "${dir}" -G "${GENERATOR}"
      "-DCMAKE_BUILD_TYPE=${CONFIG}" "-DCMAKE_C_COMPILER=${C_COMPILER}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
  if(MAKE_PROGRAM)
    list(APPEND configure_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
  endif()
  run_step("configuring the consumer (${STEP})" "${CMAKE_COMMAND}" ${configure_args} ${ARGN})
  run_step("building the consumer (${STEP})" "${CMAKE_COMMAND}" --build "${dir}" --config "${CONFIG}")
endfunction()

foreach(input STEP BUILD_DIR PREFIX WORK_DIR CONSUMER_DIR GENERATOR CXX_COMPILER LIBDIR INCLUDEDIR)
  if(NOT DEFINED ${input} OR "${${input}}" STREQUAL "")
    message(FATAL_ERROR "check_package.cmake: ${input} is not set")
  endif()
endforeach()

if(STEP STREQUAL "install")
  file(REMOVE_RECURSE "${PREFIX}")
  set(install_args --install "${BUILD_DIR}" --prefix "${PREFIX}")
  if(CONFIG)
    list(APPEND install_args --config "${CONFIG}")
  endif()
  run_step("cmake --install of ${BUILD_DIR}" "${CMAKE_COMMAND}" ${install_args})
  foreach(file "${INCLUDEDIR}/weft/fiber.hpp" "${INCLUDEDIR}/weft/detail/fiber/fiber_switch.hpp"
               "${LIBDIR}/libweft.a" "${LIBDIR}/cmake/weft/weftConfig.cmake"
               "${LIBDIR}/cmake/weft/weftConfigVersion.cmake" "${LIBDIR}/cmake/weft/weftTargets.cmake"
               "${LIBDIR}/pkgconfig/weft.pc")
    if(NOT EXISTS "${PREFIX}/${file}")
      message(FATAL_ERROR "package test (install): cmake --install did not install ${file} under ${PREFIX}")
    endif()
  endforeach()

elseif(STEP STREQUAL "find_package")
  set(dir "${WORK_DIR}/find_package")
  build_consumer("${dir}" -DWEFT_CONSUMER_USE=find_package "-DCMAKE_PREFIX_PATH=${PREFIX}")
  # The package must be the one just installed, not one elsewhere on the
  # system that happened to be found first.
  file(STRINGS "${dir}/CMakeCache.txt" found REGEX "^weft_DIR:")
  string(REGEX REPLACE "^weft_DIR:[A-Z]+=" "" found "${found}")
  file(REAL_PATH "${PREFIX}/${LIBDIR}/cmake/weft" expected)
  file(REAL_PATH "${found}" found)
  if(NOT found STREQUAL expected)
    message(FATAL_ERROR "package test (find_package): found weft at '${found}', not in the test prefix '${expected}'")
  endif()
  run_consumer("${dir}/app")

elseif(STEP STREQUAL "pkg_config")
  find_program(pkg_config NAMES pkg-config pkgconf)
  if(NOT pkg_config)
    message(FATAL_ERROR "package test (pkg_config): pkg-config is not installed (.ci/install-deps installs it)")
  endif()
  set(ENV{PKG_CONFIG_PATH} "${PREFIX}/${LIBDIR}/pkgconfig")
  # weft.pc must describe where it was installed, or the flags below point
  # at headers and a library that are not there.
  run_step("pkg-config --variable=prefix weft" "${pkg_config}" --variable=prefix weft)
  string(STRIP "${step_output}" pc_prefix)
  file(REAL_PATH "${pc_prefix}" pc_prefix)
  file(REAL_PATH "${PREFIX}" real_prefix)
  if(NOT pc_prefix STREQUAL real_prefix)
    message(FATAL_ERROR "package test (pkg_config): the installed weft.pc says prefix=${pc_prefix}, but it was "
                        "installed with --prefix ${PREFIX}; weft.pc must not record the configure-time "
                        "CMAKE_INSTALL_PREFIX (derive the prefix from \${pcfiledir} instead)")
  endif()
  run_step("pkg-config --cflags weft" "${pkg_config}" --cflags weft)
  separate_arguments(cflags UNIX_COMMAND "${step_output}")
  run_step("pkg-config --libs weft" "${pkg_config}" --libs weft)
  separate_arguments(libs UNIX_COMMAND "${step_output}")
  # No -std= (it would override a consumer's -std=c++23; the consumer states
  # its own standard), and a sanitizer build's flags in both lists.
  if(cflags MATCHES "-std=")
    message(FATAL_ERROR "package test (pkg_config): weft.pc's Cflags carry a -std= flag: ${cflags}")
  endif()
  if(WEFT_SANITIZE AND NOT (cflags MATCHES "-fsanitize=${WEFT_SANITIZE}" AND libs MATCHES "-fsanitize=${WEFT_SANITIZE}"))
    message(FATAL_ERROR "package test (pkg_config): a WEFT_SANITIZE=${WEFT_SANITIZE} build's weft.pc lacks "
                        "-fsanitize=${WEFT_SANITIZE}: Cflags ${cflags}, Libs ${libs}")
  endif()
  set(dir "${WORK_DIR}/pkg_config")
  file(REMOVE_RECURSE "${dir}")
  file(MAKE_DIRECTORY "${dir}")
  run_step("compiling the consumer with pkg-config's flags"
           "${CXX_COMPILER}" -std=c++20 ${cflags} "${CONSUMER_DIR}/main.cpp" -o "${dir}/app" ${libs})
  run_consumer("${dir}/app")

  # A consumer whose sanitizer flags differ from the library's must fail to
  # link, naming what it expected of the library: ASan against a plain
  # build, none against a sanitized one.
  if(WEFT_SANITIZE)
    list(FILTER cflags EXCLUDE REGEX "^-fsanitize=")
    list(FILTER libs EXCLUDE REGEX "^-fsanitize=")
    set(mismatch_flags)
    set(expected_symbol weft_library_built_without_sanitizers)
  else()
    set(mismatch_flags -fsanitize=address)
    set(expected_symbol weft_library_built_with_asan)
  endif()
  execute_process(COMMAND "${CXX_COMPILER}" -std=c++20 ${mismatch_flags} ${cflags} "${CONSUMER_DIR}/main.cpp"
                          -o "${dir}/mismatched" ${libs}
                  RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(status EQUAL 0 OR NOT output MATCHES "undefined reference to `${expected_symbol}'")
    message(FATAL_ERROR "package test (pkg_config): a consumer built with '${mismatch_flags}' against a "
                        "WEFT_SANITIZE='${WEFT_SANITIZE}' library must fail to link naming ${expected_symbol}; "
                        "exit status ${status}, output:\n${output}")
  endif()
  message(STATUS "${STEP}: a mismatched consumer fails to link: undefined reference to ${expected_symbol}")

elseif(STEP STREQUAL "add_subdirectory")
  set(dir "${WORK_DIR}/add_subdirectory")
  build_consumer("${dir}" -DWEFT_CONSUMER_USE=add_subdirectory "-DWEFT_SOURCE_DIR=${WEFT_SOURCE_DIR}"
                 "-DWEFT_CONTEXT=${WEFT_CONTEXT}" "-DWEFT_SANITIZE=${WEFT_SANITIZE}")
  run_consumer("${dir}/app")

elseif(STEP STREQUAL "library_only")
  set(dir "${WORK_DIR}/library_only")
  file(REMOVE_RECURSE "${dir}")
  set(hidden)
  foreach(package GTest benchmark tomlplusplus CLI11 ZLIB PkgConfig)
    list(APPEND hidden "-DCMAKE_DISABLE_FIND_PACKAGE_${package}=ON")
  endforeach()
  # Boost is the boost backend's dependency, so it stays findable there.
  if(NOT WEFT_CONTEXT STREQUAL "boost")
    list(APPEND hidden "-DCMAKE_DISABLE_FIND_PACKAGE_Boost=ON")
  endif()
  run_step("configuring the library alone" "${CMAKE_COMMAND}" -S "${WEFT_SOURCE_DIR}" -B "${dir}" -G "${GENERATOR}"
           "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" "-DCMAKE_C_COMPILER=${C_COMPILER}" "-DWEFT_CONTEXT=${WEFT_CONTEXT}"
           -DWEFT_BUILD_TESTS=OFF -DWEFT_BUILD_BENCH=OFF -DWEFT_BUILD_EXAMPLES=OFF ${hidden})
  message(STATUS "${STEP}: configured without GTest, benchmark, Boost.Fiber and the examples' libraries")

else()
  message(FATAL_ERROR "check_package.cmake: unknown STEP '${STEP}'")
endif()
