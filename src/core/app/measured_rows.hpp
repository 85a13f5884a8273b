#pragma once

// Measurement texts of a validate or calibrate request, parsed and mapped to the database
// (internal to llmroof_core).

#include <span>
#include <string>

#include "llmroof/app/database.hpp"
#include "llmroof/calibration/calibration.hpp"

namespace llmroof::app {

/// Every file's measurements in order, mapped with the request's overrides. Throws DataError
/// for a bad file (the first one) and RequestError for an unknown override.
inline MappingResult map_measured_rows(const Database& db, std::span<const NamedText> files,
                                       const NamedText& aliases_text,
                                       const MappingOptions& overrides) {
  const CalibrationAliases aliases =
      parse_calibration_aliases(aliases_text.text, aliases_text.name);
  std::vector<Measurement> measurements;
  for (const auto& file : files) {
    auto parsed = parse_measurements(file.text, file.name);
    measurements.insert(measurements.end(), parsed.begin(), parsed.end());
  }
  return map_measurements(measurements, db.devices(), db.models(), aliases, overrides);
}

}  // namespace llmroof::app
