#pragma once

#include <string>
#include <vector>

#include "llmroof/report/svg_roofline.hpp"

namespace llmroof {

/// Width of a chart when the caller has no terminal width (columns).
inline constexpr int k_default_chart_width = 60;
/// Narrowest chart drawn; smaller widths are raised to this.
inline constexpr int k_min_chart_width = 40;

/// One bar: its label on the vertical axis, its value (>= 0, in the chart's unit; negative or
/// non-finite values draw no bar) and the text printed just after the bar (value, remarks).
struct Bar {
  std::string label;
  double value = 0;
  std::string text;
};

/// Bars under a common heading ("context 4096 tokens"); no heading line when it is empty.
struct BarGroup {
  std::string heading;
  std::vector<Bar> bars;
};

/// A horizontal bar chart: one line per bar on a shared linear axis that starts at 0.
struct BarChart {
  std::string title;        ///< first line
  std::string label_title;  ///< heading of the label column ("batch")
  std::string unit;         ///< unit of the values, printed after the axis labels ("tok/s")
  std::vector<BarGroup> groups;
  int width = k_default_chart_width;  ///< columns of the widest line (before bar texts overflow)
};

/// A linear axis from 0 to `max` in `intervals` equal steps of `step`, where step is 1, 2, 2.5
/// or 5 times a power of ten and max = step * intervals >= the largest value.
struct ChartAxis {
  double step = 1;
  int intervals = 1;
  double max = 1;
};

/// The axis for values up to `max_value` with at most `max_intervals` (>= 1) intervals: the
/// smallest nice step that covers max_value. max_value <= 0 gives 0..1 in one interval.
ChartAxis nice_axis(double max_value, int max_intervals);

/// Draws `chart` as UTF-8 text, every line ending in '\n': the title, the label column and a
/// vertical axis, bars of block elements exact to 1/8 of a column, and a bottom axis with tick
/// marks, tick values and the unit. Pure and deterministic: no terminal queries.
std::string render_bar_chart(const BarChart& chart);

/// Rows of the plot area of a text roofline.
inline constexpr int k_text_roofline_rows = 16;

/// Draws `chart` as UTF-8 text `width` columns wide (raised to k_min_chart_width): a log-log
/// grid with decade labels (FLOP/s on the left, FLOPs per byte below), each device's ideal
/// roofs in its own mark (* # % @ & +), and its operating points as 1-9 then a-z, listed
/// under the plot ("1: b1"). Realistic roofs are left to the SVG. Pure and deterministic; every
/// line ends in '\n'. Throws Error as render_roofline_svg does.
std::string render_text_roofline(const RooflineChart& chart, int width);

}  // namespace llmroof
