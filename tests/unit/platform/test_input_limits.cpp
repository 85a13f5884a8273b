// Text inputs are capped in size and must be regular files (src/platform/data_dir.cpp).

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "catch.hpp"
#include "llmroof/platform/data_dir.hpp"
#include "llmroof/util/errors.hpp"

using namespace llmroof;

namespace {
std::filesystem::path write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}
}  // namespace

TEST_CASE("a text input larger than the cap is refused, one at the cap is read", "[platform]") {
  const auto path = write_temp("llmroof_test_cap.json", std::string(100, 'x'));
  CHECK(read_text_file(path, 100) == std::string(100, 'x'));
  CHECK_THROWS_WITH(read_text_file(path, 99),
                    "cannot read '" + path.string() +
                        "': 100 bytes is more than the 99-byte limit on text inputs (set "
                        "LLMROOF_MAX_INPUT_BYTES to raise it)");
  std::filesystem::remove(path);
}

TEST_CASE("non-regular files are refused instead of read until memory runs out", "[platform]") {
  // /dev/zero as a device file grew to the memory limit.
  if (std::filesystem::exists("/dev/zero")) {
    CHECK_THROWS_WITH(read_text_file("/dev/zero"), "cannot read '/dev/zero': not a regular file");
  }
  CHECK_THROWS_WITH(read_text_file(std::filesystem::temp_directory_path()),
                    Catch::Matchers::EndsWith("': not a regular file"));
  CHECK_THROWS_WITH(read_text_file("/nonexistent/llmroof.json"),
                    "cannot read '/nonexistent/llmroof.json'");
}

TEST_CASE("LLMROOF_MAX_INPUT_BYTES overrides the 64 MiB default", "[platform]") {
  CHECK(k_default_max_input_bytes == 67108864U);
  ::unsetenv("LLMROOF_MAX_INPUT_BYTES");
  CHECK(max_input_bytes() == 67108864U);
  ::setenv("LLMROOF_MAX_INPUT_BYTES", "10", 1);
  CHECK(max_input_bytes() == 10U);
  const auto path = write_temp("llmroof_test_env_cap.json", std::string(11, 'x'));
  CHECK_THROWS_AS(read_text_file(path), Error);
  ::setenv("LLMROOF_MAX_INPUT_BYTES", "ten", 1);
  CHECK_THROWS_WITH(max_input_bytes(),
                    "LLMROOF_MAX_INPUT_BYTES 'ten' is not a positive whole number of bytes");
  ::setenv("LLMROOF_MAX_INPUT_BYTES", "0", 1);
  CHECK_THROWS_AS(max_input_bytes(), Error);
  ::unsetenv("LLMROOF_MAX_INPUT_BYTES");
  std::filesystem::remove(path);
}
