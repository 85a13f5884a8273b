#include "llmroof/report/svg_roofline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "llmroof/util/errors.hpp"
#include "report/svg_canvas.hpp"

namespace llmroof {

namespace {

using detail::SvgAnchor;
using detail::SvgBox;
using detail::SvgCanvas;

constexpr double k_margin_left_px = 88;  // widest y label ("100 TFLOP/s") plus a gap
constexpr double k_margin_right_px = 20;
constexpr double k_margin_top_px = 40;
constexpr double k_margin_bottom_px = 50;
constexpr double k_legend_row_px = 16;

struct Axis {
  double lo_log10 = 0;  // decade at the axis start
  double hi_log10 = 1;  // decade at the axis end
};

Axis decades(double lo, double hi) {
  Axis axis{std::floor(std::log10(lo)), std::ceil(std::log10(hi))};
  if (axis.hi_log10 <= axis.lo_log10) {
    axis.hi_log10 = axis.lo_log10 + 1;
  }
  return axis;
}

std::string flops_label(double exponent) {
  static constexpr std::array<const char*, 7> k_prefixes = {"", "k", "M", "G", "T", "P", "E"};
  const int e = static_cast<int>(exponent);
  const int group = std::clamp(e / 3, 0, 6);
  const double mantissa = std::pow(10.0, e - group * 3);
  return fmt::format("{:g} {}FLOP/s", mantissa, k_prefixes[static_cast<std::size_t>(group)]);
}

// Decade labels of the intensity axis: 0.01 .. 10000, then 1e5.
std::string intensity_label(double exponent) {
  const int e = static_cast<int>(exponent);
  if (e > 4) {
    return fmt::format("1e{}", e);
  }
  return fmt::format("{:g}", std::pow(10.0, e));
}

void check_chart(const RooflineChart& chart) {
  if (chart.devices.empty()) {
    throw Error("roofline chart: no device to draw");
  }
  for (const auto& d : chart.devices) {
    if (!(d.mem_bw_bytes_per_s > 0) || !(d.peak_flops_per_s > 0) ||
        !std::isfinite(d.mem_bw_bytes_per_s) || !std::isfinite(d.peak_flops_per_s)) {
      throw Error(
          fmt::format("roofline chart: device '{}' has a roof that is not positive", d.label));
    }
    for (const auto& p : d.points) {
      if (!(p.intensity_flops_per_byte > 0) || !(p.flops_per_s > 0) ||
          !std::isfinite(p.intensity_flops_per_byte) || !std::isfinite(p.flops_per_s)) {
        throw Error(
            fmt::format("roofline chart: point '{}' on '{}' is not positive", p.label, d.label));
      }
    }
  }
}

}  // namespace

std::string render_roofline_svg(const RooflineChart& chart) {
  check_chart(chart);
  const double width = std::max(chart.width_px, 560);
  const double height = std::max(chart.height_px, 300);
  double x_lo = 1e300;
  double x_hi = 0;
  double y_lo = 1e300;
  double y_hi = 0;
  bool any_realistic = false;
  for (const auto& d : chart.devices) {
    const double ridge = d.peak_flops_per_s / d.mem_bw_bytes_per_s;
    x_lo = std::min(x_lo, ridge);
    x_hi = std::max(x_hi, ridge);
    y_hi = std::max(y_hi, d.peak_flops_per_s);
    y_lo = std::min(y_lo, d.peak_flops_per_s);
    if (d.realistic_mem_bw_bytes_per_s > 0 && d.realistic_peak_flops_per_s > 0) {
      any_realistic = true;
      y_hi = std::max(y_hi, d.realistic_peak_flops_per_s);
    }
    for (const auto& p : d.points) {
      x_lo = std::min(x_lo, p.intensity_flops_per_byte);
      x_hi = std::max(x_hi, p.intensity_flops_per_byte);
      y_lo = std::min(y_lo, p.flops_per_s);
      y_hi = std::max(y_hi, p.flops_per_s);
    }
  }
  const Axis ax = decades(x_lo / 2, x_hi * 2);
  const Axis ay = decades(y_lo / 2, y_hi * 1.5);
  const double legend_px = k_legend_row_px * static_cast<double>(chart.devices.size() + 2) + 8;
  const double plot_left = k_margin_left_px;
  const double plot_right = width - k_margin_right_px;
  const double plot_top = k_margin_top_px + legend_px;
  const double plot_bottom = height - k_margin_bottom_px;
  auto px = [&](double intensity) {
    return plot_left + (std::log10(intensity) - ax.lo_log10) / (ax.hi_log10 - ax.lo_log10) *
                           (plot_right - plot_left);
  };
  auto py = [&](double flops) {
    return plot_bottom - (std::log10(flops) - ay.lo_log10) / (ay.hi_log10 - ay.lo_log10) *
                             (plot_bottom - plot_top);
  };
  SvgCanvas canvas(width, height);
  canvas.text(width / 2, 22, chart.title, detail::k_svg_title_font_px, detail::k_svg_ink,
              SvgAnchor::middle);
  // Grid and decade labels.
  for (double e = ax.lo_log10; e <= ax.hi_log10; e += 1) {
    const double x = px(std::pow(10.0, e));
    canvas.line(x, plot_top, x, plot_bottom, detail::k_svg_grid, 1);
    canvas.text(x, plot_bottom + 16, intensity_label(e), detail::k_svg_small_font_px,
                detail::k_svg_muted, SvgAnchor::middle);
  }
  for (double e = ay.lo_log10; e <= ay.hi_log10; e += 1) {
    const double y = py(std::pow(10.0, e));
    canvas.line(plot_left, y, plot_right, y, detail::k_svg_grid, 1);
    canvas.text(plot_left - 4, y + 4, flops_label(e), detail::k_svg_small_font_px,
                detail::k_svg_muted, SvgAnchor::end);
  }
  canvas.line(plot_left, plot_bottom, plot_right, plot_bottom, detail::k_svg_muted, 1);
  canvas.line(plot_left, plot_top, plot_left, plot_bottom, detail::k_svg_muted, 1);
  canvas.text((plot_left + plot_right) / 2, height - 10,
              "arithmetic intensity (FLOPs per byte read, log scale)", detail::k_svg_font_px,
              detail::k_svg_ink, SvgAnchor::middle);
  const double x_min = std::pow(10.0, ax.lo_log10);
  const double x_max = std::pow(10.0, ax.hi_log10);
  const double y_min = std::pow(10.0, ay.lo_log10);
  auto draw_roofs = [&](double bw, double peak, const char* colour, bool dashed) {
    const double ridge = peak / bw;
    // Bandwidth slope from the axis start (clipped at the bottom) to the ridge, then flat.
    const double x_start = std::max(x_min, y_min / bw);
    canvas.line(px(x_start), py(bw * x_start), px(ridge), py(peak), colour, dashed ? 1.5 : 2,
                dashed);
    canvas.line(px(ridge), py(peak), px(x_max), py(peak), colour, dashed ? 1.5 : 2, dashed);
  };
  for (std::size_t i = 0; i < chart.devices.size(); ++i) {
    const auto& d = chart.devices[i];
    const char* colour = detail::svg_palette(i);
    draw_roofs(d.mem_bw_bytes_per_s, d.peak_flops_per_s, colour, false);
    if (d.realistic_mem_bw_bytes_per_s > 0 && d.realistic_peak_flops_per_s > 0) {
      draw_roofs(d.realistic_mem_bw_bytes_per_s, d.realistic_peak_flops_per_s, colour, true);
    }
  }
  // Markers above every roof, then labels: the first position (right-up, right-down, left-up,
  // left-down) that covers no earlier label; a label with no free position is left out.
  std::vector<SvgBox> taken;
  for (std::size_t i = 0; i < chart.devices.size(); ++i) {
    for (const auto& p : chart.devices[i].points) {
      canvas.circle(px(p.intensity_flops_per_byte), py(p.flops_per_s), 4, detail::svg_palette(i),
                    detail::k_svg_ink);
    }
  }
  for (std::size_t i = 0; i < chart.devices.size(); ++i) {
    for (const auto& p : chart.devices[i].points) {
      const double x = px(p.intensity_flops_per_byte);
      const double y = py(p.flops_per_s);
      const double f = detail::k_svg_small_font_px;
      const std::array<std::pair<double, double>, 4> offsets = {
          {{6, -6}, {6, f + 4}, {-6, -6}, {-6, f + 4}}};
      for (std::size_t k = 0; k < offsets.size(); ++k) {
        const auto anchor = k < 2 ? SvgAnchor::start : SvgAnchor::end;
        SvgBox box =
            SvgCanvas::text_box(x + offsets[k].first, y + offsets[k].second, p.label, f, anchor);
        const bool inside = box.left >= plot_left && box.right <= width - 1 &&
                            box.top >= plot_top && box.bottom <= plot_bottom;
        const bool free = std::none_of(taken.begin(), taken.end(),
                                       [&](const SvgBox& other) { return other.overlaps(box); });
        if (inside && free) {
          taken.push_back(canvas.text(x + offsets[k].first, y + offsets[k].second, p.label, f,
                                      detail::k_svg_ink, anchor));
          break;
        }
      }
    }
  }
  // Legend: one row per device, then what the line styles mean.
  for (std::size_t i = 0; i < chart.devices.size(); ++i) {
    const char* colour = detail::svg_palette(i);
    const double ly = k_margin_top_px + k_legend_row_px * static_cast<double>(i) + 4;
    canvas.line(plot_left + 8, ly, plot_left + 30, ly, colour, 2);
    if (any_realistic) {
      canvas.line(plot_left + 34, ly, plot_left + 56, ly, colour, 1.5, true);
    }
    canvas.text(plot_left + 62, ly + 4, chart.devices[i].label, detail::k_svg_small_font_px,
                detail::k_svg_ink);
  }
  const double ly =
      k_margin_top_px + k_legend_row_px * static_cast<double>(chart.devices.size()) + 4;
  canvas.text(plot_left + 8, ly + 4,
              any_realistic
                  ? "solid: ideal roofs (datasheet); dashed: realistic (engine efficiency)"
                  : "lines: the roofs of each device",
              detail::k_svg_small_font_px, detail::k_svg_muted);
  canvas.text(plot_left + 8, ly + 4 + k_legend_row_px,
              "dots: the model's operating points (the FLOP/s it attains there)",
              detail::k_svg_small_font_px, detail::k_svg_muted);
  return canvas.document(chart.title,
                         "Roofline: attainable FLOP/s against arithmetic intensity, log-log");
}

Report roofline_report(const RooflineChart& chart) {
  check_chart(chart);
  Report report;
  report.command = "roofline";
  auto column = [](std::string id, std::string title, CellKind kind, HumanUnit unit,
                   int precision = 2) {
    return Column{std::move(id), std::move(title), kind, unit, precision, true};
  };
  report.columns = {
      column("device.id", "device", CellKind::text, HumanUnit::none),
      column("point", "point", CellKind::text, HumanUnit::none),
      column("intensity_flops_per_byte", "FLOPs/byte", CellKind::real, HumanUnit::none),
      column("flops_per_s", "attained", CellKind::real, HumanUnit::flops_tera),
      column("mem_bw_bytes_per_s", "bandwidth", CellKind::real, HumanUnit::bytes_per_s_gb),
      column("peak_flops_per_s", "peak", CellKind::real, HumanUnit::flops_tera),
      column("realistic_mem_bw_bytes_per_s", "real. bandwidth", CellKind::real,
             HumanUnit::bytes_per_s_gb),
      column("realistic_peak_flops_per_s", "real. peak", CellKind::real, HumanUnit::flops_tera),
  };
  auto optional_roof = [](double value) { return value > 0 ? Cell{value} : Cell{}; };
  for (const auto& d : chart.devices) {
    for (const auto& p : d.points) {
      report.rows.push_back({Cell{d.label}, Cell{p.label}, Cell{p.intensity_flops_per_byte},
                             Cell{p.flops_per_s}, Cell{d.mem_bw_bytes_per_s},
                             Cell{d.peak_flops_per_s},
                             optional_roof(d.realistic_mem_bw_bytes_per_s),
                             optional_roof(d.realistic_peak_flops_per_s)});
    }
  }
  return report;
}

RooflineChart roofline_from_report(const Report& report) {
  auto index = [&](const char* id) {
    const int i = report.column_index(id);
    if (i < 0) {
      throw UsageError(
          fmt::format("the {} report has no '{}' column to draw a roofline", report.command, id));
    }
    return static_cast<std::size_t>(i);
  };
  const std::size_t device = index("device.id");
  const std::size_t point = index("point");
  const std::size_t intensity = index("intensity_flops_per_byte");
  const std::size_t flops = index("flops_per_s");
  const std::size_t bw = index("mem_bw_bytes_per_s");
  const std::size_t peak = index("peak_flops_per_s");
  const int real_bw = report.column_index("realistic_mem_bw_bytes_per_s");
  const int real_peak = report.column_index("realistic_peak_flops_per_s");
  auto number = [](const Cell& cell) {
    const auto* d = std::get_if<double>(&cell);
    return d != nullptr ? *d : 0.0;
  };
  auto text = [](const Cell& cell) {
    const auto* s = std::get_if<std::string>(&cell);
    return s != nullptr ? *s : std::string();
  };
  RooflineChart chart;
  for (const auto& row : report.rows) {
    if (chart.devices.empty() || chart.devices.back().label != text(row[device])) {
      RooflineDevice d;
      d.label = text(row[device]);
      d.mem_bw_bytes_per_s = number(row[bw]);
      d.peak_flops_per_s = number(row[peak]);
      if (real_bw >= 0 && real_peak >= 0) {
        d.realistic_mem_bw_bytes_per_s = number(row[static_cast<std::size_t>(real_bw)]);
        d.realistic_peak_flops_per_s = number(row[static_cast<std::size_t>(real_peak)]);
      }
      chart.devices.push_back(std::move(d));
    }
    chart.devices.back().points.push_back(
        {text(row[point]), number(row[intensity]), number(row[flops])});
  }
  return chart;
}

}  // namespace llmroof
