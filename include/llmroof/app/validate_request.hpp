#pragma once

#include <optional>
#include <string>
#include <vector>

#include "llmroof/app/database.hpp"
#include "llmroof/report/report.hpp"

namespace llmroof {

/// Measured speeds to compare with predictions, as a front end gives them: the texts of the
/// measurement files (the front end reads them) and the names used for rows that omit them.
/// Field names are the ids RequestError reports.
struct ValidateRequest {
  std::vector<NamedText> measurements;  ///< files: llama-bench output or calibration-layout CSV
  NamedText aliases;                    ///< calibration-aliases.json of the data directory
  /// efficiency-prior.json of the data directory; required with cross_validate.
  std::optional<NamedText> prior;
  std::string device;  ///< device: every row ran on this device ("" = read it from the row)
  std::string model;   ///< model: every row ran this catalog model ("" = from the row)
  std::string quant;   ///< quant: every row used this quant ("" = from the row)
  bool cross_validate = false;  ///< cross_validate: held-out refits from the prior
  /// hold_out: what cross-validation holds out at once ("generation", "device",
  /// "model-family").
  std::string hold_out = "generation";
  /// ablate: terms of the engine model switched off before fitting ("kernel-path",
  /// "prefill-core", "moe-layer", "power-limit", "dot-product").
  std::vector<std::string> ablate;
  /// max_median_error: "TEST=FRACTION" gates on the median |error| of TEST over all classes.
  std::vector<std::string> max_median_error;
  /// max_p90_error: "TEST=FRACTION" gates on the 90th percentile |error| of TEST.
  std::vector<std::string> max_p90_error;
  /// min_coverage / max_coverage: "TEST=FRACTION" gates on the share of TEST's measurements
  /// inside the band.
  std::vector<std::string> min_coverage;
  std::vector<std::string> max_coverage;
  /// Accuracy figures and unmapped rows as document fields (JSON) instead of notes (tables).
  bool structured = false;
};

/// The validation report and the gates it failed.
struct ValidateOutcome {
  Report report;
  /// One line per failure, to report after the output ("pp512 median error 23.7% exceeds
  /// 5.0%", "no tg128 rows in scope to check", or that no row could be mapped); the run fails
  /// when there is any.
  std::vector<std::string> failures;
};

/// Parses and maps the measurements, predicts each (with the database's efficiency table, or
/// held out by cross-validation), and checks the gates. Throws RequestError for a bad gate or
/// an unknown device, model or quant override, and DataError for a bad measurement file.
ValidateOutcome run_validate(const Database& db, const ValidateRequest& request);

}  // namespace llmroof
