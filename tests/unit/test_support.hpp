#pragma once

// Helpers shared by the unit tests: where the shared reference folder and the data live.

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "llmroof/data_dir.hpp"

namespace llmroof::test {

/// ../shared (reference CSVs, fixtures, calibration), or nullopt when it is absent: tests that
/// need it return early (skipped). $LLMROOF_SHARED_DIR overrides the configured path.
inline std::optional<std::filesystem::path> shared_dir() {
  std::filesystem::path dir = LLMROOF_SHARED_DIR;
  if (const char* env = std::getenv("LLMROOF_SHARED_DIR"); env != nullptr && *env != '\0') {
    dir = env;
  }
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) {
    return dir;
  }
  return std::nullopt;
}

/// The project's data/ folder.
inline std::filesystem::path data_dir() { return LLMROOF_SOURCE_DATA_DIR; }

/// tests/data (good/ and bad/ fixtures).
inline std::filesystem::path test_data_dir() { return LLMROOF_TEST_DATA_DIR; }

inline std::string read(const std::filesystem::path& path) { return read_text_file(path); }

}  // namespace llmroof::test
