# catch_discover_tests turns each Catch test case into a ctest test, and
# CMake splits a name at ';' (its list separator): each half then matches no
# test case, runs nothing and passes. Refuse such names.
# Usage: cmake -DBINARIES=a|b|c -P check_test_names.cmake
string(REPLACE "|" ";" binaries "${BINARIES}")
set(bad "")
foreach(binary IN LISTS binaries)
  execute_process(COMMAND "${binary}" --list-test-names-only
                  OUTPUT_VARIABLE names RESULT_VARIABLE result)
  if(NOT result EQUAL 0 AND NOT names)
    message(FATAL_ERROR "could not list the tests of ${binary}")
  endif()
  # Keep the semicolons: split on newlines by hand.
  string(REPLACE ";" "<semicolon>" names "${names}")
  string(REPLACE "\n" ";" lines "${names}")
  foreach(line IN LISTS lines)
    if(line MATCHES "<semicolon>")
      string(REPLACE "<semicolon>" ";" line "${line}")
      string(APPEND bad "\n  ${binary}: ${line}")
    endif()
  endforeach()
endforeach()
if(bad)
  message(FATAL_ERROR "test names with ';' never run under ctest (use ',' instead):${bad}")
endif()
message(STATUS "checked ${BINARIES}")
