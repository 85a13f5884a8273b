// llmroof sweep: one model on one device over lists of batch and context, or over parallel
// users as llama-batched-bench runs them.

#include <fmt/format.h>

#include <algorithm>

#include "cli.hpp"
#include "engine_options.hpp"
#include "llmroof/app/sweep_request.hpp"
#include "llmroof/report/chart.hpp"
#include "llmroof/util/errors.hpp"
#include "model_args.hpp"
#include "sweep_options.hpp"

#if defined(__unix__) || defined(__APPLE__)
#include <sys/ioctl.h>
#include <unistd.h>
#endif

namespace llmroof::cli {

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

}  // namespace

SweepRequest make_sweep_request(const SweepCliOptions& o, const Context& context) {
  SweepRequest r;
  r.model = model_argument(o.model);
  r.quant = o.quant;
  r.device = o.device;
  r.batch = o.batch;
  r.context = o.context;
  r.parallel = o.parallel;
  r.prompt = o.prompt;
  r.generate = o.generate;
  apply_engine_options(o.engine, r.options);
  r.show = o.show;
  r.chart = o.chart;
  r.format = context.common().format();
  return r;
}

namespace {

int run(const SweepCliOptions& o, Context& context, const std::string& host_note) {
  SweepOutcome outcome = run_sweep(context.database(), make_sweep_request(o, context));
  if (!host_note.empty()) {
    outcome.report.notes.insert(outcome.report.notes.begin(), host_note);
  }
  context.emit(outcome.report, outcome.title);
  if (outcome.chart && outcome.roofline) {
    // The bars and the roofline after the table, to stdout or appended to --output.
    const int width = chart_width(context.io(), context.common().output == "-");
    outcome.chart->width = width;
    context.write_output("\n" + render_bar_chart(*outcome.chart) + "\n" +
                             render_text_roofline(*outcome.roofline, width),
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
            const std::string host_note = use_host_device({options->device}, common);
            return run(*options, context, host_note);
          }};
}

}  // namespace llmroof::cli
