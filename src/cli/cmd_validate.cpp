// llmroof validate: predictions against measured speeds (llama-bench output or the calibration
// CSV layout), with error statistics per device class and test.

#include <fmt/format.h>

#include "cli.hpp"
#include "llmroof/app/validate_request.hpp"
#include "llmroof/calibration/calibration.hpp"
#include "llmroof/platform/data_dir.hpp"

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
                 fmt::format("What --cross-validate holds out at once ({}): generation is every "
                             "device of one architecture generation, the default",
                             fmt::join(hold_out_names(), ", ")))
      ->type_name("GROUP")
      ->check(CLI::IsMember(hold_out_names()));
  sub.add_option("--ablate", o.ablate,
                 fmt::format("Switch a term of the realistic model off before fitting ({}): "
                             "what the term buys; repeatable",
                             fmt::join(term_names(), ", ")))
      ->type_name("TERM")
      ->check(CLI::IsMember(term_names()));
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

std::vector<NamedText> read_files(const std::vector<std::string>& files) {
  std::vector<NamedText> texts;
  for (const auto& file : files) {
    texts.push_back({file, read_text_file(file)});
  }
  return texts;
}

ValidateRequest make_request(const ValidateOptions& o, Context& context) {
  ValidateRequest r;
  r.aliases = context.shipped_text("calibration-aliases.json");
  r.measurements = read_files(o.files);
  if (o.cross_validate) {
    r.prior = context.shipped_text("efficiency-prior.json");
  }
  r.device = o.device;
  r.model = o.model;
  r.quant = o.quant;
  r.cross_validate = o.cross_validate;
  r.max_median_error = o.max_median;
  r.max_p90_error = o.max_p90;
  r.hold_out = o.hold_out;
  r.ablate = o.ablate;
  r.min_coverage = o.min_coverage;
  r.max_coverage = o.max_coverage;
  const OutputFormat format = context.common().format();
  r.structured = format == OutputFormat::json || format == OutputFormat::jsonl;
  return r;
}

int run(const ValidateOptions& o, Context& context) {
  const ValidateOutcome outcome = run_validate(context.database(), make_request(o, context));
  context.emit(outcome.report);
  for (const auto& failure : outcome.failures) {
    context.error(failure);
  }
  return static_cast<int>(outcome.failures.empty() ? ExitCode::ok : ExitCode::failure);
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
