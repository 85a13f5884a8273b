#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace llmroof {

/// The kinds of data file llmroof reads.
enum class DataFileKind { devices, models, efficiency, links };
std::string_view to_string(DataFileKind kind);

/// Kind of a data file from its top-level keys ("classes" efficiency, "links" links, "models"
/// models, "devices" devices); nullopt when none matches. Throws DataError for invalid JSON.
std::optional<DataFileKind> detect_data_file(std::string_view text, const std::string& name);

/// Loads and validates a data file of any kind; returns how many entries it holds.
/// Throws DataError (every problem, "file:line: /pointer: message") or Error.
std::size_t check_data_file(std::string_view text, const std::string& name);

}  // namespace llmroof
