#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmroof {

/// The kinds of data file llmroof reads.
enum class DataFileKind { devices, device_sources, models, efficiency, links, products };
std::string_view to_string(DataFileKind kind);

/// Kind of a data file from its top-level keys ("classes" efficiency, "links" links, "products"
/// products, "models"
/// models, "provenance" device sources, "devices" devices); nullopt when none matches. Throws
/// DataError for invalid JSON.
std::optional<DataFileKind> detect_data_file(std::string_view text, const std::string& name);

/// Loads and validates a data file of any kind; returns how many entries it holds.
/// Throws DataError (every problem, "file:line: /pointer: message") or Error.
std::size_t check_data_file(std::string_view text, const std::string& name);

/// Cross-checks a devices file and its provenance file: every device without inline sources has
/// an entry, and no entry names an unknown device. Throws DataError listing the problems.
void check_device_sources(std::string_view devices_text, const std::string& devices_name,
                          std::string_view sources_text, const std::string& sources_name);

}  // namespace llmroof
