#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  llmroof::cli::Io io{std::cout, std::cerr, isatty(STDOUT_FILENO) != 0,
                      argc > 0 ? std::filesystem::path(argv[0]) : std::filesystem::path()};
  winsize size{};
  const std::size_t tty_columns =
      io.out_is_tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 ? size.ws_col : 0;
  io.table_columns = llmroof::cli::table_width(std::getenv("COLUMNS"), tty_columns);
  return llmroof::cli::run(args, io);
}
