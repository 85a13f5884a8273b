#include "llmroof/app/validate_request.hpp"

#include <fmt/format.h>

#include "app/measured_rows.hpp"
#include "llmroof/calibration/calibration.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/numbers.hpp"

namespace llmroof {

namespace {

// A gate "TEST=FRACTION" of request field `field`.
struct Limit {
  std::string test;
  double fraction = 0;
};

Limit parse_limit(const std::string& text, const std::string& field) {
  const auto eq = text.find('=');
  Limit limit;
  if (eq != std::string::npos) {
    limit.test = text.substr(0, eq);
    const auto fraction = parse_double(std::string_view(text).substr(eq + 1));
    limit.fraction = fraction.value;
    if (!fraction || !(limit.fraction >= 0)) {
      limit.test.clear();
    }
  }
  if (limit.test.empty()) {
    throw RequestError(
        field,
        fmt::format("{{{}}} expects TEST=FRACTION (e.g. tg128=0.10), got '{}'", field, text));
  }
  return limit;
}

std::vector<Limit> parse_limits(const std::vector<std::string>& texts, const std::string& field) {
  std::vector<Limit> limits;
  for (const auto& text : texts) {
    limits.push_back(parse_limit(text, field));
  }
  return limits;
}

}  // namespace

ValidateOutcome run_validate(const Database& db, const ValidateRequest& o) {
  const std::vector<Limit> medians = parse_limits(o.max_median_error, "max_median_error");
  const std::vector<Limit> p90s = parse_limits(o.max_p90_error, "max_p90_error");
  MappingOptions overrides;
  overrides.device = o.device;
  overrides.model = o.model;
  overrides.quant = o.quant;
  const MappingResult mapped = app::map_measured_rows(db, o.measurements, o.aliases, overrides);

  std::vector<Prediction> predictions;
  EfficiencyTable table;
  ValidationOptions options;
  options.structured = o.structured;
  if (o.cross_validate) {
    if (!o.prior) {
      throw RequestError("cross_validate", "{cross_validate} needs the prior figures");
    }
    const EfficiencyTable prior = parse_efficiency(o.prior->text, o.prior->name);
    CrossValidation cv = cross_validation(mapped.mapped, prior);
    table = std::move(cv.table);
    predictions = std::move(cv.predictions);
    options.method = fmt::format(
        "leave-one-device-out cross-validation: each device's rows are predicted by the model "
        "refitted without that device (from {}); bands from the held-out residuals",
        o.prior->name);
  } else {
    table = db.efficiency();
    for (const auto& row : mapped.mapped) {
      predictions.push_back(predict(row, table));
    }
    options.method =
        "predictions of the realistic model (efficiency.json and any {calibration} profile)";
  }
  ValidateOutcome outcome;
  outcome.report = validation_report(mapped.mapped, predictions, mapped.unmapped, table, options);
  if (mapped.mapped.empty()) {
    outcome.failures.emplace_back(
        "no measurement could be mapped to a device, model and quant (see the unmapped rows)");
    return outcome;
  }
  const auto figures = accuracy_figures(mapped.mapped, predictions, table);
  auto check = [&](const Limit& limit, bool p90) {
    const AccuracyFigure* figure = nullptr;
    for (const auto& f : figures) {
      if (f.class_id == "all" && f.test == limit.test) {
        figure = &f;
      }
    }
    if (figure == nullptr) {
      outcome.failures.push_back(fmt::format("no {} rows in scope to check", limit.test));
      return;
    }
    const double value = p90 ? figure->p90_abs_error : figure->median_abs_error;
    if (value > limit.fraction) {
      outcome.failures.push_back(fmt::format("{} {} error {:.1f}% exceeds {:.1f}%", limit.test,
                                             p90 ? "90th percentile" : "median", 100 * value,
                                             100 * limit.fraction));
    }
  };
  for (const auto& limit : medians) {
    check(limit, false);
  }
  for (const auto& limit : p90s) {
    check(limit, true);
  }
  return outcome;
}

}  // namespace llmroof
