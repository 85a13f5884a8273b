#include "llmroof/platform/data_dir.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <string_view>
#include <system_error>

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

std::uint64_t max_input_bytes() {
  const char* env = std::getenv("LLMROOF_MAX_INPUT_BYTES");
  if (env == nullptr || *env == '\0') {
    return k_default_max_input_bytes;
  }
  const std::string_view text(env);
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0) {
    throw Error(
        fmt::format("LLMROOF_MAX_INPUT_BYTES '{}' is not a positive whole number of bytes", text));
  }
  return value;
}

std::string read_text_file(const std::filesystem::path& path, std::uint64_t max_bytes) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    throw Error(fmt::format("cannot read '{}'", path.string()));
  }
  if (!std::filesystem::is_regular_file(status)) {
    throw Error(fmt::format("cannot read '{}': not a regular file", path.string()));
  }
  const std::uint64_t size = std::filesystem::file_size(path, ec);
  if (!ec && size > max_bytes) {
    throw Error(
        fmt::format("cannot read '{}': {} bytes is more than the {}-byte limit on text inputs (set "
                    "LLMROOF_MAX_INPUT_BYTES to raise it)",
                    path.string(), size, max_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(fmt::format("cannot read '{}'", path.string()));
  }
  // Read at most one byte past the cap, so a file growing while it is read stays bounded too.
  std::string text;
  std::array<char, 65536> chunk{};
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_bytes) {
      throw Error(
          fmt::format("cannot read '{}': more than the {}-byte limit on text inputs (set "
                      "LLMROOF_MAX_INPUT_BYTES to raise it)",
                      path.string(), max_bytes));
    }
  }
  if (in.bad()) {
    throw Error(fmt::format("error while reading '{}'", path.string()));
  }
  return text;
}

std::string read_text_file(const std::filesystem::path& path) {
  return read_text_file(path, max_input_bytes());
}

}  // namespace llmroof
