#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "llmroof/app/database.hpp"

namespace llmroof {

/// Where a run's data comes from: the data directory (--data-dir, else $LLMROOF_DATA_DIR, else
/// the data compiled into the program) and the user's extra files.
struct DataLocation {
  std::optional<std::string> data_dir;         ///< --data-dir
  std::filesystem::path executable;            ///< argv[0] (unused since the data is built in)
  std::vector<std::string> device_files;       ///< --device-file, in order
  std::vector<std::string> calibration_files;  ///< --calibration, in order
};

/// The data directory that replaces the built-in data: `data_dir` (--data-dir), else
/// $LLMROOF_DATA_DIR when set and non-empty; nullopt when neither is given. Throws Error when
/// the directory given holds no devices.json.
std::optional<std::filesystem::path> replacement_data_dir(
    const std::optional<std::string>& data_dir);

/// The one place that reads data files: the data directory's devices.json, device-sources.json,
/// models.json, efficiency.json and links.json when one is given (replacement_data_dir), else
/// the data compiled into the program (nothing read, nothing parsed); plus the user's files,
/// read here and parsed on first use. Throws Error naming a file that cannot be read.
Database load_database(const DataLocation& location);

/// load_database for a data directory already found (find_data_dir); location.data_dir and
/// location.executable are not used.
Database load_database(const std::filesystem::path& data_dir, const DataLocation& location);

/// A shipped file that only some commands read ("calibration-aliases.json",
/// "efficiency-prior.json"): from the replacement data directory when one is given, else the
/// copy compiled into the program.
NamedText shipped_text(const std::optional<std::string>& data_dir, const std::string& name);

}  // namespace llmroof
