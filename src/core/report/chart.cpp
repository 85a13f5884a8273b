#include "llmroof/report/chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

#include "llmroof/util/errors.hpp"

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

namespace {

// Marks of the roofs of devices 1..6 (cycled), and of operating points 1..35.
constexpr std::string_view k_roof_marks = "*#%@&+";
constexpr std::string_view k_point_marks = "123456789abcdefghijklmnopqrstuvwxyz";

std::string flops_decade_label(int exponent) {
  static constexpr std::array<const char*, 7> k_prefixes = {"", "k", "M", "G", "T", "P", "E"};
  const int group = std::clamp(exponent / 3, 0, 6);
  return fmt::format("{:g} {}FLOP/s", std::pow(10.0, exponent - group * 3),
                     k_prefixes[static_cast<std::size_t>(group)]);
}

std::string intensity_decade_label(int exponent) {
  return exponent > 4 ? fmt::format("1e{}", exponent)
                      : fmt::format("{:g}", std::pow(10.0, exponent));
}

// Appends `items` separated by ", " after `lead`, wrapping lines at `width` columns.
void append_wrapped(std::string& out, const std::string& lead,
                    const std::vector<std::string>& items, int width) {
  std::string line = lead + " ";
  const std::string indent(static_cast<std::size_t>(display_width(line)), ' ');
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string piece = items[i] + (i + 1 < items.size() ? "," : "");
    if (display_width(line) > display_width(indent) &&
        display_width(line) + 1 + display_width(piece) > width) {
      out += line + "\n";
      line = indent;
    }
    if (display_width(line) > display_width(indent)) {
      line += " ";
    }
    line += piece;  // the first piece of a line follows the lead's space or the indent
  }
  out += line + "\n";
}

}  // namespace

