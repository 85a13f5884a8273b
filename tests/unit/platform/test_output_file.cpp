// The atomic output writer: replaced whole or not at all, errors named, inputs protected.

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "catch.hpp"
#include "llmroof/platform/output_file.hpp"
#include "llmroof/util/errors.hpp"

using namespace llmroof;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("llmroof-output-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("write_file_atomically: creates, replaces, keeps the mode, leaves no temporary",
          "[platform][output]") {
  const fs::path dir = fresh_dir("replace");
  const fs::path file = dir / "out.json";
  write_file_atomically(file, "first\n");
  CHECK(slurp(file) == "first\n");
  ::chmod(file.c_str(), 0640);
  write_file_atomically(file, "second\n");
  CHECK(slurp(file) == "second\n");
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0640);
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir)) {
    ++entries;
  }
  CHECK(entries == 1);
  fs::remove_all(dir);
}

TEST_CASE("write_file_atomically: a failure names the path and the system's reason",
          "[platform][output]") {
  const fs::path dir = fresh_dir("fail");
  try {
    write_file_atomically(dir / "missing" / "out.json", "x");
    FAIL("no error");
  } catch (const Error& e) {
    const std::string message = e.what();
    CHECK(message.find("cannot write '") == 0);
    CHECK(message.find("No such file or directory") != std::string::npos);
  }
  if (fs::exists("/dev/full")) {
    CHECK_THROWS_WITH(write_file_atomically("/dev/full", "x"),
                      "cannot write '/dev/full': No space left on device");
  }
  fs::remove_all(dir);
}

TEST_CASE("refuse_output_over_input: the same inode is refused, other files are not",
          "[platform][output]") {
  const fs::path dir = fresh_dir("inputs");
  const fs::path input = dir / "in.json";
  write_file_atomically(input, "{}");
  const fs::path link = dir / "link.json";
  fs::create_hard_link(input, link);
  CHECK_THROWS_AS(refuse_output_over_input(link, {input}, "--output"), UsageError);
  CHECK_NOTHROW(refuse_output_over_input(dir / "other.json", {input}, "--output"));
  CHECK_NOTHROW(refuse_output_over_input(input, {dir / "absent.json"}, "--output"));
  CHECK(slurp(input) == "{}");
  fs::remove_all(dir);
}
