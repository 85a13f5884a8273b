# Keeps llmroof_core free of the filesystem, threads and the terminal, so that it compiles to
# WebAssembly and serves a browser page and a Python binding as it is:
# cmake -DROOT=<source dir> -P core_purity.cmake fails naming every offending line.
file(GLOB_RECURSE files "${ROOT}/src/core/*.cpp" "${ROOT}/src/core/*.hpp" "${ROOT}/include/llmroof/*.hpp")
set(bad "")
foreach(f IN LISTS files)
  if(f MATCHES "/include/llmroof/platform/")
    continue()
  endif()
  file(STRINGS "${f}" lines REGEX "#include <(filesystem|fstream|thread|future|iostream)>|std::(cout|cerr|async|thread)|getenv|isatty")
  foreach(line IN LISTS lines)
    string(APPEND bad "${f}: ${line}\n")
  endforeach()
endforeach()
if(bad)
  message(FATAL_ERROR "llmroof_core must not touch files, threads or the terminal:\n${bad}")
endif()
