#include "llmroof/platform/data_dir.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "llmroof/util/errors.hpp"
#include "llmroof/version.hpp"

namespace llmroof {

namespace {
bool holds_data(const std::filesystem::path& dir) {
  std::error_code ec;
  return std::filesystem::is_regular_file(dir / "devices.json", ec);
}
}  // namespace

std::filesystem::path find_data_dir(const std::optional<std::string>& explicit_dir,
                                    const std::filesystem::path& executable) {
  if (explicit_dir) {
    if (!holds_data(*explicit_dir)) {
      throw Error(fmt::format("data directory '{}' has no devices.json", *explicit_dir));
    }
    return *explicit_dir;
  }
  if (const char* env = std::getenv("LLMROOF_DATA_DIR"); env != nullptr && *env != '\0') {
    if (!holds_data(env)) {
      throw Error(fmt::format("LLMROOF_DATA_DIR '{}' has no devices.json", env));
    }
    return env;
  }
  std::vector<std::filesystem::path> candidates;
  if (!executable.empty()) {
    std::error_code ec;
    const auto exe = std::filesystem::weakly_canonical(executable, ec);
    if (!ec) {
      candidates.push_back(exe.parent_path().parent_path() / "share" / "llmroof");
    }
  }
  candidates.emplace_back(k_install_data_dir);
  candidates.emplace_back(k_source_data_dir);
  for (const auto& dir : candidates) {
    if (holds_data(dir)) {
      return dir;
    }
  }
  throw Error(
      "cannot find llmroof's data directory (devices.json); set LLMROOF_DATA_DIR or pass "
      "--data-dir");
}

std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(fmt::format("cannot read '{}'", path.string()));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    throw Error(fmt::format("error while reading '{}'", path.string()));
  }
  return buffer.str();
}

}  // namespace llmroof
