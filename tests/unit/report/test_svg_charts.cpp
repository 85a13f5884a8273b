// SVG comparison bars and sweep lines: built from reports, sorted, labels inside the canvas,
// and --format svg's choice of chart.

#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "llmroof/report/render.hpp"
#include "llmroof/report/svg_charts.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/numbers.hpp"
#include "svg_support.hpp"

using namespace llmroof;

namespace {

Column col(std::string id, CellKind kind) {
  return Column{std::move(id), "", kind, HumanUnit::none, 2, true};
}

// An estimate-like report: device, speeds, fit, and what the title reads.
Report estimate_report() {
  Report r;
  r.command = "estimate";
  r.columns = {col("device.id", CellKind::text),
               col("model.id", CellKind::text),
               col("quant", CellKind::text),
               col("batch", CellKind::integer),
               col("context_tokens", CellKind::integer),
               col("ideal_tokens_per_s", CellKind::real),
               col("tokens_per_s", CellKind::real),
               col("tokens_per_s_low", CellKind::real),
               col("tokens_per_s_high", CellKind::real),
               col("fits", CellKind::boolean)};
  auto row = [](std::string device, double ideal, double value, bool fits) {
    return std::vector<Cell>{Cell{std::move(device)},
                             Cell{std::string("m")},
                             Cell{std::string("q4")},
                             Cell{std::int64_t{1}},
                             Cell{std::int64_t{0}},
                             Cell{ideal},
                             Cell{value},
                             Cell{value * 0.8},
                             Cell{value * 1.25},
                             Cell{fits}};
  };
  r.rows = {row("slow", 20, 10, true), row("big-but-full", 200, 100, false),
            row("fast", 100, 50, true)};
  return r;
}

// A grid sweep report: batches 1, 2, 4, 8 at `contexts`; per sequence 100 / batch tokens/s.
Report sweep_report(const std::vector<std::int64_t>& contexts) {
  Report r;
  r.command = "sweep";
  r.columns = {col("batch", CellKind::integer),
               col("context_tokens", CellKind::integer),
               col("tokens_per_s", CellKind::real),
               col("tokens_per_s_low", CellKind::real),
               col("tokens_per_s_high", CellKind::real),
               col("aggregate_tokens_per_s", CellKind::real),
               col("fits", CellKind::boolean)};
  for (std::int64_t context : contexts) {
    for (std::int64_t batch : {1, 2, 4, 8}) {
      const double per_seq = 100.0 / static_cast<double>(batch);
      r.rows.push_back({Cell{batch}, Cell{context}, Cell{per_seq}, Cell{per_seq / 2},
                        Cell{per_seq * 2}, Cell{per_seq * static_cast<double>(batch)},
                        Cell{batch < 8}});
    }
  }
  return r;
}

// Widths of the filled bars (fill="#1f6fd1", 16 px high), in paint order.
std::vector<double> bar_widths(const std::string& svg) {
  const std::regex bar_re(
      R"re(<rect x="[0-9.]+" y="[0-9.]+" width="([0-9.]+)" height="16.0" fill="#1f6fd1"/>)re");
  std::vector<double> widths;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), bar_re); it != std::sregex_iterator();
       ++it) {
    widths.push_back(to_double((*it)[1].str()).value());
  }
  return widths;
}

}  // namespace

TEST_CASE("compare chart: rows that fit first, fastest on top, band and ideal kept", "[svg]") {
  const CompareChart chart = compare_chart(estimate_report());
  CHECK(chart.title == "m q4: decode speed (batch 1, context 0)");
  REQUIRE(chart.bars.size() == 3);
  CHECK(chart.bars[0].label == "fast");
  CHECK(chart.bars[1].label == "slow");
  CHECK(chart.bars[2].label == "big-but-full");
  CHECK_FALSE(chart.bars[2].fits);
  CHECK(chart.bars[0].low == Approx(40));
  CHECK(chart.bars[0].high == Approx(62.5));
  CHECK(chart.bars[0].ideal == 100);
}

TEST_CASE("compare svg: bars to scale, hollow when the model does not fit", "[svg]") {
  const CompareChart chart = compare_chart(estimate_report());
  const std::string svg = render_compare_svg(chart);
  CHECK(svg == render_compare_svg(chart));
  // Height: 48 px above the rows, 28 px per row, 100 px below.
  CHECK(svg.find("width=\"760\" height=\"232\" viewBox=\"0 0 760 232\"") != std::string::npos);
  const auto widths = bar_widths(svg);
  REQUIRE(widths.size() == 2);  // fast and slow (the legend swatch is 10 px high)
  CHECK(widths[0] / widths[1] == Approx(5.0).epsilon(0.01));  // 50 against 10 tokens/s
  CHECK(svg.find(">100.0 (ideal 200.0), does not fit<") != std::string::npos);
  CHECK(svg.find("fill=\"#ffffff\" stroke=\"#1f6fd1\" stroke-width=\"1.5\" "
                 "stroke-dasharray=\"4 3\"") != std::string::npos);
  CHECK(test::check_labels_inside(svg, 760, 232) >= 10);
}

