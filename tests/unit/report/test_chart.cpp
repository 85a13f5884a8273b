// Terminal bar charts: the axis choice, bar lengths in eighths of a column, exact snapshots.

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "llmroof/report/chart.hpp"
#include "llmroof/util/errors.hpp"

using namespace llmroof;

namespace {

void check_axis(double max_value, int max_intervals, double step, int intervals, double max) {
  CAPTURE(max_value, max_intervals);
  const ChartAxis axis = nice_axis(max_value, max_intervals);
  CHECK(axis.step == Approx(step).epsilon(1e-12));
  CHECK(axis.intervals == intervals);
  CHECK(axis.max == Approx(max).epsilon(1e-12));
}

}  // namespace

TEST_CASE("nice axis: the smallest 1-2-2.5-5 step that covers the values", "[chart]") {
  check_axis(39.2, 4, 10, 4, 40);
  check_axis(40, 4, 10, 4, 40);  // an exact fit needs no extra interval
  check_axis(40.0001, 4, 20, 3, 60);
  check_axis(1330, 3, 500, 3, 1500);
  check_axis(1330, 2, 1000, 2, 2000);
  check_axis(100, 5, 20, 5, 100);
  check_axis(2.4, 4, 1, 3, 3);
  check_axis(0.9, 4, 0.25, 4, 1);
  check_axis(250, 4, 100, 3, 300);
  check_axis(7, 1, 10, 1, 10);
  SECTION("nothing to show gives 0..1") {
    check_axis(0, 4, 1, 1, 1);
    check_axis(-5, 4, 1, 1, 1);
    check_axis(std::numeric_limits<double>::quiet_NaN(), 4, 1, 1, 1);
  }
  SECTION("at least one interval") { check_axis(35, 0, 50, 1, 50); }
}

TEST_CASE("bar chart: exact snapshot", "[chart]") {
  BarChart chart;
  chart.title = "speed by batch";
  chart.label_title = "batch";
  chart.unit = "tok/s";
  chart.width = 40;
  chart.groups = {{"", {{"1", 10, "10"}, {"2", 20, "20"}, {"16", 35, "35  compute-bound"}}}};
  // Label column 5, text column 17: 40 - 5 - 2 - 1 - 17 = 15 plot columns, room for 2 intervals
  // of 20 up to 40. 10 -> 3.75 columns, 20 -> 7.5, 35 -> 13.125 (eighths: 30, 60, 105).
  CHECK(render_bar_chart(chart) ==
        "speed by batch\n"
        "batch │\n"
        "    1 │███▊ 10\n"
        "    2 │███████▌ 20\n"
        "   16 │█████████████▏ 35  compute-bound\n"
        "      └───────┬──────┬\n"
        "      0       20     40 tok/s\n");
}

TEST_CASE("bar chart: groups with headings, default width", "[chart]") {
  BarChart chart;
  chart.title = "total decode speed of all sequences, by batch";
  chart.label_title = "batch";
  chart.unit = "tok/s";
  chart.groups = {{"context 0", {{"1", 84.3, "84.3"}, {"8", 674.3, "674.3"}}},
                  {"context 8192", {{"1", 68.7, "68.7"}, {"8", 240, "240.0"}}}};
  // 60 - 5 - 2 - 1 - 5 = 47 plot columns, at most 7 intervals: 100 per interval up to 700.
  // Ticks end cells round(47 * i / 7) - 1 = 6, 12, 19, 26, 33, 39, 46; 674.3 -> 45.28 columns
  // (362 eighths), 240 -> 16.11 (129), 84.3 -> 5.66 (45), 68.7 -> 4.61 (37).
  CHECK(render_bar_chart(chart) ==
        "total decode speed of all sequences, by batch\n"
        "batch │\n"
        "      │ context 0\n"
        "    1 │█████▋ 84.3\n"
        "    8 │█████████████████████████████████████████████▎ 674.3\n"
        "      │ context 8192\n"
        "    1 │████▋ 68.7\n"
        "    8 │████████████████▏ 240.0\n"
        "      └──────┬─────┬──────┬──────┬──────┬─────┬──────┬\n"
        "      0     100   200    300    400    500   600    700 tok/s\n");
}

