# Runs one example program and compares its standard output, byte for byte,
# with the expected text kept beside its source. Invoked by ctest:
#   cmake -DEXE=<program> -DEXPECTED=<file.expected> -P compare_output.cmake
execute_process(COMMAND "${EXE}" OUTPUT_VARIABLE actual ERROR_VARIABLE errors
                RESULT_VARIABLE status TIMEOUT 60)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${EXE} exited with ${status}\nstderr:\n${errors}")
endif()
file(READ "${EXPECTED}" expected)
if(NOT actual STREQUAL expected)
  file(WRITE "${EXE}.actual" "${actual}")
  execute_process(COMMAND diff -u "${EXPECTED}" "${EXE}.actual" OUTPUT_VARIABLE difference)
  message(FATAL_ERROR "output of ${EXE} differs from ${EXPECTED}:\n${difference}")
endif()
