# The header-only libraries of an emscripten build, taken from the host (Debian's libfmt-dev,
# nlohmann-json3-dev, libfast-float-dev) through a folder that holds only them: putting the
# host's /usr/include itself on em++'s path would mix glibc's headers into the build.
set(LLMROOF_WASM_HEADER_ROOT "/usr/include" CACHE PATH
    "Folder holding fmt/, nlohmann/ and fast_float/ for the WebAssembly build")
set(wasm_include "${CMAKE_BINARY_DIR}/wasm-include")
file(MAKE_DIRECTORY "${wasm_include}")
foreach(library fmt nlohmann fast_float)
  if(NOT EXISTS "${LLMROOF_WASM_HEADER_ROOT}/${library}")
    message(FATAL_ERROR "WebAssembly build: ${LLMROOF_WASM_HEADER_ROOT}/${library} not found "
                        "(install libfmt-dev, nlohmann-json3-dev and libfast-float-dev)")
  endif()
  file(CREATE_LINK "${LLMROOF_WASM_HEADER_ROOT}/${library}" "${wasm_include}/${library}" SYMBOLIC)
endforeach()

add_library(fmt::fmt-header-only INTERFACE IMPORTED)
set_target_properties(fmt::fmt-header-only PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${wasm_include}" INTERFACE_COMPILE_DEFINITIONS FMT_HEADER_ONLY=1)
add_library(nlohmann_json::nlohmann_json INTERFACE IMPORTED)
set_target_properties(nlohmann_json::nlohmann_json PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${wasm_include}")
add_library(FastFloat::fast_float INTERFACE IMPORTED)
set_target_properties(FastFloat::fast_float PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${wasm_include}")

# The core reports errors with exceptions, which emscripten only catches when asked to; -Os
# keeps the page under its 2 MB budget (after the build type's -O flag, so it wins).
add_compile_options(-fexceptions -Os)
add_link_options(-fexceptions -Os)
