# The data compiled in (issue 13), run with cmake -P. Variables: LLMROOF (the binary),
# DATA_DIR (data/), WORK_DIR.
#  1. A copy of the binary alone in an empty directory, with no LLMROOF_DATA_DIR, answers.
#  2. Its answers equal those of the same binary reading data/ at run time (--data-dir), for
#     every device: so the generated tables hold what the loader builds from the files.
#  3. --data-dir and LLMROOF_DATA_DIR replace the built-in data: an edited copy of data/ changes
#     the answer, and a broken one fails with the loader's message naming the file.
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}/alone")
file(COPY "${LLMROOF}" DESTINATION "${WORK_DIR}/alone")
get_filename_component(exe_name "${LLMROOF}" NAME)
set(copy "${WORK_DIR}/alone/${exe_name}")

set(failures "")
function(run out_var rc_var)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env --unset=LLMROOF_DATA_DIR ${ARGN}
                  WORKING_DIRECTORY "${WORK_DIR}/alone"
                  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  set(${out_var} "${out}${err}" PARENT_SCOPE)
  set(${rc_var} "${rc}" PARENT_SCOPE)
endfunction()

set(cases
  "estimate|--model|70b|--quant|int4|--device|m4pro"
  "estimate|--model|llama-3.1-70b|--quant|q4_k_m|--device|all|--format|json"
  "estimate|--model|qwen3-30b-a3b|--quant|q4_k_m|--device|all|--format|csv|--batch|8"
  "estimate|--model|llama-3.1-8b|--quant|q8_0|--device|cpu|--format|csv"
  "estimate|-m|llama-3.1-70b|-q|q4_k_m|-d|3090,3090|--link|10gbe|--ideal|--power|300|--price-per-hour|0.25|--show|tokens_per_s_per_kusd,price_usd|--format|csv"
  "devices|--format|json"
  "models|--format|json"
  "quants|--format|csv")
foreach(case IN LISTS cases)
  string(REPLACE "|" ";" args "${case}")
  run(builtin builtin_rc "${copy}" ${args})
  run(files files_rc "${copy}" ${args} --data-dir "${DATA_DIR}")
  if(NOT builtin_rc EQUAL 0)
    string(APPEND failures "alone: '${case}' failed (${builtin_rc}): ${builtin}\n")
  elseif(NOT builtin STREQUAL files)
    file(WRITE "${WORK_DIR}/builtin.txt" "${builtin}")
    file(WRITE "${WORK_DIR}/files.txt" "${files}")
    string(APPEND failures "'${case}': the built-in data answers differently from --data-dir "
                           "(${WORK_DIR}/builtin.txt, files.txt)\n")
  endif()
endforeach()

# An edited copy of data/ replaces the built-in data, by flag and by environment.
file(COPY "${DATA_DIR}/" DESTINATION "${WORK_DIR}/edited")
file(READ "${WORK_DIR}/edited/devices.json" devices)
string(REPLACE "\"memory_bandwidth_gb_per_s\": 273," "\"memory_bandwidth_gb_per_s\": 546,"
       devices "${devices}")
file(WRITE "${WORK_DIR}/edited/devices.json" "${devices}")
set(canonical estimate --model 70b --quant int4 --device m4-pro-20c --format csv)
run(builtin rc "${copy}" ${canonical})
run(edited rc "${copy}" ${canonical} --data-dir "${WORK_DIR}/edited")
run(edited_env rc "${CMAKE_COMMAND}" -E env "LLMROOF_DATA_DIR=${WORK_DIR}/edited" "${copy}"
    ${canonical})
if(builtin STREQUAL edited OR NOT edited MATCHES "546000000000")
  string(APPEND failures "--data-dir with an edited devices.json did not change the answer:\n"
                         "${edited}\n")
endif()
if(NOT edited STREQUAL edited_env)
  string(APPEND failures "LLMROOF_DATA_DIR and --data-dir answer differently\n")
endif()

# A broken copy fails with the loader's message.
file(WRITE "${WORK_DIR}/edited/devices.json" "{\"schema_version\": 1, \"devices\": [}\n")
run(broken rc "${copy}" ${canonical} --data-dir "${WORK_DIR}/edited")
if(NOT rc EQUAL 1 OR NOT broken MATCHES "devices.json:1:")
  string(APPEND failures "a broken devices.json under --data-dir: rc ${rc}, '${broken}'\n")
endif()

if(failures)
  message(FATAL_ERROR "${failures}")
endif()