std::string render_text_roofline(const RooflineChart& chart, int width) {
  if (chart.devices.empty()) {
    throw Error("roofline chart: no device to draw");
  }
  double x_lo = 1e300;
  double x_hi = 0;
  double y_lo = 1e300;
  double y_hi = 0;
  for (const auto& d : chart.devices) {
    if (!(d.mem_bw_bytes_per_s > 0) || !(d.peak_flops_per_s > 0) ||
        !std::isfinite(d.mem_bw_bytes_per_s) || !std::isfinite(d.peak_flops_per_s)) {
      throw Error(
          fmt::format("roofline chart: device '{}' has a roof that is not positive", d.label));
    }
    const double ridge = d.peak_flops_per_s / d.mem_bw_bytes_per_s;
    x_lo = std::min(x_lo, ridge);
    x_hi = std::max(x_hi, ridge);
    y_lo = std::min(y_lo, d.peak_flops_per_s);
    y_hi = std::max(y_hi, d.peak_flops_per_s);
    for (const auto& p : d.points) {
      if (!(p.intensity_flops_per_byte > 0) || !(p.flops_per_s > 0) ||
          !std::isfinite(p.intensity_flops_per_byte) || !std::isfinite(p.flops_per_s)) {
        throw Error(
            fmt::format("roofline chart: point '{}' on '{}' is not positive", p.label, d.label));
      }
      x_lo = std::min(x_lo, p.intensity_flops_per_byte);
      x_hi = std::max(x_hi, p.intensity_flops_per_byte);
      y_lo = std::min(y_lo, p.flops_per_s);
      y_hi = std::max(y_hi, p.flops_per_s);
    }
  }
  // Whole decades around everything drawn, as the SVG chart.
  const int x0 = static_cast<int>(std::floor(std::log10(x_lo / 2)));
  const int x1 = std::max(x0 + 1, static_cast<int>(std::ceil(std::log10(x_hi * 2))));
  const int y0 = static_cast<int>(std::floor(std::log10(y_lo / 2)));
  const int y1 = std::max(y0 + 1, static_cast<int>(std::ceil(std::log10(y_hi * 1.5))));
  const int rows = k_text_roofline_rows;
  int label_width = 0;
  for (int e = y0; e <= y1; ++e) {
    label_width = std::max(label_width, display_width(flops_decade_label(e)));
  }
  const int columns =
      std::max(k_min_plot_columns, std::max(width, k_min_chart_width) - label_width - 2);
  // Cell of a value: column from the left, row from the top; -1 when outside.
  auto column_of = [&](double intensity) {
    const double t = (std::log10(intensity) - x0) / (x1 - x0);
    return std::clamp(static_cast<int>(std::floor(t * columns)), 0, columns - 1);
  };
  auto row_of = [&](double flops) {
    const double t = (std::log10(flops) - y0) / (y1 - y0);
    const int r = rows - 1 - static_cast<int>(std::floor(t * rows));
    return r < 0 || r >= rows ? -1 : r;
  };
  std::vector<std::string> cells(static_cast<std::size_t>(rows * columns), " ");
  auto cell = [&](int r, int c) -> std::string& {
    return cells[static_cast<std::size_t>(r * columns + c)];
  };
  for (std::size_t i = 0; i < chart.devices.size(); ++i) {
    const auto& d = chart.devices[i];
    const std::string mark(1, k_roof_marks[i % k_roof_marks.size()]);
    for (int c = 0; c < columns; ++c) {
      const double intensity = std::pow(10.0, x0 + (c + 0.5) / columns * (x1 - x0));
      const int r = row_of(std::min(d.peak_flops_per_s, d.mem_bw_bytes_per_s * intensity));
      if (r >= 0 && cell(r, c) == " ") {
        cell(r, c) = mark;
      }
    }
  }
  for (const auto& d : chart.devices) {
    for (std::size_t j = 0; j < d.points.size(); ++j) {
      const int r = row_of(d.points[j].flops_per_s);
      if (r >= 0 && j < k_point_marks.size()) {
        cell(r, column_of(d.points[j].intensity_flops_per_byte)) = std::string(1, k_point_marks[j]);
      }
    }
  }
  std::string out;
  if (!chart.title.empty()) {
    out += chart.title + "\n";
  }
  // A decade label sits on the row its value falls in.
  std::vector<std::string> row_labels(static_cast<std::size_t>(rows));
  for (int e = y0; e <= y1; ++e) {
    const int r = e == y1 ? 0 : row_of(std::pow(10.0, e) * 1.0000001);
    if (r >= 0 && row_labels[static_cast<std::size_t>(r)].empty()) {
      row_labels[static_cast<std::size_t>(r)] = flops_decade_label(e);
    }
  }
  for (int r = 0; r < rows; ++r) {
    std::string line = pad_left(row_labels[static_cast<std::size_t>(r)], label_width) + " " +
                       std::string(k_vertical);
    for (int c = 0; c < columns; ++c) {
      line += cell(r, c);
    }
    while (!line.empty() && line.back() == ' ') {
      line.pop_back();
    }
    out += line + "\n";
  }
  // Bottom axis with a tick at each decade, labels centred under the ticks.
  std::vector<int> tick_columns;
  for (int e = x0; e <= x1; ++e) {
    tick_columns.push_back(std::clamp(
        static_cast<int>(std::lround(static_cast<double>(e - x0) / (x1 - x0) * columns)) - 1, 0,
        columns - 1));
  }
  std::string axis_line =
      std::string(static_cast<std::size_t>(label_width), ' ') + " " + std::string(k_corner);
  for (int c = 0; c < columns; ++c) {
    const bool tick =
        c > 0 && std::find(tick_columns.begin(), tick_columns.end(), c) != tick_columns.end();
    axis_line += tick ? k_tick : k_horizontal;
  }
  out += axis_line + "\n";
  std::string labels;
  int used = 0;
  for (std::size_t k = 0; k < tick_columns.size(); ++k) {
    const std::string text = intensity_decade_label(x0 + static_cast<int>(k));
    const int centre = label_width + 1 + (k == 0 ? 0 : 1 + tick_columns[k]);
    const int start = std::max(0, centre - (display_width(text) - 1) / 2);
    if (start < (used == 0 ? 0 : used + 1)) {
      continue;
    }
    labels += std::string(static_cast<std::size_t>(start - used), ' ') + text;
    used = start + display_width(text);
  }
  out += labels + " FLOPs/byte\n";
  // Legend: roof marks, then what each point mark is.
  std::vector<std::string> roofs;
  for (std::size_t i = 0; i < chart.devices.size(); ++i) {
    roofs.push_back(
        fmt::format("{} {}", k_roof_marks[i % k_roof_marks.size()], chart.devices[i].label));
  }
  append_wrapped(out, "roofs:", roofs, std::max(width, k_min_chart_width));
  const bool same_points =
      std::all_of(chart.devices.begin(), chart.devices.end(), [&](const RooflineDevice& d) {
        if (d.points.size() != chart.devices.front().points.size()) {
          return false;
        }
        for (std::size_t j = 0; j < d.points.size(); ++j) {
          if (d.points[j].label != chart.devices.front().points[j].label) {
            return false;
          }
        }
        return true;
      });
  for (std::size_t i = 0; i < (same_points ? 1 : chart.devices.size()); ++i) {
    std::vector<std::string> items;
    const auto& points = chart.devices[i].points;
    for (std::size_t j = 0; j < points.size() && j < k_point_marks.size(); ++j) {
      items.push_back(fmt::format("{}: {}", k_point_marks[j], points[j].label));
    }
    if (!items.empty()) {
      append_wrapped(out, same_points ? "points:" : chart.devices[i].label + ":", items,
                     std::max(width, k_min_chart_width));
    }
  }
  return out;
}

}  // namespace llmroof
