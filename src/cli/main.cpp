#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "cli.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  llmroof::cli::Io io{std::cout, std::cerr, isatty(STDOUT_FILENO) != 0,
                      argc > 0 ? std::filesystem::path(argv[0]) : std::filesystem::path()};
  return llmroof::cli::run(args, io);
}
