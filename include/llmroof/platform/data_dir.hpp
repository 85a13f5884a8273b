#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace llmroof {

/// Finds the data directory: `explicit_dir` (--data-dir) if given, else $LLMROOF_DATA_DIR,
/// else ../share/llmroof next to the executable, else the install prefix, else the source tree.
/// Throws Error when none holds devices.json.
std::filesystem::path find_data_dir(const std::optional<std::string>& explicit_dir,
                                    const std::filesystem::path& executable);

/// Default cap on any text input (data files, device files, calibration and benchmark files):
/// 64 MiB, far above the largest real one (the shipped devices.json is well under 1 MiB).
inline constexpr std::uint64_t k_default_max_input_bytes = 64ULL << 20U;

/// The cap on text inputs in bytes: LLMROOF_MAX_INPUT_BYTES when set (a positive whole number
/// of bytes; anything else throws Error), else k_default_max_input_bytes.
std::uint64_t max_input_bytes();

/// Reads a whole file of at most `max_bytes` bytes. Throws Error naming the file when it cannot
/// be read, is not a regular file (a directory, /dev/zero, a pipe) or is larger than the cap.
std::string read_text_file(const std::filesystem::path& path, std::uint64_t max_bytes);

/// read_text_file with the cap of max_input_bytes().
std::string read_text_file(const std::filesystem::path& path);

}  // namespace llmroof