TEST_CASE("compare svg: bad values are refused", "[svg]") {
  CHECK_THROWS_AS(render_compare_svg(CompareChart{}), Error);
  CompareChart chart = compare_chart(estimate_report());
  chart.bars[0].value = -1;
  CHECK_THROWS_AS(render_compare_svg(chart), Error);
  Report devices;
  devices.command = "devices";
  CHECK_THROWS_AS(compare_chart(devices), UsageError);
}

TEST_CASE("sweep lines: per sequence and total against batch, bands scaled by batch", "[svg]") {
  const Report report = sweep_report({0});
  const LineChart chart = sweep_line_chart({{"gpu", &report}}, "t");
  CHECK(chart.x_log);  // batches 1..8 span 8x
  CHECK(chart.x_title == "batch (sequences decoded together), log scale");
  REQUIRE(chart.series.size() == 2);
  const LineSeries& per_seq = chart.series[0];
  const LineSeries& total = chart.series[1];
  CHECK_FALSE(per_seq.dashed);
  CHECK(total.dashed);
  CHECK(per_seq.label == "gpu");
  REQUIRE(total.points.size() == 4);
  // Batch 4: 25 tokens/s per sequence, band 12.5..50; total 100, band 50..200.
  CHECK(per_seq.points[2].y == 25);
  CHECK(total.points[2].y == 100);
  CHECK(total.points[2].low == 50);
  CHECK(total.points[2].high == 200);
  CHECK_FALSE(total.points[3].fits);
  CHECK(chart.legend_notes.size() == 3);  // per sequence, total, does not fit
  const std::string svg = render_line_svg(chart);
  CHECK(svg.find("<polygon") != std::string::npos);
  CHECK(svg.find("stroke-dasharray=\"6 4\"") != std::string::npos);
  CHECK(test::check_labels_inside(svg, 760, 480) >= 10);
}

TEST_CASE("sweep lines: one line per context, one colour per device and context", "[svg]") {
  const Report a = sweep_report({0, 4096});
  const Report b = sweep_report({0, 4096});
  const LineChart chart = sweep_line_chart({{"a", &a}, {"b", &b}}, "two");
  REQUIRE(chart.series.size() == 8);
  CHECK(chart.series[0].label == "a, context 0");
  CHECK(chart.series[2].label == "a, context 4096");
  CHECK(chart.series[4].label == "b, context 0");
  CHECK(chart.series[6].colour == 3);
  CHECK(test::check_labels_inside(render_line_svg(chart), 760, 480) >= 10);
}

TEST_CASE("sweep lines: the context on x when the batch is fixed; axes must agree", "[svg]") {
  Report by_context;
  by_context.command = "sweep";
  by_context.columns = {col("batch", CellKind::integer), col("context_tokens", CellKind::integer),
                        col("tokens_per_s", CellKind::real),
                        col("aggregate_tokens_per_s", CellKind::real)};
  for (std::int64_t c : {0, 8192, 16384}) {
    by_context.rows.push_back({Cell{std::int64_t{1}}, Cell{c}, Cell{50.0}, Cell{50.0}});
  }
  const LineChart chart = sweep_line_chart({{"", &by_context}}, "c");
  CHECK_FALSE(chart.x_log);
  REQUIRE(chart.series.size() == 1);  // batch 1: the total is the per-sequence line
  CHECK(chart.series[0].points[1].x == 8192);
  CHECK(chart.legend_notes == std::vector<std::string>{"solid: tokens/s per sequence (per user)"});
  const Report grid = sweep_report({0});
  CHECK_THROWS_AS(sweep_line_chart({{"a", &grid}, {"b", &by_context}}, "x"), UsageError);
  CHECK_THROWS_AS(sweep_line_chart({}, "x"), UsageError);
}

TEST_CASE("svg format: the chart of each report kind", "[svg]") {
  std::ostringstream compare;
  render(estimate_report(), OutputFormat::svg, {}, compare);
  CHECK(compare.str().find("<desc>Horizontal bars") != std::string::npos);
  const Report sweep = sweep_report({0});
  CHECK(render_svg(sweep).find("<title>sweep</title>") != std::string::npos);
  const std::string lines = render_svg(sweep, "model on gpu");
  CHECK(lines.find("<title>model on gpu</title>") != std::string::npos);
  // The title comes with the render options, as a front end passes a sweep's title.
  RenderOptions titled;
  titled.chart_title = "model on gpu";
  std::ostringstream rendered;
  render(sweep, OutputFormat::svg, titled, rendered);
  CHECK(rendered.str() == lines);
  CHECK(parse_output_format("svg") == OutputFormat::svg);
  CHECK(to_string(OutputFormat::svg) == "svg");
  Report devices;
  devices.command = "devices";
  try {
    render_svg(devices);
    FAIL("a devices report has no chart");
  } catch (const RequestError& e) {
    CHECK(e.field() == "format");
  }
}
