// llmroof validate: predictions against measured speeds (llama-bench output or the calibration
// CSV layout), with error statistics per device class and test.

#include <fmt/format.h>

#include "cli.hpp"
#include "llmroof/calibration/calibration.hpp"
#include "llmroof/platform/data_dir.hpp"
#include "llmroof/util/errors.hpp"

namespace llmroof::cli {

namespace {

struct ValidateOptions {
  std::vector<std::string> files;
  std::string device;
  std::string model;
  std::string quant;
  bool cross_validate = false;
  std::string hold_out = "generation";
  std::vector<std::string> ablate;        ///< terms switched off
  std::vector<std::string> max_median;    ///< TEST=FRACTION
  std::vector<std::string> max_p90;       ///< TEST=FRACTION
  std::vector<std::string> min_coverage;  ///< TEST=FRACTION
  std::vector<std::string> max_coverage;  ///< TEST=FRACTION
};

void setup(CLI::App& sub, ValidateOptions& o) {
  sub.add_option("files", o.files,
                 "Measurements: llama-bench output (-o json, jsonl, csv or md) or CSV files in the "
                 "calibration layout (columns device, backend, model, quant, test, tokens_per_s)")
      ->required()
      ->type_name("FILE");
  sub.add_option("--device,-d", o.device,
                 "Every row ran on this device (llama-bench markdown names none)")
      ->type_name("DEVICE");
  sub.add_option("--model,-m", o.model, "Every row ran this catalog model")->type_name("MODEL");
  sub.add_option("--quant,-q", o.quant, "Every row used this quant")->type_name("QUANT");
  sub.add_flag("--cross-validate", o.cross_validate,
               "Refit the realistic model from data/efficiency-prior.json without each group of "
               "rows (see --hold-out) and predict them: the accuracy on unseen hardware");
  sub.add_option("--hold-out", o.hold_out,
                 "What --cross-validate holds out at once: generation (every device of one "
                 "architecture generation, the default), device, or model-family")
      ->type_name("GROUP")
      ->check(CLI::IsMember({"generation", "device", "model-family"}));
  sub.add_option("--ablate", o.ablate,
                 "Switch a term of the realistic model off before fitting (kernel-path, "
                 "prefill-core, moe-layer, power-limit, dot-product): what the term buys; "
                 "repeatable")
      ->type_name("TERM")
      ->check(CLI::IsMember(
          {"kernel-path", "prefill-core", "moe-layer", "power-limit", "dot-product"}));
  sub.add_option("--max-median-error", o.max_median,
                 "Fail (exit 1) when the median |error| of TEST over all classes exceeds "
                 "FRACTION, e.g. tg128=0.10; repeatable")
      ->type_name("TEST=FRACTION");
  sub.add_option("--max-p90-error", o.max_p90,
                 "Fail (exit 1) when the 90th percentile |error| of TEST exceeds FRACTION, e.g. "
                 "tg128=0.25; repeatable")
      ->type_name("TEST=FRACTION");
  sub.add_option("--min-coverage", o.min_coverage,
                 "Fail (exit 1) when fewer than FRACTION of TEST's measurements fall inside the "
                 "band, e.g. tg128=0.70; repeatable")
      ->type_name("TEST=FRACTION");
  sub.add_option("--max-coverage", o.max_coverage,
                 "Fail (exit 1) when more than FRACTION fall inside the band (a band too wide to "
                 "inform), e.g. tg128=0.90; repeatable")
      ->type_name("TEST=FRACTION");
  sub.footer(
      "Examples:\n"
      "  llmroof validate bench.json --device rtx-4090\n"
      "  llmroof validate --cross-validate llamacpp-and-peers-measured.csv\n"
      "error = predicted / measured - 1; the band is the estimate's low..high range.\n"
      "Rows of other engines, unstated quants or partial offload are shown, not scored.");
}

struct Limit {
  std::string test;
  double fraction = 0;
};

Limit parse_limit(const std::string& text, const char* option) {
  const auto eq = text.find('=');
  Limit limit;
  if (eq != std::string::npos) {
    limit.test = text.substr(0, eq);
    try {
      std::size_t used = 0;
      limit.fraction = std::stod(text.substr(eq + 1), &used);
      if (used != text.size() - eq - 1 || !(limit.fraction >= 0)) {
        limit.test.clear();
      }
    } catch (const std::exception&) {
      limit.test.clear();
    }
  }
  if (limit.test.empty()) {
    throw UsageError(
        fmt::format("{} expects TEST=FRACTION (e.g. tg128=0.10), got '{}'", option, text));
  }
  return limit;
}

int run(const ValidateOptions& o, Context& context) {
  std::vector<Limit> medians;
  std::vector<Limit> p90s;
  for (const auto& text : o.max_median) {
    medians.push_back(parse_limit(text, "--max-median-error"));
  }
  for (const auto& text : o.max_p90) {
    p90s.push_back(parse_limit(text, "--max-p90-error"));
  }
  std::vector<Limit> min_cov;
  std::vector<Limit> max_cov;
  for (const auto& text : o.min_coverage) {
    min_cov.push_back(parse_limit(text, "--min-coverage"));
  }
  for (const auto& text : o.max_coverage) {
    max_cov.push_back(parse_limit(text, "--max-coverage"));
  }
  const auto dir = context.data_dir();
  const CalibrationAliases aliases = parse_calibration_aliases(
      read_text_file(dir / "calibration-aliases.json"), "calibration-aliases.json");
  std::vector<Measurement> measurements;
  for (const auto& file : o.files) {
    auto parsed = parse_measurements(read_text_file(file), file);
    measurements.insert(measurements.end(), parsed.begin(), parsed.end());
  }
  MappingOptions mapping;
  mapping.device = o.device;
  mapping.model = o.model;
  mapping.quant = o.quant;
  const MappingResult mapped =
      map_measurements(measurements, context.devices(), context.models(), aliases, mapping);

  std::vector<Prediction> predictions;
  EfficiencyTable table;
  std::string method;
  if (o.cross_validate) {
    EfficiencyTable prior =
        parse_efficiency(read_text_file(dir / "efficiency-prior.json"), "efficiency-prior.json");
    std::string ablated;
    for (const auto& name : o.ablate) {
      const Term term = *parse_term(name);
      prior = ablate(std::move(prior), term);
      ablated += fmt::format("{}{}", ablated.empty() ? "" : ", ", to_string(term));
    }
    const HoldOut by = parse_hold_out(o.hold_out).value_or(HoldOut::generation);
    CrossValidation cv = cross_validation(mapped.mapped, prior, by);
    table = std::move(cv.table);
    predictions = std::move(cv.predictions);
    const std::string_view unit = by == HoldOut::device       ? "device"
                                  : by == HoldOut::generation ? "architecture generation"
                                                              : "model family";
    method = fmt::format(
        "leave-one-{}-out cross-validation: each {}'s rows are predicted by the model refitted "
        "without them (from efficiency-prior.json{}); bands from the held-out residuals",
        by == HoldOut::model_family ? "model-family" : to_string(by), unit,
        ablated.empty() ? "" : fmt::format(", with {} switched off", ablated));
  } else {
    table = context.efficiency();
    for (const auto& row : mapped.mapped) {
      predictions.push_back(predict(row, table));
    }
    method = "predictions of the realistic model (efficiency.json and any --calibration profile)";
  }
  ValidationOptions options;
  options.structured = context.common().format() == OutputFormat::json ||
                       context.common().format() == OutputFormat::jsonl;
  options.method = method;
  context.emit(validation_report(mapped.mapped, predictions, mapped.unmapped, table, options));
  if (mapped.mapped.empty()) {
    context.io().err << "llmroof: error: no measurement could be mapped to a device, model and "
                        "quant (see the unmapped rows)\n";
    return static_cast<int>(ExitCode::failure);
  }
  const auto figures = accuracy_figures(mapped.mapped, predictions, table);
  int failures = 0;
  auto check = [&](const Limit& limit, int which) {
    const bool p90 = which == 1;
    const AccuracyFigure* figure = nullptr;
    for (const auto& f : figures) {
      if (f.class_id == "all" && f.test == limit.test) {
        figure = &f;
      }
    }
    if (figure == nullptr) {
      context.io().err << fmt::format("llmroof: error: no {} rows in scope to check\n", limit.test);
      ++failures;
      return;
    }
    if (which >= 2) {
      const bool low = which == 2;
      if (low ? figure->coverage < limit.fraction : figure->coverage > limit.fraction) {
        context.io().err << fmt::format("llmroof: error: {} band coverage {:.1f}% is {} {:.1f}%\n",
                                        limit.test, 100 * figure->coverage, low ? "below" : "above",
                                        100 * limit.fraction);
        ++failures;
      }
      return;
    }
    const double value = p90 ? figure->p90_abs_error : figure->median_abs_error;
    if (value > limit.fraction) {
      context.io().err << fmt::format("llmroof: error: {} {} error {:.1f}% exceeds {:.1f}%\n",
                                      limit.test, p90 ? "90th percentile" : "median", 100 * value,
                                      100 * limit.fraction);
      ++failures;
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
  return static_cast<int>(failures > 0 ? ExitCode::failure : ExitCode::ok);
}

}  // namespace

Command add_validate(CLI::App& parent, CommonOptions& common) {
  auto options = std::make_shared<ValidateOptions>();
  CLI::App* sub = parent.add_subcommand(
      "validate", "Compare predictions with measured speeds (llama-bench output, calibration CSV)");
  setup(*sub, *options);
  add_common_options(*sub, common, true);
  return {sub, [options](Context& context) { return run(*options, context); }};
}

}  // namespace llmroof::cli
