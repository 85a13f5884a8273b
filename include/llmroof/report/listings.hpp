#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llmroof/hardware/hardware.hpp"
#include "llmroof/model/model_spec.hpp"
#include "llmroof/report/report.hpp"

namespace llmroof {

/// True when `query` is empty or its key is contained in any of `fields`' keys
/// (case, spaces, dashes, dots ignored).
bool matches_query(std::string_view query, std::initializer_list<std::string_view> fields);

/// The device database as a report: one row per device matching `query` (whole words of its
/// id, alias, name, vendor, kind or segment), or the device `query` names (find_device: "pi4",
/// "4090 laptop"; a family alias brings the devices it covers), in file order.
Report devices_report(const DeviceDb& db, std::string_view query);

/// The model catalog as a report, one row per model matching `query`.
Report models_report(const ModelCatalog& catalog, std::string_view query);

/// Every --quant name with its bits per weight for `reference` (presets mix types, so their
/// size depends on the model), and the KV-cache types.
Report quants_report(const ModelSpec& reference, std::string_view query);

/// What check-data found in one file: its entries when it loaded, else its problems
/// ("file:line: /pointer: message", as DataError words them).
struct DataFileCheck {
  std::string file;
  std::optional<std::size_t> entries;
  std::vector<std::string> problems;
};

/// check-data's findings: one row per problem (file, line, field, message; valid false), and one
/// per file without any (its entries; valid true).
Report check_data_report(const std::vector<DataFileCheck>& checks);

}  // namespace llmroof
