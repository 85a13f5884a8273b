// llmroof calibrate: fit a calibration profile for one's own device from llama-bench output
// (or refit the shipped efficiency table from the calibration data).

#include <fmt/format.h>

#include <filesystem>

#include "cli.hpp"
#include "llmroof/app/calibrate_request.hpp"
#include "llmroof/platform/data_dir.hpp"
#include "llmroof/platform/output_file.hpp"
#include "llmroof/util/errors.hpp"

namespace llmroof::cli {

namespace {

struct CalibrateOptions {
  std::vector<std::string> files;
  std::string device;
  std::string model;
  std::string quant;
  std::string profile;
  bool refit_table = false;
  std::string prior;
  std::string source;
  std::string data_date = "unknown";
};

void setup(CLI::App& sub, CalibrateOptions& o) {
  sub.add_option("files", o.files,
                 "llama-bench output of one device (-o json, jsonl, csv or md), or CSV files in "
                 "the calibration layout")
      ->required()
      ->type_name("FILE");
  sub.add_option("--profile,-p", o.profile,
                 "Write the profile (JSON, the schema of data/efficiency.json) to FILE; apply it "
                 "later with --calibration FILE")
      ->required()
      ->type_name("FILE");
  sub.add_option("--device,-d", o.device,
                 "The device that ran the benchmark (needed for llama-bench markdown, which names "
                 "none; otherwise read from gpu_info/cpu_info)")
      ->type_name("DEVICE");
  sub.add_option("--model,-m", o.model, "Every row ran this catalog model")->type_name("MODEL");
  sub.add_option("--quant,-q", o.quant, "Every row used this quant")->type_name("QUANT");
  sub.add_flag("--refit-table", o.refit_table,
               "Maintainers: refit every class and the table-wide figures (the shipped "
               "data/efficiency.json) from --prior, with leave-one-generation-out spreads");
  sub.add_option("--prior", o.prior,
                 "With --refit-table: starting figures (default: efficiency-prior.json in the "
                 "data directory)")
      ->type_name("FILE");
  sub.add_option("--source", o.source,
                 "With --refit-table: the data source to record (default: the files given)")
      ->type_name("TEXT");
  sub.add_option("--data-date", o.data_date,
                 "With --refit-table: the date of the data to record, YYYY-MM-DD")
      ->type_name("DATE")
      ->default_str("unknown");
  sub.footer(
      "Examples:\n"
      "  llama-bench -m model.gguf -o json > bench.json\n"
      "  llmroof calibrate bench.json --device rtx-4090 --profile rtx-4090.json\n"
      "  llmroof estimate -m llama-3.1-8b -q q4_k_m -d rtx-4090 \\\n"
      "      --calibration rtx-4090.json\n"
      "The report shows the fitted figures and the error on the benchmark's own rows\n"
      "before and after calibration.");
}

void write_text(const std::string& path, const std::string& text, Context& context) {
  if (path == "-") {
    context.io().out << text;
    return;
  }
  write_file_atomically(path, text);
}

/// Refuses, before any work, outputs that would overwrite an input or each other.
void check_outputs(const CalibrateOptions& o, Context& context) {
  for (const auto& file : o.files) {
    context.add_input(file);
  }
  if (!o.prior.empty()) {
    context.add_input(o.prior);
  }
  if (o.profile != "-") {
    context.check_output(o.profile, "--profile");
  }
  const std::string& output = context.common().output;
  if (output != "-") {
    context.check_output(output, "--output");
    if (o.profile != "-" &&
        std::filesystem::weakly_canonical(output) == std::filesystem::weakly_canonical(o.profile)) {
      throw UsageError(fmt::format(
          "--output '{}' is also the --profile file; give the report and the profile different "
          "paths",
          output));
    }
  }
}

CalibrateRequest make_request(const CalibrateOptions& o, Context& context) {
  CalibrateRequest r;
  r.aliases = context.shipped_text("calibration-aliases.json");
  for (const auto& file : o.files) {
    r.measurements.push_back({file, read_text_file(file)});
  }
  r.device = o.device;
  r.model = o.model;
  r.quant = o.quant;
  r.profile = o.profile;
  r.refit_table = o.refit_table;
  if (o.refit_table) {
    r.prior = o.prior.empty() ? context.shipped_text("efficiency-prior.json")
                              : NamedText{o.prior, read_text_file(o.prior)};
  }
  r.source = o.source;
  r.data_date = o.data_date;
  r.command =
      "llmroof calibrate --refit-table {source} --source {source} --data-date {data_date} "
      "--profile data/efficiency.json";
  return r;
}

int run(const CalibrateOptions& o, Context& context) {
  check_outputs(o, context);
  const CalibrateOutcome outcome = run_calibrate(context.database(), make_request(o, context));
  write_text(o.profile, outcome.profile_json, context);
  context.emit(outcome.report);
  return static_cast<int>(ExitCode::ok);
}

}  // namespace

Command add_calibrate(CLI::App& parent, CommonOptions& common) {
  auto options = std::make_shared<CalibrateOptions>();
  CLI::App* sub = parent.add_subcommand(
      "calibrate", "Fit a calibration profile of your device from llama-bench output");
  setup(*sub, *options);
  add_common_options(*sub, common, true);
  return {sub, [options](Context& context) { return run(*options, context); }};
}

}  // namespace llmroof::cli
