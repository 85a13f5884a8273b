#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "llmroof/app/database.hpp"

namespace llmroof {

/// Where a run's data comes from: the data directory (--data-dir, else found next to the
/// executable) and the user's extra files.
struct DataLocation {
  std::optional<std::string> data_dir;         ///< --data-dir
  std::filesystem::path executable;            ///< argv[0], to find the installed data
  std::vector<std::string> device_files;       ///< --device-file, in order
  std::vector<std::string> calibration_files;  ///< --calibration, in order
};

/// The one place that reads data files: the data directory's devices.json, device-sources.json,
/// models.json, efficiency.json and links.json, plus the user's files, into a Database (parsed
/// on first use). Throws Error naming a file that cannot be read.
Database load_database(const DataLocation& location);

/// load_database for a data directory already found (find_data_dir); location.data_dir and
/// location.executable are not used.
Database load_database(const std::filesystem::path& data_dir, const DataLocation& location);

}  // namespace llmroof
