#pragma once

#include <string>
#include <string_view>

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

}  // namespace llmroof
