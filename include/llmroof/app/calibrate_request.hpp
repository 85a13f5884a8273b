#pragma once

#include <optional>
#include <string>
#include <vector>

#include "llmroof/app/database.hpp"
#include "llmroof/report/report.hpp"

namespace llmroof {

/// A calibration as a front end asks for it: a profile of one device fitted to its benchmark
/// rows, or (refit_table) the whole shipped efficiency table refitted. The front end reads the
/// files and writes the result. Field names are the ids RequestError reports.
struct CalibrateRequest {
  std::vector<NamedText> measurements;  ///< files: llama-bench output of one device, or CSV
  NamedText aliases;                    ///< calibration-aliases.json of the data directory
  std::string device;  ///< device: the device that ran the benchmark ("" = read it from the rows)
  std::string model;   ///< model: every row ran this catalog model ("" = from the row)
  std::string quant;   ///< quant: every row used this quant ("" = from the row)
  /// profile: where the front end writes the result; named in the note on applying it.
  std::string profile;
  bool refit_table = false;        ///< refit_table: refit every class and the table-wide figures
  std::optional<NamedText> prior;  ///< prior: starting figures; required with refit_table
  /// source: the data source recorded by refit_table ("" = the measurement names, joined).
  std::string source;
  std::string data_date = "unknown";  ///< data_date: date of the data, YYYY-MM-DD (refit_table)
  /// The command that reproduces the refit, recorded in the table; `{source}` and `{data_date}`
  /// in it are replaced by the values used.
  std::string command;
};

/// A fitted profile (or table) and the report on it.
struct CalibrateOutcome {
  std::string profile_json;  ///< the profile, or the refitted table, as JSON text
  /// One row per class written (figures and row counts); notes give the accuracy before and
  /// after (a profile) or cross-validated (a refit); warnings name every row left out.
  Report report;
};

/// Parses and maps the measurements and fits. A profile needs rows of one device: throws
/// RequestError on `device` when they come from several, RequestError for an unknown override,
/// DataError for a bad file, and Error when no row is in scope.
CalibrateOutcome run_calibrate(const Database& db, const CalibrateRequest& request);

}  // namespace llmroof
