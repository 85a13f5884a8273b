// llmroof sweep: one model on one device over lists of batch and context, or over parallel
// users as llama-batched-bench runs them.

#include <fmt/format.h>

#include <fstream>

#include "cli.hpp"
#include "engine_options.hpp"
#include "llmroof/app/chart_request.hpp"
#include "llmroof/report/chart.hpp"
#include "llmroof/scenarios/sweep.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/units.hpp"
#include "model_args.hpp"
#include "sweep_options.hpp"

#if defined(__unix__) || defined(__APPLE__)
#include <sys/ioctl.h>
#include <unistd.h>
#endif

namespace llmroof::cli {

namespace {

// Bounds of the lists, as estimate's --batch and --context.
constexpr std::int64_t k_max_batch = 1 << 20;
constexpr std::int64_t k_max_context = 100000000;
// Prompt and generated tokens of the parallel view when not given (the source article's run).
constexpr long long k_parallel_prompt = 512;
constexpr long long k_parallel_generate = 128;

}  // namespace

void setup_sweep_options(CLI::App& sub, SweepCliOptions& o) {
  sub.add_option("--model,-m", o.model,
                 "Model: a catalog id or alias (llmroof models), a size such as 7b/70b, or a "
                 "config.json / .gguf path")
      ->required()
      ->type_name("MODEL");
  sub.add_option("--quant,-q", o.quant,
                 "Weight format (llmroof quants). Default: the file's types, else the published "
                 "dtype, else fp16")
      ->type_name("QUANT");
  sub.add_option("--device,-d", o.device, "Exactly one device: an id or alias (llmroof devices)")
      ->required()
      ->type_name("DEVICE");
  auto* batch = sub.add_option("--batch,-b", o.batch,
                               "Batches: a list 1,2,4,8, a geometric range 1..256x2, an "
                               "arithmetic range 8..64+8, or a mix (each 1 to 1048576)")
                    ->type_name("LIST")
                    ->default_str("1");
  sub.add_option("--context,-c", o.context,
                 "Tokens already in each KV cache: a list or range as for --batch, e.g. "
                 "0..32768+4096 (one value with --parallel)")
      ->type_name("LIST")
      ->default_str("0");
  sub.add_option("--parallel", o.parallel,
                 "Concurrency view instead of the grid, as llama-batched-bench -npl: for each "
                 "number of users, prefill all prompts in one batch, then decode every user "
                 "together (list or range, e.g. 1,2,4,8,12)")
      ->type_name("LIST")
      ->excludes(batch);
  sub.add_option("--prompt,-p", o.prompt,
                 "Prompt tokens per sequence: time to first token, and held in memory "
                 "(default: 0; 512 with --parallel)")
      ->check(CLI::Range(0LL, 100000000LL))
      ->type_name("TOKENS");
  sub.add_option("--generate,-n", o.generate,
                 "Tokens generated per sequence: average decode speed from the context and "
                 "end-to-end time, and held in memory (default: 0; 128 with --parallel)")
      ->check(CLI::Range(0LL, 100000000LL))
      ->type_name("TOKENS");
  add_engine_options(sub, o.engine);
  sub.add_flag("--chart", o.chart,
               "Draw the sweep as bars after the table (table format only; 60 columns, or the "
               "terminal's width)");
  sub.add_option("--show", o.show,
                 "Also show these output columns in the table (JSON ids, e.g. "
                 "ideal_tokens_per_s,kv_read_share)")
      ->delimiter(',')
      ->type_name("COLUMNS");
  sub.footer(
      "Examples:\n"
      "  llmroof sweep -m llama-3.1-8b -q q4_k_m -d rtx-4090 --batch 1..256x2 --chart\n"
      "  llmroof sweep -m qwen3-30b-a3b -q q4_k_m -d m4-pro --context 0..32768+4096\n"
      "  llmroof sweep -m 70b -q q4_k_m -d a100 --parallel 1,2,4,8,12 -p 512 -n 128\n"
      "Fields: critical_batch (at the smallest context), max_batch_that_fits (at the\n"
      "longest context), max_context_that_fits (at the largest batch), solved exactly.\n"
      "JSON rows are under \"points\" (grid) or \"runs\" (--parallel); JSON/CSV carry\n"
      "base units; tokens_per_s is per sequence (per user).");
}

namespace {

// Columns of the terminal when stdout is one; the default otherwise (deterministic output).
int chart_width(const Io& io, bool to_stdout) {
#if defined(__unix__) || defined(__APPLE__)
  if (io.out_is_tty && to_stdout) {
    winsize size{};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
      return std::clamp(static_cast<int>(size.ws_col), k_min_chart_width, 120);
    }
  }
#else
  (void)io;
  (void)to_stdout;
#endif
  return k_default_chart_width;
}

const Device& one_device(Context& context, const std::string& spec,
                         std::vector<std::string>& notes) {
  const auto matches = select_devices(context.devices(), spec);
  if (matches.size() != 1) {
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < matches.size() && i < 5; ++i) {
      ids.push_back(matches[i].device->id);
    }
    throw UsageError(fmt::format("sweep takes one device, but '{}' selects {} ({}{}); name one",
                                 spec, matches.size(), fmt::join(ids, ", "),
                                 matches.size() > ids.size() ? ", ..." : ""));
  }
  const DeviceMatch& match = matches.front();
  if (match.family != nullptr) {
    notes.push_back(fmt::format("'{}' covers {}; using {}: {}", match.family->alias,
                                fmt::join(match.family->covers, ", "), match.device->id,
                                match.family->note));
  }
  return *match.device;
}

}  // namespace

