# Runs one golden CLI case (cmake -P). Variables: LLMROOF, CASE (path without extension),
# DATA_DIR, TEST_DATA_DIR, SHARED_DIR, WORK_DIR. With LLMROOF_UPDATE_GOLDEN=1 in the
# environment it rewrites the expected files instead of comparing. The binary runs on its
# compiled-in data (no LLMROOF_DATA_DIR); a case that wants files passes --data-dir @DATA@.
file(STRINGS "${CASE}.args" raw_args ENCODING UTF-8)
set(args "")
set(uses_shared FALSE)
foreach(arg IN LISTS raw_args)
  if(arg MATCHES "@SHARED@")
    set(uses_shared TRUE)
  endif()
  string(REPLACE "@SHARED@" "${SHARED_DIR}" arg "${arg}")
  string(REPLACE "@TESTDATA@" "${TEST_DATA_DIR}" arg "${arg}")
  string(REPLACE "@DATA@" "${DATA_DIR}" arg "${arg}")
  list(APPEND args "${arg}")
endforeach()
if(uses_shared AND NOT IS_DIRECTORY "${SHARED_DIR}")
  message("GOLDEN-SKIPPED: ${SHARED_DIR} is absent")
  return()
endif()
file(MAKE_DIRECTORY "${WORK_DIR}")
# CASE.env (optional): VAR=VALUE lines set for the run, e.g. COLUMNS=60; COLUMNS is unset
# otherwise, so a table is fitted to the default 80 columns.
set(case_env "")
if(EXISTS "${CASE}.env")
  file(STRINGS "${CASE}.env" case_env ENCODING UTF-8)
endif()
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env --unset=LLMROOF_DATA_DIR --unset=CLICOLOR_FORCE
          --unset=COLUMNS NO_COLOR=1 ${case_env} ${LLMROOF} ${args}
  WORKING_DIRECTORY "${WORK_DIR}"
  OUTPUT_VARIABLE actual_stdout
  ERROR_VARIABLE actual_stderr
  RESULT_VARIABLE actual_rc)
# Paths of the machine running the test never appear in expectations.
foreach(stream actual_stdout actual_stderr)
  string(REPLACE "${SHARED_DIR}" "@SHARED@" ${stream} "${${stream}}")
  string(REPLACE "${TEST_DATA_DIR}" "@TESTDATA@" ${stream} "${${stream}}")
  string(REPLACE "${DATA_DIR}" "@DATA@" ${stream} "${${stream}}")
endforeach()

set(expected_rc 0)
if(EXISTS "${CASE}.rc")
  file(READ "${CASE}.rc" expected_rc)
  string(STRIP "${expected_rc}" expected_rc)
endif()

if("$ENV{LLMROOF_UPDATE_GOLDEN}" STREQUAL "1")
  file(WRITE "${CASE}.stdout" "${actual_stdout}")
  if(actual_stderr STREQUAL "")
    file(REMOVE "${CASE}.stderr")
  else()
    file(WRITE "${CASE}.stderr" "${actual_stderr}")
  endif()
  if(actual_rc EQUAL 0)
    file(REMOVE "${CASE}.rc")
  else()
    file(WRITE "${CASE}.rc" "${actual_rc}\n")
  endif()
  message("updated ${CASE}")
  return()
endif()

set(failures "")
if(NOT actual_rc STREQUAL expected_rc)
  string(APPEND failures "exit code: expected ${expected_rc}, got ${actual_rc}\n")
endif()
set(expected_stdout "")
if(EXISTS "${CASE}.stdout")
  file(READ "${CASE}.stdout" expected_stdout)
endif()
if(NOT actual_stdout STREQUAL expected_stdout)
  string(APPEND failures "stdout differs\nexpect-out>\n${expected_stdout}\nactual-out>\n${actual_stdout}\n")
endif()
set(expected_stderr "")
if(EXISTS "${CASE}.stderr")
  file(READ "${CASE}.stderr" expected_stderr)
endif()
if(NOT actual_stderr STREQUAL expected_stderr)
  string(APPEND failures "stderr differs\nexpect-err>\n${expected_stderr}\nactual-err>\n${actual_stderr}\n")
endif()
if(NOT failures STREQUAL "")
  message(FATAL_ERROR "golden case ${CASE} failed:\n${failures}")
endif()
