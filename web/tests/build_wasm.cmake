# Builds the web page with emscripten:
#   cmake -DSOURCE_DIR=<repo> -DBUILD_DIR=<dir> -DEMCMAKE=<emcmake> -P build_wasm.cmake
# the same two commands as the README (emcmake cmake, then cmake --build), so the test checks
# what users run. The page lands in <dir>/site and must stay under 2.5 MB.

# emcc runs its JavaScript tools with the node on PATH; a node that is not Debian's own needs
# Debian's modules (acorn) on its path.
if(NOT DEFINED ENV{NODE_PATH} AND IS_DIRECTORY /usr/share/nodejs)
  set(ENV{NODE_PATH} /usr/share/nodejs)
endif()
execute_process(COMMAND "${EMCMAKE}" "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${BUILD_DIR}"
                        -DCMAKE_BUILD_TYPE=Release -DLLMROOF_WARNINGS_AS_ERRORS=ON
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "emcmake cmake failed (${rc})")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${BUILD_DIR}" -j2 RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --build of the web page failed (${rc})")
endif()

set(total 0)
foreach(file index.html app.js style.css llmroof.js)
  if(NOT EXISTS "${BUILD_DIR}/site/${file}")
    message(FATAL_ERROR "the page lacks ${file}")
  endif()
  file(SIZE "${BUILD_DIR}/site/${file}" size)
  math(EXPR total "${total} + ${size}")
endforeach()
message(STATUS "web page: ${total} bytes in ${BUILD_DIR}/site")
if(total GREATER_EQUAL 2500000)
  message(FATAL_ERROR "the web page is ${total} bytes, over its 2.5 MB budget")
endif()
