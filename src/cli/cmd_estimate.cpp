// llmroof estimate: tokens/s of one model on one or more devices.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli.hpp"
#include "llmroof/errors.hpp"
#include "llmroof/estimate.hpp"
#include "llmroof/units.hpp"
#include "model_args.hpp"

namespace llmroof::cli {

namespace {

struct EstimateCliOptions {
  std::string model;
  std::optional<std::string> quant;
  std::string devices;
  std::optional<double> bandwidth_gb_per_s;
  std::optional<double> tflops;
  std::optional<double> memory_gib;
  int batch = 1;
  long long context = 0;
  long long prompt = 512;
  long long generate = 128;
  std::string kv_quant = "f16";
  std::optional<std::string> compute_precision;
  std::string backend;
  bool ideal = false;
  double expert_skew = 0;
  std::string sort = "tokens_per_s";
  std::optional<double> power_w;
  std::optional<double> price_per_hour;
  std::vector<std::string> show;
  bool generate_given = false;  ///< --generate was on the command line
};

// Optional table columns: shown when the run makes them meaningful or --show asks.
void show_column(Report& report, const std::string& id) {
  const int i = report.column_index(id);
  if (i >= 0) {
    report.columns[static_cast<std::size_t>(i)].human = true;
  }
}

void setup(CLI::App& sub, EstimateCliOptions& o) {
  sub.add_option("--model,-m", o.model,
                 "Model: a catalog id or alias (llmroof models), a size such as 7b/70b/500m "
                 "(generic dense model), or a config.json / .gguf path")
      ->required()
      ->type_name("MODEL");
  sub.add_option("--quant,-q", o.quant,
                 "Weight format (llmroof quants): fp32 fp16 bf16 fp8 int8 int4 (flat bytes per "
                 "weight), llama.cpp presets such as q4_k_m, or GGML types. Default: the file's "
                 "types, else the published dtype, else fp16")
      ->type_name("QUANT");
  sub.add_option("--device,-d", o.devices,
                 "Devices: ids or aliases separated by commas (a100,rtx-4090,m4-pro), 'all', or "
                 "a vendor/kind/segment filter (apple, nvidia, gpu, cpu, laptop)")
      ->required()
      ->type_name("DEVICES");
  sub.add_option("--bandwidth", o.bandwidth_gb_per_s,
                 "Override the memory bandwidth of every selected device, in GB/s")
      ->check(CLI::PositiveNumber)
      ->type_name("GB/s");
  sub.add_option("--tflops", o.tflops,
                 "Override the peak at the compute precision, in TFLOP/s (TOPS for int types)")
      ->check(CLI::PositiveNumber)
      ->type_name("TFLOPS");
  sub.add_option("--memory", o.memory_gib,
                 "Memory available to the model, in GiB (default: the device's largest "
                 "configuration, less what the OS keeps)")
      ->check(CLI::PositiveNumber)
      ->type_name("GiB");
  sub.add_option("--batch,-b", o.batch, "Sequences decoded together (>= 1)")
      ->check(CLI::Range(1, 1 << 20))
      ->type_name("N")
      ->default_str("1");
  sub.add_option("--context,-c", o.context, "Tokens already in the KV cache of each sequence")
      ->check(CLI::Range(0LL, 100000000LL))
      ->type_name("TOKENS")
      ->default_str("0");
  sub.add_option("--prompt,-p", o.prompt,
                 "Prompt length for prefill speed and time to first token (0: skip prefill)")
      ->check(CLI::Range(0LL, 100000000LL))
      ->type_name("TOKENS")
      ->default_str("512");
  sub.add_option("--generate,-n", o.generate,
                 "Tokens generated per sequence: memory fit, and (when given) the average decode "
                 "speed over them from --context and the end-to-end time, as llama-bench tgN")
      ->check(CLI::Range(0LL, 100000000LL))
      ->type_name("TOKENS")
      ->default_str("128");
  std::vector<std::string> kv_names;
  for (auto name : kv_quant_names()) {
    kv_names.emplace_back(name);
  }
  sub.add_option("--kv-quant", o.kv_quant, "KV-cache element type: f16, bf16, fp8, q8_0, q4_0")
      ->check(CLI::IsMember(kv_names, CLI::ignore_case))
      ->type_name("TYPE")
      ->default_str("f16");
  sub.add_option("--compute-precision", o.compute_precision,
                 "Precision of the matrix products: fp32 fp16 bf16 fp8 int8 int4 (default: the "
                 "quant's; GGUF types are dequantized to fp16)")
      ->check(CLI::IsMember({"fp32", "fp16", "bf16", "fp8", "int8", "int4"}, CLI::ignore_case))
      ->type_name("PRECISION");
  sub.add_option("--backend", o.backend,
                 "Engine backend: cpu runs a GPU machine's model on its host CPU (default: the "
                 "device's usual backend)")
      ->check(CLI::IsMember({"cuda", "rocm", "metal", "vulkan", "sycl", "cpu", "opencl"},
                            CLI::ignore_case))
      ->type_name("BACKEND");
  sub.add_flag("--ideal", o.ideal,
               "Pure roofline of the source articles: efficiency 1, no overheads, no range");
  sub.add_option("--expert-skew", o.expert_skew,
                 "MoE routing skew in [0, 1): 0 = uniform routing (default), larger = batches "
                 "share more experts")
      ->check(CLI::Range(0.0, 0.99))
      ->type_name("SKEW")
      ->default_str("0");
  sub.add_option("--sort", o.sort,
                 "Sort rows by this output column (numbers descending), e.g. tokens_per_s, "
                 "prefill_tokens_per_s, memory_margin_bytes, device.id")
      ->type_name("COLUMN")
      ->default_str("tokens_per_s");
  sub.add_option("--power", o.power_w,
                 "Power draw for joules_per_token, in W (default: the device's TDP)")
      ->check(CLI::PositiveNumber)
      ->type_name("W");
  sub.add_option("--price-per-hour", o.price_per_hour,
                 "Rental price of one device, in USD per hour, for usd_per_million_tokens")
      ->check(CLI::PositiveNumber)
      ->type_name("USD");
  sub.add_option("--show", o.show,
                 "Also show these output columns in the table (ids as in JSON, e.g. "
                 "joules_per_token,critical_batch)")
      ->delimiter(',')
      ->type_name("COLUMNS");
  sub.footer(
      "Examples:\n"
      "  llmroof estimate --model 70b --quant int4 --device m4pro\n"
      "  llmroof estimate -m llama-3.1-8b -q q4_k_m -d a100,rtx-4090,m4-pro --format json\n"
      "  llmroof estimate -m 7b -q int4 -d m4-10c --bandwidth 120 --tflops 38 --ideal\n"
      "JSON/CSV carry base units (bytes, seconds, tokens/s); tokens/s is per sequence.");
}

int run(const EstimateCliOptions& o, Context& context) {
  ModelChoice model = resolve_model(context, o.model, o.quant);
  EstimateOptions options;
  options.batch = o.batch;
  options.context_tokens = static_cast<double>(o.context);
  options.prompt_tokens = static_cast<double>(o.prompt);
  options.generate_tokens = static_cast<double>(o.generate);
  options.kv_quant = o.kv_quant;
  options.kv_bytes_per_element = kv_bytes_per_element(o.kv_quant).value_or(2.0);
  if (o.compute_precision) {
    options.compute_precision = parse_precision(*o.compute_precision);
  }
  if (o.bandwidth_gb_per_s) {
    options.bandwidth_bytes_per_s = *o.bandwidth_gb_per_s * units::k_gb;
  }
  if (o.tflops) {
    options.peak_flops_per_s = *o.tflops * units::k_tera;
  }
  if (o.memory_gib) {
    options.memory_bytes = *o.memory_gib * units::k_gib;
  }
  options.backend = o.backend;
  options.ideal = o.ideal;
  options.expert_skew = o.expert_skew;
  options.power_w = o.power_w;
  options.price_usd_per_hour = o.price_per_hour;

  const auto matches = select_devices(context.devices(), o.devices);
  std::vector<EstimateResult> results;
  std::vector<std::string> notes = model.notes;
  std::vector<std::string> warnings = model.warnings;
  for (const auto& match : matches) {
    results.push_back(estimate(*match.device, model.input, options, context.efficiency()));
    if (match.family != nullptr) {
      notes.push_back(fmt::format("'{}' covers {}; using {}: {}", match.family->alias,
                                  fmt::join(match.family->covers, ", "), match.device->id,
                                  match.family->note));
    }
    const auto& r = results.back();
    if (r.precision_fell_back) {
      notes.push_back(fmt::format("{} has no {} rate; its {} peak is the compute roof",
                                  match.device->id,
                                  to_string(options.compute_precision.value_or(model.input.compute)),
                                  to_string(r.precision)));
    }
  }
  if (matches.size() == 1 && !results.front().fit.fits) {
    warnings.push_back(fmt::format(
        "{} at {} needs {:.1f} GiB but {} offers {:.1f} GiB; the speed assumes it fits (see "
        "--memory, --quant)",
        model.input.spec.id, model.input.quant_id, results.front().fit.required_bytes / units::k_gib,
        results.front().device->id, results.front().fit.available_bytes / units::k_gib));
  }
  Report report = estimate_report(results, model.input, options, o.sort);
  if (o.generate_given) {
    show_column(report, "generate_tokens_per_s");
    show_column(report, "end_to_end_seconds");
  }
  if (o.batch > 1) {
    show_column(report, "aggregate_tokens_per_s");
  }
  if (o.batch > 1 || o.context > 0) {
    show_column(report, "kv_read_share");
  }
  if (o.price_per_hour) {
    show_column(report, "usd_per_million_tokens");
  }
  if (o.power_w) {
    show_column(report, "joules_per_token");
  }
  for (const auto& id : o.show) {
    if (report.column_index(id) < 0) {
      throw UsageError(fmt::format("unknown column '{}' for --show (see the JSON field names)", id));
    }
    show_column(report, id);
  }
  report.notes = std::move(notes);
  report.warnings = std::move(warnings);
  if (o.ideal) {
    report.notes.insert(report.notes.begin(),
                        "--ideal: pure roofline (efficiency 1, no overheads); low = high = ideal");
  }
  context.emit(report);
  return static_cast<int>(ExitCode::ok);
}

}  // namespace

Command add_estimate(CLI::App& parent, CommonOptions& common) {
  auto options = std::make_shared<EstimateCliOptions>();
  CLI::App* sub = parent.add_subcommand(
      "estimate", "Estimate decode and prefill speed of a model on one or more devices");
  setup(*sub, *options);
  add_common_options(*sub, common, true);
  return {sub, [options, sub](Context& context) {
            options->generate_given = sub->count("--generate") > 0;
            return run(*options, context);
          }};
}

}  // namespace llmroof::cli
