#include "llmroof/app/calibrate_request.hpp"

#include <fmt/format.h>

#include "app/measured_rows.hpp"
#include "llmroof/calibration/calibration.hpp"
#include "llmroof/util/errors.hpp"

namespace llmroof {

namespace {

Column column(std::string id, std::string title, CellKind kind, HumanUnit unit, int precision = 3) {
  return Column{std::move(id), std::move(title), kind, unit, precision, true};
}

// One row per class written: its figures and the rows behind them.
Report classes_report(const EfficiencyTable& table) {
  using K = CellKind;
  using U = HumanUnit;
  Report report;
  report.command = "calibrate";
  report.columns = {column("id", "class", K::text, U::none),
                    column("decode_rows", "decode rows", K::integer, U::none),
                    column("prefill_rows", "prefill rows", K::integer, U::none),
                    column("decode_bandwidth_efficiency", "bw eff", K::real, U::none),
                    column("decode_per_layer_s", "layer cost", K::real, U::seconds_auto),
                    column("decode_flops_efficiency", "decode flops eff", K::real, U::none),
                    column("prefill_flops_efficiency", "prefill flops eff", K::real, U::none),
                    column("decode_log_spread", "decode spread", K::real, U::none),
                    column("prefill_log_spread", "prefill spread", K::real, U::none)};
  for (const auto& c : table.classes) {
    report.rows.push_back({Cell{c.id}, Cell{static_cast<std::int64_t>(c.decode_rows)},
                           Cell{static_cast<std::int64_t>(c.prefill_rows)},
                           Cell{c.decode_bw_efficiency}, Cell{c.decode_per_layer_s},
                           Cell{c.decode_flops_efficiency}, Cell{c.prefill_flops_efficiency},
                           Cell{c.decode_log_spread}, Cell{c.prefill_log_spread}});
  }
  return report;
}

// Kind totals ("decode", "prefill") that only repeat their reference test add nothing.
bool repeats(const std::vector<AccuracyFigure>& figures, const AccuracyFigure& f) {
  const char* reference = f.test == "decode" ? "tg128" : f.test == "prefill" ? "pp512" : nullptr;
  if (reference == nullptr) {
    return false;
  }
  for (const auto& g : figures) {
    if (g.class_id == f.class_id && g.test == reference && g.rows == f.rows) {
      return true;
    }
  }
  return false;
}

std::string accuracy_note(const std::string& what, const AccuracyFigure& f) {
  return fmt::format(
      "{} {} {}: {} rows, median error {:.1f}%, 90th percentile {:.1f}%, bias {:+.1f}%", what,
      f.class_id, f.test, f.rows, 100 * f.median_abs_error, 100 * f.p90_abs_error, 100 * f.bias);
}

CalibrateOutcome refit(const MappingResult& mapped, const CalibrateRequest& o,
                       const std::string& source, std::vector<std::string> warnings) {
  if (!o.prior) {
    throw RequestError("refit_table", "{refit_table} needs the prior figures ({prior})");
  }
  const EfficiencyTable prior = parse_efficiency(o.prior->text, o.prior->name);
  RefitOptions options;
  options.source = source;
  options.data_date = o.data_date;
  options.command = RequestError::render_fields(o.command, [&](std::string_view id) {
    return id == "source" ? source : id == "data_date" ? o.data_date : "{" + std::string(id) + "}";
  });
  const EfficiencyTable table = refit_table(mapped, prior, options);
  CalibrateOutcome outcome;
  outcome.profile_json = efficiency_to_json(table);
  outcome.report = classes_report(table);
  for (const auto& f : table.accuracy) {
    if ((f.class_id == "all" || f.test == "tg128" || f.test == "pp512") &&
        !repeats(table.accuracy, f)) {
      outcome.report.notes.push_back(accuracy_note("cross-validated", f));
    }
  }
  outcome.report.warnings = std::move(warnings);
  return outcome;
}

}  // namespace

CalibrateOutcome run_calibrate(const Database& db, const CalibrateRequest& o) {
  MappingOptions overrides;
  overrides.device = o.device;
  overrides.model = o.model;
  overrides.quant = o.quant;
  const MappingResult mapped = app::map_measured_rows(db, o.measurements, o.aliases, overrides);
  std::vector<std::string> warnings;
  for (const auto& u : mapped.unmapped) {
    warnings.push_back(fmt::format("{}: not used: {}", u.measurement.origin, u.reason));
  }
  std::string source = o.source;
  if (source.empty()) {
    for (const auto& file : o.measurements) {
      source += (source.empty() ? "" : ", ") + file.name;
    }
  }
  if (o.refit_table) {
    return refit(mapped, o, source, std::move(warnings));
  }
  // A profile: the rows must come from one device.
  std::string device;
  for (const auto& row : mapped.mapped) {
    if (!row.exclusion.empty()) {
      continue;
    }
    if (!device.empty() && row.device->id != device) {
      throw RequestError("device",
                         fmt::format("the measurements come from several devices ('{}' and '{}'): "
                                     "calibrate one device at a time, or give {{device}}",
                                     device, row.device->id));
    }
    device = row.device->id;
  }
  for (const auto& row : mapped.mapped) {
    if (!row.exclusion.empty()) {
      warnings.push_back(fmt::format("{}: not used: {}", row.measurement.origin, row.exclusion));
    }
  }
  const EfficiencyTable& shipped = db.efficiency();
  const EfficiencyTable profile = calibration_profile(mapped.mapped, shipped, source);
  // Before and after, on the benchmark's own rows.
  EfficiencyTable merged = shipped;
  merge_efficiency(merged, profile);
  std::vector<Prediction> before;
  std::vector<Prediction> after;
  for (const auto& row : mapped.mapped) {
    before.push_back(predict(row, shipped));
    after.push_back(predict(row, merged));
  }
  CalibrateOutcome outcome;
  outcome.profile_json = efficiency_to_json(profile);
  Report& report = outcome.report;
  report = classes_report(profile);
  const auto was = accuracy_figures(mapped.mapped, before, shipped);
  const auto now = accuracy_figures(mapped.mapped, after, merged);
  for (const auto& f : was) {
    if (f.class_id == "all" && !repeats(was, f)) {
      report.notes.push_back(accuracy_note("before calibration:", f));
    }
  }
  for (const auto& f : now) {
    if (f.class_id == "all" && !repeats(now, f)) {
      report.notes.push_back(accuracy_note("after calibration:", f));
    }
  }
  report.notes.push_back(fmt::format(
      "in-sample errors: the profile was fitted to these rows; apply it with {{calibration}} {}",
      o.profile));
  report.warnings = std::move(warnings);
  return outcome;
}

}  // namespace llmroof
