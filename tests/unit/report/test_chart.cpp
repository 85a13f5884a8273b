// Terminal bar charts: the axis choice, bar lengths in eighths of a column, exact snapshots.

#include <cmath>
#include <limits>

#include "catch.hpp"
#include "llmroof/report/chart.hpp"

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
