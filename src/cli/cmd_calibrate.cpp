// llmroof calibrate: fit a calibration profile for one's own device from llama-bench output
// (or refit the shipped efficiency table from the calibration data).

#include <fmt/format.h>

#include <fstream>

#include "cli.hpp"
#include "llmroof/calibration/calibration.hpp"
#include "llmroof/platform/data_dir.hpp"
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
               "data/efficiency.json) from --prior, with leave-one-device-out spreads");
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

Column column(std::string id, std::string title, CellKind kind, HumanUnit unit, int precision = 3) {
  return Column{std::move(id), std::move(title), kind, unit, precision, true};
}

// One row per class written: its figures and the rows behind them.
Report classes_report(const EfficiencyTable& table) {
  using K = CellKind;
  using U = HumanUnit;
  Report report;
  report.command = "calibrate";
  report.rows_key = "classes";
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

void write_text(const std::string& path, const std::string& text, Context& context) {
  if (path == "-") {
    context.io().out << text;
    return;
  }
  std::ofstream file(path, std::ios::binary);
  if (!file || !(file << text)) {
    throw Error(fmt::format("cannot write '{}'", path));
  }
}

int run(const CalibrateOptions& o, Context& context) {
  const auto dir = context.data_dir();
  const CalibrationAliases aliases = parse_calibration_aliases(
      read_text_file(dir / "calibration-aliases.json"), "calibration-aliases.json");
  std::vector<Measurement> measurements;
  std::string files;
  for (const auto& file : o.files) {
    auto parsed = parse_measurements(read_text_file(file), file);
    measurements.insert(measurements.end(), parsed.begin(), parsed.end());
    files += (files.empty() ? "" : ", ") + file;
  }
  MappingOptions mapping;
  mapping.device = o.device;
  mapping.model = o.model;
  mapping.quant = o.quant;
  const MappingResult mapped =
      map_measurements(measurements, context.devices(), context.models(), aliases, mapping);
  for (const auto& u : mapped.unmapped) {
    context.io().err << fmt::format("llmroof: warning: {}: not used: {}\n", u.measurement.origin,
                                    u.reason);
  }
  const std::string source = o.source.empty() ? files : o.source;
  if (o.refit_table) {
    const std::string prior_path =
        o.prior.empty() ? (dir / "efficiency-prior.json").string() : o.prior;
    const EfficiencyTable prior = parse_efficiency(read_text_file(prior_path), prior_path);
    RefitOptions refit;
    refit.source = source;
    refit.data_date = o.data_date;
    refit.command = fmt::format(
        "llmroof calibrate --refit-table {} --source {} --data-date {} --profile "
        "data/efficiency.json",
        source, source, o.data_date);
    EfficiencyTable table = refit_table(mapped, prior, refit);
    write_text(o.profile, efficiency_to_json(table), context);
    Report report = classes_report(table);
    for (const auto& f : table.accuracy) {
      if ((f.class_id == "all" || f.test == "tg128" || f.test == "pp512") &&
          !repeats(table.accuracy, f)) {
        report.notes.push_back(accuracy_note("cross-validated", f));
      }
    }
    context.emit(report);
    return static_cast<int>(ExitCode::ok);
  }
  // A profile: the rows must come from one device.
  std::string device;
  for (const auto& row : mapped.mapped) {
    if (!row.exclusion.empty()) {
      continue;
    }
    if (!device.empty() && row.device->id != device) {
      throw UsageError(
          fmt::format("the measurements come from several devices ('{}' and '{}'): "
                      "calibrate one device at a time, or give --device",
                      device, row.device->id));
    }
    device = row.device->id;
  }
  for (const auto& row : mapped.mapped) {
    if (!row.exclusion.empty()) {
      context.io().err << fmt::format("llmroof: warning: {}: not used: {}\n",
                                      row.measurement.origin, row.exclusion);
    }
  }
  const EfficiencyTable& shipped = context.efficiency();
  const EfficiencyTable profile = calibration_profile(mapped.mapped, shipped, source);
  write_text(o.profile, efficiency_to_json(profile), context);
  // Before and after, on the benchmark's own rows.
  EfficiencyTable merged = shipped;
  merge_efficiency(merged, profile);
  std::vector<Prediction> before;
  std::vector<Prediction> after;
  for (const auto& row : mapped.mapped) {
    before.push_back(predict(row, shipped));
    after.push_back(predict(row, merged));
  }
  Report report = classes_report(profile);
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
      "in-sample errors: the profile was fitted to these rows; apply it with --calibration {}",
      o.profile));
  context.emit(report);
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