TEST_CASE("bar chart: bars are exact to an eighth of a column", "[chart]") {
  BarChart chart;
  chart.label_title = "x";
  chart.width = 40;  // 40 - 1 - 2 - 1 = 36 plot columns; axis 0..40 in 4 intervals
  chart.groups = {{"",
                   {{"a", 40, ""},
                    {"b", 10, ""},
                    {"c", 1, ""},
                    {"d", 0.5, ""},
                    {"e", 0.05, ""},
                    {"f", 0, ""},
                    {"g", -3, ""},
                    {"h", std::numeric_limits<double>::infinity(), ""}}}};
  const std::string text = render_bar_chart(chart);
  // 40 -> 36 columns; 10 -> 9; 1 -> 0.9 column = 7 eighths; 0.5 -> 3.6 = 4 eighths;
  // 0.05 -> 0.36 eighths rounds to nothing; zero, negative and infinite values draw no bar.
  CHECK(text ==
        "x │\n"
        "a │████████████████████████████████████\n"
        "b │█████████\n"
        "c │▉\n"
        "d │▌\n"
        "e │\n"
        "f │\n"
        "g │\n"
        "h │\n"
        "  └────────┬────────┬────────┬────────┬\n"
        "  0        10       20       30       40\n");
}

TEST_CASE("bar chart: narrow widths are raised, long texts keep ten plot columns", "[chart]") {
  BarChart chart;
  chart.label_title = "n";
  chart.width = 10;  // raised to 40
  chart.groups = {{"", {{"1", 1, "a very long remark that takes most of the width"}}}};
  const std::string text = render_bar_chart(chart);
  // The text is 47 columns: the plot keeps its minimum of 10 columns and the line overflows.
  CHECK(text ==
        "n │\n"
        "1 │██████████ a very long remark that takes most of the width\n"
        "  └─────────┬\n"
        "  0         1\n");
}

TEST_CASE("bar chart: no bars still draws the axis", "[chart]") {
  BarChart chart;
  chart.title = "empty";
  chart.label_title = "batch";
  chart.unit = "tok/s";
  CHECK(render_bar_chart(chart) ==
        "empty\n"
        "batch │\n"
        "      └───────────────────────────────────────────────────┬\n"
        "      0                                                   1 tok/s\n");
}

TEST_CASE("text roofline: roofs and points land on the cells of their values", "[chart]") {
  // Ridge at 100 FLOPs/byte, one point at (5, 2e12). Whole decades around everything: x from
  // floor(log10(5 / 2)) = 0 to ceil(log10(100 * 2)) = 3, y from log10(2e12 / 2) = 12 to
  // ceil(log10(1.5e14)) = 15; 16 rows, and 27 plot columns at width 40 (labels 11 wide).
  RooflineChart chart;
  chart.title = "t";
  RooflineDevice d;
  d.label = "dev";
  d.mem_bw_bytes_per_s = 1e12;
  d.peak_flops_per_s = 1e14;
  d.points = {{"b1", 5, 2e12}};
  chart.devices.push_back(d);
  const std::string text = render_text_roofline(chart, 40);
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  // Title, 16 rows, axis, axis labels, roofs legend, points legend.
  REQUIRE(lines.size() == 21);
  CHECK(lines[0] == "t");
  // 1e14: row 15 - floor(2/3 * 16) = 5, labelled; the flat roof reaches the last column.
  CHECK(lines[1 + 5].rfind("100 TFLOP/s \u2502", 0) == 0);
  CHECK(lines[1 + 5].substr(lines[1 + 5].size() - 1) == "*");
  // The point: row 15 - floor(log10(2) / 3 * 16) = 14, column floor(log10(5) / 3 * 27) = 6.
  // The bandwidth roof crosses row 14 (1.54e12 .. 2.37e12) in column 2 only, whose centre is
  // at 10^(2.5 / 9) = 1.9 FLOPs/byte.
  const std::string prefix = std::string(12, ' ') + "\u2502";  // 11 label columns, a space
  REQUIRE(lines[1 + 14].rfind(prefix, 0) == 0);
  CHECK(lines[1 + 14].substr(prefix.size()) == "  *   1");
  CHECK(lines[19] == "roofs: * dev");
  CHECK(lines[20] == "points: 1: b1");
  CHECK(text == render_text_roofline(chart, 40));
  chart.devices[0].peak_flops_per_s = 0;
  CHECK_THROWS_AS(render_text_roofline(chart, 40), Error);
}
