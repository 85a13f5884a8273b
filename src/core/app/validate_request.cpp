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
  const std::vector<Limit> min_cov = parse_limits(o.min_coverage, "min_coverage");
  const std::vector<Limit> max_cov = parse_limits(o.max_coverage, "max_coverage");
  const auto by = parse_hold_out(o.hold_out);
  if (!by) {
    throw RequestError("hold_out",
                       fmt::format("{{hold_out}} expects one of {}, got '{}'",
                                   fmt::join(hold_out_names(), ", "), o.hold_out),
                       hold_out_names());
  }
  std::vector<Term> terms;
  for (const auto& name : o.ablate) {
    const auto term = parse_term(name);
    if (!term) {
      throw RequestError("ablate", fmt::format("{{ablate}} expects one of {}, got '{}'",
                                               fmt::join(term_names(), ", "), name));
    }
    terms.push_back(*term);
  }
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
    EfficiencyTable prior = parse_efficiency(o.prior->text, o.prior->name);
    std::string ablated;
    for (const Term term : terms) {
      prior = ablate(std::move(prior), term);
      ablated += fmt::format("{}{}", ablated.empty() ? "" : ", ", to_string(term));
    }
    CrossValidation cv = cross_validation(mapped.mapped, prior, *by);
    table = std::move(cv.table);
    predictions = std::move(cv.predictions);
    const std::string_view unit = *by == HoldOut::device       ? "device"
                                  : *by == HoldOut::generation ? "architecture generation"
                                                               : "model family";
    options.method = fmt::format(
        "leave-one-{}-out cross-validation: each {}'s rows are predicted by the model refitted "
        "without them (from {}{}); bands from the held-out residuals",
        to_string(*by), unit, o.prior->name,
        ablated.empty() ? "" : fmt::format(", with {} switched off", ablated));
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
  auto check = [&](const Limit& limit, int which) {
    const bool p90 = which == 1;
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
    if (which >= 2) {
      const bool low = which == 2;
      if (low ? figure->coverage < limit.fraction : figure->coverage > limit.fraction) {
        outcome.failures.push_back(fmt::format("{} band coverage {:.1f}% is {} {:.1f}%", limit.test,
                                               100 * figure->coverage, low ? "below" : "above",
                                               100 * limit.fraction));
      }
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
    check(limit, 0);
  }
  for (const auto& limit : p90s) {
    check(limit, 1);
  }
  for (const auto& limit : min_cov) {
    check(limit, 2);
  }
  for (const auto& limit : max_cov) {
    check(limit, 3);
  }
  return outcome;
}

}  // namespace llmroof
