// Cross-validation, refits of the shipped table and calibration profiles.

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "calibration/calibration_text.hpp"
#include "data/json_reader.hpp"
#include "llmroof/calibration/calibration.hpp"
#include "llmroof/engine/engine_model.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/lookup.hpp"
#include "llmroof/util/units.hpp"

namespace llmroof {

using namespace calib;  // NOLINT(google-build-using-namespace)

CrossValidation cross_validation(std::span<const MappedMeasurement> rows,
                                 const EfficiencyTable& prior) {
  CrossValidation cv;
  cv.table = fit_efficiency(rows, prior);
  const auto held_out = cross_validate(rows, prior, cv.table);
  set_spreads(cv.table, rows, held_out);
  cv.predictions.resize(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].exclusion.empty()) {
      cv.predictions[i] = predict(rows[i], cv.table);
    }
  }
  // Held-out predictions carry their fold's spreads; score them with the final bands.
  for (const auto& h : held_out) {
    const MappedMeasurement& row = rows[h.row];
    const EfficiencyClass* c = find_efficiency_class(cv.table, row.class_key);
    const double spread = c == nullptr                    ? 0.0
                          : row.kind == TestKind::prefill ? c->prefill_log_spread
                          : row.kind == TestKind::decode
                              ? c->decode_log_spread
                              : std::max(c->decode_log_spread, c->prefill_log_spread);
    Prediction p = h.prediction;
    p.tokens_per_s_low = p.tokens_per_s * std::exp(-spread);
    p.tokens_per_s_high = p.tokens_per_s * std::exp(spread);
    cv.predictions[h.row] = p;
  }
  return cv;
}

EfficiencyTable refit_table(const MappingResult& mapped, const EfficiencyTable& prior,
                            const RefitOptions& options) {
  CrossValidation cv = cross_validation(mapped.mapped, prior);
  EfficiencyTable table = std::move(cv.table);
  table.description = fmt::format(
      "Realistic-efficiency classes: how far a llama.cpp-like engine stays below the roofline on "
      "each class of device and backend, and how its kernels treat each weight format. Fitted by "
      "'llmroof calibrate --refit-table' to {} from efficiency-prior.json (see fitted_on); the "
      "bands and cross_validated_accuracy come from leave-one-device-out cross-validation.",
      options.source);
  table.accuracy = accuracy_figures(mapped.mapped, cv.predictions, table);
  FitRecord record;
  record.source = options.source;
  record.data_date = options.data_date;
  record.command = options.command;
  record.rows = static_cast<int>(mapped.mapped.size() + mapped.unmapped.size());
  std::set<std::string> devices;
  for (const auto& row : mapped.mapped) {
    if (row.exclusion.empty()) {
      ++record.rows_used;
      devices.insert(row.device->id);
    } else {
      ++record.rows_excluded;
    }
  }
  record.rows_unmapped = static_cast<int>(mapped.unmapped.size());
  record.devices = static_cast<int>(devices.size());
  table.fitted_on = record;
  return table;
}

EfficiencyTable calibration_profile(std::span<const MappedMeasurement> rows,
                                    const EfficiencyTable& table, const std::string& source) {
  // One profile class per (device, backend), starting from the class the table gives it.
  EfficiencyTable working = table;
  std::vector<std::string> ids;
  std::map<std::string, std::string> bases;
  for (const auto& row : rows) {
    if (!row.exclusion.empty()) {
      continue;
    }
    const std::string id = fmt::format("{}-{}", row.device->id, row.backend);
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) {
      continue;
    }
    const EfficiencyClass* base = find_efficiency_class(table, row.class_key);
    if (base == nullptr) {
      throw Error(fmt::format("the efficiency table has no class for '{}'", row.device->id));
    }
    EfficiencyClass c = *base;
    bases[id] = base->id;
    c.id = id;
    c.device = row.device->id;
    c.backend = row.backend;
    c.description = fmt::format("{} ({}), calibrated", row.device->name, row.backend);
    working.classes.insert(working.classes.begin(), c);
    ids.push_back(id);
  }
  if (ids.empty()) {
    throw Error("no measurement is in scope: nothing to calibrate (see 'llmroof validate')");
  }
  FitOptions options;
  options.classes = ids;
  options.globals = false;
  // The device's own rows are direct evidence: a tenth of the shipped fit's pull.
  options.prior_weight = 0.002;
  const EfficiencyTable fitted = fit_efficiency(rows, working, options);
  EfficiencyTable profile;
  profile.schema_version = 2;
  profile.description = fmt::format(
      "Calibration profile written by 'llmroof calibrate' from {}; apply it with --calibration.",
      source);
  profile.matmul_half_rows = table.matmul_half_rows;
  profile.ubatch_tokens = table.ubatch_tokens;
  for (const auto& id : ids) {
    const EfficiencyClass* c = find_efficiency_class(fitted, id);
    EfficiencyClass out = *c;
    // In-sample residuals of the device's own rows: its band.
    std::vector<double> decode;
    std::vector<double> prefill;
    for (const auto& row : rows) {
      if (!row.exclusion.empty() || resolved_class(row, fitted) != id) {
        continue;
      }
      const double r =
          std::fabs(std::log(row.measurement.tokens_per_s / predict(row, fitted).tokens_per_s));
      (row.kind == TestKind::prefill ? prefill : decode).push_back(r);
    }
    constexpr double k_min_spread = 0.05;
    out.decode_log_spread =
        decode.size() >= 3 ? std::max(quantile(decode, 0.8), k_min_spread) : c->decode_log_spread;
    out.prefill_log_spread = prefill.size() >= 3 ? std::max(quantile(prefill, 0.8), k_min_spread)
                                                 : c->prefill_log_spread;
    out.basis = fmt::format(
        "fitted by 'llmroof calibrate' to {} decode and {} prefill measurements of {}, starting "
        "from the shipped class '{}'",
        out.decode_rows, out.prefill_rows, source, bases[id]);
    profile.classes.push_back(std::move(out));
  }
  return profile;
}

}  // namespace llmroof
