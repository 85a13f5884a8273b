#pragma once

// Test helpers for the shared reference folder: where it is, and a small CSV reader for its
// tables (RFC 4180 quoting, no newlines inside fields).

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace llmroof_test {

/// The shared folder: $LLMROOF_SHARED_DIR, else the LLMROOF_SHARED_DIR compile definition;
/// nullopt when neither names an existing directory (tests then skip).
inline std::optional<std::filesystem::path> shared_dir() {
  std::filesystem::path dir;
#ifdef LLMROOF_SHARED_DIR
  dir = LLMROOF_SHARED_DIR;
#endif
  // The environment overrides the configured path (as in test_support.hpp).
  if (const char* env = std::getenv("LLMROOF_SHARED_DIR"); env != nullptr && *env != '\0') {
    dir = env;
  }
  std::error_code ec;
  if (dir.empty() || !std::filesystem::is_directory(dir, ec)) {
    return std::nullopt;
  }
  return dir;
}

using CsvRow = std::map<std::string, std::string>;

/// Rows of a CSV file keyed by its header line.
inline std::vector<CsvRow> read_csv(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> raw;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> fields;
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quoted) {
        if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
          field += '"';
          ++i;
        } else if (c == '"') {
          quoted = false;
        } else {
          field += c;
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        fields.push_back(field);
        field.clear();
      } else {
        field += c;
      }
    }
    fields.push_back(field);
    raw.push_back(fields);
  }
  std::vector<CsvRow> rows;
  for (std::size_t r = 1; r < raw.size(); ++r) {
    CsvRow row;
    for (std::size_t c = 0; c < raw[0].size() && c < raw[r].size(); ++c) {
      row[raw[0][c]] = raw[r][c];
    }
    rows.push_back(row);
  }
  return rows;
}

/// Whole file as a string ("" when unreadable).
inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace llmroof_test