SweepOutcome run_sweep_options(const SweepCliOptions& o, Context& context,
                               const std::string& device_spec) {
  ModelChoice model = resolve_model(context, o.model, o.quant);
  std::vector<std::string> notes = model.notes;
  const Device& device = one_device(context, device_spec, notes);

  const bool parallel = o.parallel.has_value();
  EstimateOptions base;
  base.prompt_tokens = static_cast<double>(o.prompt.value_or(parallel ? k_parallel_prompt : 0));
  base.generate_tokens =
      static_cast<double>(o.generate.value_or(parallel ? k_parallel_generate : 0));
  apply_engine_options(o.engine, base);
  const auto contexts = parse_sweep_list(o.context, "--context", 0, k_max_context);

  auto precision_note = [&](const EstimateResult& r) {
    if (r.precision_fell_back) {
      notes.push_back(fmt::format("{} has no {} rate; its {} peak is the compute roof", device.id,
                                  to_string(base.compute_precision.value_or(model.input.compute)),
                                  to_string(r.precision)));
    }
  };
  SweepOutcome out;
  out.title = fmt::format("{} {}", model.input.spec.id, model.input.quant_id);
  Report& report = out.report;
  if (parallel) {
    if (contexts.size() != 1) {
      throw UsageError("--parallel takes one --context value (tokens cached before each prompt)");
    }
    ParallelOptions options;
    options.base = base;
    options.base.context_tokens = static_cast<double>(contexts.front());
    options.users = parse_sweep_list(*o.parallel, "--parallel", 1, k_max_batch);
    const ParallelResult result =
        parallel_sweep(device, model.input, options, context.efficiency());
    report = parallel_report(result, model.input, options);
    out.bars = parallel_chart(result, options);
    out.roofline.devices.push_back(roofline_device(
        device.id, result.runs.front().decode, model.input, options.base, context.efficiency()));
    for (const auto& run : result.runs) {
      out.roofline.devices.back().points.push_back(
          decode_point(fmt::format("{} user{}", run.users, run.users == 1 ? "" : "s"), run.decode));
    }
    precision_note(result.runs.front().decode);
  } else {
    SweepOptions options;
    options.base = base;
    options.batches = parse_sweep_list(o.batch, "--batch", 1, k_max_batch);
    options.contexts = contexts;
    const SweepResult result = sweep(device, model.input, options, context.efficiency());
    report = sweep_report(result, model.input, options);
    out.bars = sweep_chart(result, options);
    out.roofline.devices.push_back(roofline_device(device.id, result.points.front().estimate,
                                                   model.input, options.base,
                                                   context.efficiency()));
    for (const auto& p : result.points) {
      const bool batches = options.batches.size() > 1;
      const bool both = batches && options.contexts.size() > 1;
      out.roofline.devices.back().points.push_back(
          decode_point(both      ? fmt::format("b{} c{}", p.batch, p.context_tokens)
                       : batches ? fmt::format("b{}", p.batch)
                                 : fmt::format("context {}", p.context_tokens),
                       p.estimate));
    }
    precision_note(result.points.front().estimate);
  }
  out.roofline.title = fmt::format("roofline of the sweep: {} on {}", out.title, device.id);
  report.sparkline_title = fmt::format("{} on {}", out.title, device.id);
  report.notes.insert(report.notes.begin(), notes.begin(), notes.end());
  report.warnings.insert(report.warnings.begin(), model.warnings.begin(), model.warnings.end());
  for (const auto& id : o.show) {
    const int i = report.column_index(id);
    if (i < 0) {
      throw UsageError(
          fmt::format("unknown column '{}' for --show (see the JSON field names)", id));
    }
    report.columns[static_cast<std::size_t>(i)].human = true;
  }
  return out;
}

namespace {

int run(const SweepCliOptions& o, Context& context) {
  SweepOutcome outcome = run_sweep_options(o, context, o.device);
  Report& report = outcome.report;
  const OutputFormat format = context.common().format();
  const bool draw = o.chart && format == OutputFormat::table;
  if (o.chart && !draw) {
    report.warnings.push_back(fmt::format(
        "--chart draws in the table format only; no chart with --format {}", to_string(format)));
  }
  context.emit(report);
  if (draw) {
    const int width = chart_width(context.io(), context.common().output == "-");
    outcome.bars.width = width;
    context.write_output("\n" + render_bar_chart(outcome.bars) + "\n" +
                             render_text_roofline(outcome.roofline, width),
                         true);
  }
  return static_cast<int>(ExitCode::ok);
}

}  // namespace

Command add_sweep(CLI::App& parent, CommonOptions& common) {
  auto options = std::make_shared<SweepCliOptions>();
  CLI::App* sub = parent.add_subcommand(
      "sweep", "Tokens/s of one model on one device over batch x context, or parallel users");
  setup_sweep_options(*sub, *options);
  add_common_options(*sub, common, true, true);
  return {sub, [options, &common](Context& context) {
            common.svg_by_extension = true;
            return run(*options, context);
          }};
}

}  // namespace llmroof::cli
