// llmroof chart: pictures of the estimates as SVG: the roofline with the model's operating
// points, a comparison of devices, and a sweep's curves. The charts are drawn by the core
// (report/svg_*.hpp); this file is the option tables (estimate's and sweep's) and the output.

#include "cli.hpp"
#include "estimate_options.hpp"
#include "llmroof/app/chart_request.hpp"
#include "llmroof/report/chart.hpp"
#include "llmroof/report/svg_charts.hpp"
#include "sweep_options.hpp"

namespace llmroof::cli {

namespace {

// Width of the text roofline under a table (the chart is not sized to the terminal here).
constexpr int k_text_chart_width = 72;

struct ChartCliOptions {
  EstimateCliOptions roofline;
  EstimateCliOptions compare;
  SweepCliOptions sweep;
};

int run_roofline_chart(const EstimateCliOptions& o, const CLI::App& sub, Context& context) {
  const RooflineOutcome outcome = run_roofline(context.database(), make_estimate_request(o, sub));
  context.emit(outcome.report, outcome.chart.title);
  if (context.common().format() == OutputFormat::table) {
    context.write_output("\n" + render_text_roofline(outcome.chart, k_text_chart_width), true);
  }
  return static_cast<int>(ExitCode::ok);
}

int run_sweep_chart(const SweepCliOptions& o, Context& context) {
  const SweepChartOutcome outcome =
      run_sweep_chart(context.database(), make_sweep_request(o, context));
  if (context.common().format() != OutputFormat::svg) {
    const SweepOutcome& sweep = outcome.sweeps.front();
    context.emit(sweep.report, sweep.title);
    return static_cast<int>(ExitCode::ok);
  }
  for (const auto& warning : outcome.warnings) {
    context.warning(warning);
  }
  context.write_output(render_line_svg(outcome.chart));
  return static_cast<int>(ExitCode::ok);
}

constexpr const char* k_output_help =
    "Charts are SVG 1.1 on stdout or in --output FILE; --format table, json, csv or\n"
    "md prints the numbers behind the chart instead.";

}  // namespace

Command add_chart(CLI::App& parent, CommonOptions& common) {
  auto options = std::make_shared<ChartCliOptions>();
  CLI::App* chart =
      parent.add_subcommand("chart", "Draw the roofline, a device comparison or a sweep as SVG");
  chart->require_subcommand(1);
  chart->footer(
      "Examples:\n"
      "  llmroof chart roofline -m llama-3.1-8b -q q4_k_m -d rtx-4090,m4-pro -o r.svg\n"
      "  llmroof chart compare -m llama-3.1-70b -q q4_k_m -d rtx-4090,a100 -o c.svg\n"
      "  llmroof chart sweep -m llama-3.1-8b -q q4_k_m -d rtx-4090 -b 1..256x2 -o s.svg");

  // Roofline: decode at batch 1, 8, 64, --batch and the critical batch, prefill at --prompt.
  CLI::App* roofline = chart->add_subcommand(
      "roofline", "Log-log roofline: each device's roofs and the model's operating points");
  setup_estimate_options(*roofline, options->roofline);
  add_common_options(*roofline, common, true, true);
  roofline->footer(
      std::string(
          "Points: decode at batch 1, 8, 64, --batch and the critical batch, and\n"
          "prefill at --prompt; roofs: ideal (solid) and realistic (dashed).\n"
          "Examples:\n"
          "  llmroof chart roofline -m llama-3.1-8b -q q4_k_m -d rtx-4090,m4-pro \\\n"
          "      -o roofline.svg\n"
          "  llmroof chart roofline -m qwen3-30b-a3b -q q4_k_m -d m4-max -c 8192 -f table\n") +
      k_output_help);

  CLI::App* compare = chart->add_subcommand(
      "compare", "Bars of realistic tokens/s per device, band whiskers, ideal ticks");
  setup_estimate_options(*compare, options->compare);
  add_common_options(*compare, common, true, true);
  compare->footer(
      std::string(
          "Sorted fastest first; devices the model does not fit come last, hollow.\n"
          "Examples:\n"
          "  llmroof chart compare -m llama-3.1-70b -q q4_k_m -d rtx-4090,a100,m4-max \\\n"
          "      -o compare.svg\n"
          "  llmroof chart compare -m llama-3.1-8b -q q4_k_m -d apple -b 4 -f svg > a.svg\n") +
      k_output_help);

  CLI::App* sweep = chart->add_subcommand(
      "sweep", "A sweep's curves against batch, context or users, one colour per device");
  setup_sweep_options(*sweep, options->sweep);
  sweep->remove_option(sweep->get_option("--chart"));
  sweep->get_option("--device")
      ->description(
          "Devices: ids or aliases separated by commas, or a filter (apple, nvidia, gpu); one "
          "sweep and one colour each");
  add_common_options(*sweep, common, true, true);
  sweep->footer(
      std::string("Lines: tokens/s per sequence (solid, band shaded) and total (dashed).\n"
                  "Examples:\n"
                  "  llmroof chart sweep -m llama-3.1-8b -q q4_k_m -d rtx-4090,m4-pro \\\n"
                  "      -b 1..256x2 -o sweep.svg\n"
                  "  llmroof chart sweep -m qwen3-30b-a3b -q q4_k_m -d m4-max \\\n"
                  "      -c 0..32768+4096 -o context.svg\n"
                  "  llmroof chart sweep -m 70b -q q4_k_m -d a100 --parallel 1,2,4,8 -o u.svg\n") +
      k_output_help);

  for (CLI::App* sub : {roofline, compare, sweep}) {
    sub->get_option("--format")->default_str("svg");
  }
  return {chart, [options, roofline, compare, &common](Context& context) {
            common.default_format = OutputFormat::svg;
            common.svg_by_extension = true;
            if (roofline->parsed()) {
              return run_roofline_chart(options->roofline, *roofline, context);
            }
            if (compare->parsed()) {
              context.emit(run_estimate(context.database(),
                                        make_estimate_request(options->compare, *compare)));
              return static_cast<int>(ExitCode::ok);
            }
            return run_sweep_chart(options->sweep, context);
          }};
}

}  // namespace llmroof::cli
