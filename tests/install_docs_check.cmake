# Installs the build tree into PREFIX and checks that the completions and the man page land
# where bash-completion, zsh, fish and man look for them.
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD}" --prefix "${PREFIX}"
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc})")
endif()
foreach(path share/bash-completion/completions/llmroof share/zsh/site-functions/_llmroof
             share/fish/vendor_completions.d/llmroof.fish share/man/man1/llmroof.1)
  if(NOT EXISTS "${PREFIX}/${path}")
    message(FATAL_ERROR "cmake --install did not install ${path}")
  endif()
endforeach()
file(READ "${PREFIX}/share/zsh/site-functions/_llmroof" zsh)
if(NOT zsh MATCHES "^#compdef llmroof")
  message(FATAL_ERROR "_llmroof does not start with #compdef llmroof")
endif()
file(REMOVE_RECURSE "${PREFIX}")
