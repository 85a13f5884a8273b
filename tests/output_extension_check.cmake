# -o FILE picks the format from FILE's extension (cmake -P). Variables: LLMROOF, DATA_DIR,
# WORK_DIR. For each extension the file written with -o equals stdout with the matching
# --format; --format wins over the extension; an unknown extension writes the table; a failed
# command leaves an existing FILE untouched.
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(args estimate -m 7b -q int4 -d m4-pro,rtx-4090 --data-dir ${DATA_DIR})
function(run_llmroof out_var)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env --unset=COLUMNS ${LLMROOF} ${ARGN}
                  WORKING_DIRECTORY "${WORK_DIR}" OUTPUT_VARIABLE out RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "llmroof ${ARGN}: exit ${rc}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()
foreach(pair "json;json" "jsonl;jsonl" "csv;csv" "md;md" "MD;md" "markdown;md" "svg;svg" "txt;table")
  list(GET pair 0 extension)
  list(GET pair 1 format)
  run_llmroof(written ${args} -o out.${extension})
  if(NOT written STREQUAL "")
    message(FATAL_ERROR "-o out.${extension} printed on stdout")
  endif()
  file(READ "${WORK_DIR}/out.${extension}" file_text)
  run_llmroof(expected ${args} --format ${format} --wide)
  if(NOT file_text STREQUAL expected)
    message(FATAL_ERROR "-o out.${extension} is not --format ${format}:\n${file_text}")
  endif()
endforeach()
run_llmroof(ignored ${args} -o forced.json --format csv)
file(READ "${WORK_DIR}/forced.json" forced)
run_llmroof(csv ${args} --format csv)
if(NOT forced STREQUAL csv)
  message(FATAL_ERROR "--format csv did not win over -o forced.json")
endif()
file(WRITE "${WORK_DIR}/keep.json" "precious\n")
execute_process(COMMAND ${LLMROOF} estimate -m 7b -q int4 -d no-such-device -o keep.json
                        --data-dir ${DATA_DIR}
                WORKING_DIRECTORY "${WORK_DIR}" OUTPUT_VARIABLE out ERROR_VARIABLE err
                RESULT_VARIABLE rc)
file(READ "${WORK_DIR}/keep.json" kept)
if(rc EQUAL 0 OR NOT kept STREQUAL "precious\n" OR NOT out STREQUAL "")
  message(FATAL_ERROR "a failed run touched keep.json or printed (exit ${rc}): ${out}")
endif()
message("ok: -o picks json, jsonl, csv, md, svg by extension; --format wins; failures keep FILE")
