#include "llmroof/report/chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

namespace llmroof {

namespace {

// Block elements: a full cell, then 1/8 .. 7/8 of a cell from the left.
constexpr std::string_view k_full_block = "\u2588";
constexpr std::array<std::string_view, 8> k_partial_blocks = {
    "", "\u258F", "\u258E", "\u258D", "\u258C", "\u258B", "\u258A", "\u2589"};
constexpr std::string_view k_vertical = "\u2502";    // │
constexpr std::string_view k_corner = "\u2514";      // └
constexpr std::string_view k_horizontal = "\u2500";  // ─
constexpr std::string_view k_tick = "\u252C";        // ┬

// Bars need room: never fewer plot columns than this, even if lines overflow the width.
constexpr int k_min_plot_columns = 10;
// Tick labels need room too: at most one interval per this many columns.
constexpr int k_columns_per_interval = 6;

// Display width of UTF-8 text in code points (the chart uses no wide glyphs).
int display_width(std::string_view s) {
  int width = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) {
      ++width;
    }
  }
  return width;
}

std::string pad_left(std::string_view s, int width) {
  return std::string(static_cast<std::size_t>(std::max(0, width - display_width(s))), ' ') +
         std::string(s);
}

std::string repeat(std::string_view s, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    out += s;
  }
  return out;
}

// Fewest decimals that print every multiple of `step` exactly (2.5 -> 1, 0.25 -> 2, 500 -> 0).
int tick_decimals(double step) {
  for (int d = 0; d < 6; ++d) {
    const double scaled = step * std::pow(10.0, d);
    if (std::fabs(scaled - std::round(scaled)) < 1e-6 * scaled) {
      return d;
    }
  }
  return 6;
}

std::string bar_cells(double value, double axis_max, int plot_columns) {
  if (!(value > 0) || !std::isfinite(value)) {
    return {};
  }
  const double fraction = std::min(value / axis_max, 1.0);
  const auto eighths = static_cast<int>(std::lround(fraction * plot_columns * 8.0));
  return repeat(k_full_block, eighths / 8) + std::string(k_partial_blocks[eighths % 8]);
}

}  // namespace

ChartAxis nice_axis(double max_value, int max_intervals) {
  const int most = std::max(1, max_intervals);
  if (!(max_value > 0) || !std::isfinite(max_value)) {
    return {1.0, 1, 1.0};
  }
  const double raw = max_value / most;
  double power = std::pow(10.0, std::floor(std::log10(raw)));
  constexpr std::array<double, 4> k_mantissas = {1.0, 2.0, 2.5, 5.0};
  for (int attempt = 0; attempt < 3; ++attempt, power *= 10.0) {
    for (double m : k_mantissas) {
      const double step = m * power;
      // A relative tolerance keeps 4.0000000001 intervals from becoming 5.
      const int intervals = std::max(1, static_cast<int>(std::ceil(max_value / step - 1e-9)));
      if (intervals <= most) {
        return {step, intervals, step * intervals};
      }
    }
  }
  return {max_value, 1, max_value};  // unreachable: 10 * power >= raw covers max_value
}

std::string render_bar_chart(const BarChart& chart) {
  const int width = std::max(chart.width, k_min_chart_width);
  int label_width = display_width(chart.label_title);
  int text_width = 0;
  double max_value = 0;
  for (const auto& group : chart.groups) {
    for (const auto& bar : group.bars) {
      label_width = std::max(label_width, display_width(bar.label));
      text_width = std::max(text_width, display_width(bar.text));
      if (std::isfinite(bar.value)) {
        max_value = std::max(max_value, bar.value);
      }
    }
  }
  // Line: label, " │", the bar, " ", its text.
  const int plot_columns = std::max(k_min_plot_columns, width - label_width - 2 - 1 - text_width);
  const ChartAxis axis = nice_axis(max_value, plot_columns / k_columns_per_interval);

  std::string out;
  if (!chart.title.empty()) {
    out += chart.title + "\n";
  }
  const std::string indent(static_cast<std::size_t>(label_width), ' ');
  out += pad_left(chart.label_title, label_width) + " " + std::string(k_vertical) + "\n";
  for (const auto& group : chart.groups) {
    if (!group.heading.empty()) {
      out += indent + " " + std::string(k_vertical) + " " + group.heading + "\n";
    }
    for (const auto& bar : group.bars) {
      std::string line = pad_left(bar.label, label_width) + " " + std::string(k_vertical) +
                         bar_cells(bar.value, axis.max, plot_columns);
      if (!bar.text.empty()) {
        line += " " + bar.text;
      }
      out += line + "\n";
    }
  }

  // Bottom axis: the tick of value v marks the cell whose right edge is at v (0 is the corner).
  std::vector<int> tick_cells;  // plot cell of each tick i >= 1
  for (int i = 1; i <= axis.intervals; ++i) {
    const double edge = static_cast<double>(plot_columns) * i / axis.intervals;
    tick_cells.push_back(std::clamp(static_cast<int>(std::lround(edge)) - 1, 0, plot_columns - 1));
  }
  std::string axis_line = indent + " " + std::string(k_corner);
  for (int cell = 0; cell < plot_columns; ++cell) {
    const bool tick = std::find(tick_cells.begin(), tick_cells.end(), cell) != tick_cells.end();
    axis_line += tick ? k_tick : k_horizontal;
  }
  out += axis_line + "\n";

  // Tick values centred under their marks; one that would touch its neighbour is left out.
  const int decimals = tick_decimals(axis.step);
  std::string labels;
  int used = 0;  // columns written to `labels`
  for (int i = 0; i <= axis.intervals; ++i) {
    const int centre =
        label_width + 1 + (i == 0 ? 0 : 1 + tick_cells[static_cast<std::size_t>(i - 1)]);
    const std::string text = fmt::format("{:.{}f}", axis.step * i, decimals);
    const int start = centre - (display_width(text) - 1) / 2;
    if (start < (used == 0 ? 0 : used + 1)) {
      continue;
    }
    labels += std::string(static_cast<std::size_t>(start - used), ' ') + text;
    used = start + display_width(text);
  }
  if (!chart.unit.empty()) {
    labels += " " + chart.unit;
  }
  out += labels + "\n";
  return out;
}

}  // namespace llmroof
