#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "llmroof/report/report.hpp"
#include "llmroof/report/svg_roofline.hpp"

namespace llmroof {

/// One device (or group) of a comparison: its realistic speed, band and ideal roof.
struct CompareBar {
  std::string label;
  double value = 0;  ///< realistic estimate, >= 0 (tokens/s)
  double low = 0;    ///< band low end; <= 0 or > high: no whisker
  double high = 0;   ///< band high end
  double ideal = 0;  ///< the pure roofline's speed; <= 0: no tick
  bool fits = true;  ///< false: drawn hollow and marked "does not fit"
};

/// Horizontal bars on a shared linear axis from 0, one row per bar in the given order.
struct CompareChart {
  std::string title;
  std::string axis_title;  ///< e.g. "decode tokens/s per sequence"
  std::vector<CompareBar> bars;
  int width_px = 760;  ///< canvas width, >= 560; the height follows the number of bars
};

/// One point of a line: y and its band at x.
struct LinePoint {
  double x = 0;      ///< > 0 on a log axis
  double y = 0;      ///< > 0 (log axis)
  double low = 0;    ///< band; <= 0: no band at this point
  double high = 0;   ///< band high end
  bool fits = true;  ///< false: hollow marker
};

/// One line: its device's colour index, style and points (x ascending).
struct LineSeries {
  std::string label;       ///< legend text
  std::size_t colour = 0;  ///< palette index (one per device)
  bool dashed = false;
  std::vector<LinePoint> points;
};

/// Lines on a log y axis (tokens/s); x is linear, or log when x_log.
struct LineChart {
  std::string title;
  std::string x_title;
  std::string y_title;
  bool x_log = false;
  std::vector<LineSeries> series;
  std::vector<std::string> legend_notes;  ///< extra legend lines (what the styles mean)
  int width_px = 760;                     ///< >= 560
  int height_px = 480;                    ///< >= 300
};

/// Draws `chart` as SVG 1.1: each bar with its low-high band as a whisker and the ideal speed
/// as a tick, the value (and the ideal) printed after them; a bar that does not fit is hollow
/// and says so; the legend lists what is drawn.
/// Labels stay inside the canvas, output is deterministic. Throws Error when there are no bars
/// or a value is negative or not finite.
std::string render_compare_svg(const CompareChart& chart);

/// Draws `chart` as SVG 1.1: grid, axes with titles, each series as a polyline with markers
/// and its band shaded, and a legend. Throws Error when no series has a point, or a value is
/// not positive where the axis is logarithmic.
std::string render_line_svg(const LineChart& chart);

/// The comparison of an estimate report (single devices, groups, offload or speculative): one
/// bar per row, labelled by its device (or group), from tokens_per_s, tokens_per_s_low/high,
/// ideal_tokens_per_s and fits; rows that fit first, each part by speed, fastest on top.
/// Throws UsageError when the report lacks those columns.
CompareChart compare_chart(const Report& estimate);

/// One device's sweep report (grid or --parallel), labelled for the legend.
struct SweepSeries {
  std::string label;  ///< device id; "" for a single device
  const Report* report = nullptr;
};

/// The curves of one or more sweep reports: tokens/s per sequence (solid, band shaded) and the
/// total of all sequences (dashed) against the batch, the context, or the parallel users,
/// whichever varies (with batch and context both varying, one line per context). One colour
/// per series. Throws UsageError when a report is not a sweep report or the series disagree on
/// the axis.
LineChart sweep_line_chart(const std::vector<SweepSeries>& series, const std::string& title);

/// The svg format of a report: an estimate report as its comparison, a sweep report as its
/// curves, a roofline report as its roofline; `title` titles the chart (empty: the comparison's
/// own title, "sweep" or "roofline"). Throws RequestError on field format for other reports.
std::string render_svg(const Report& report, std::string_view title = {});

}  // namespace llmroof
