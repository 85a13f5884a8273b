#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace llmroof {

/// Finds the data directory: `explicit_dir` (--data-dir) if given, else $LLMROOF_DATA_DIR,
/// else ../share/llmroof next to the executable, else the install prefix, else the source tree.
/// Throws Error when none holds devices.json.
std::filesystem::path find_data_dir(const std::optional<std::string>& explicit_dir,
                                    const std::filesystem::path& executable);

/// Reads a whole file; throws Error naming the file when it cannot be read.
std::string read_text_file(const std::filesystem::path& path);

}  // namespace llmroof
