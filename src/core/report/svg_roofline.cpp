#include "llmroof/report/svg_roofline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "llmroof/util/errors.hpp"

namespace llmroof {

namespace {

constexpr double k_font_px = 12;
constexpr double k_small_font_px = 10;
constexpr double k_margin_left_px = 70;
constexpr double k_margin_right_px = 20;
constexpr double k_margin_top_px = 40;
constexpr double k_margin_bottom_px = 50;
constexpr double k_legend_row_px = 16;

// Mid-tone colours that keep contrast on the light background and stay distinct.
constexpr std::array<const char*, 6> k_palette = {"#1f6fd1", "#d1461f", "#2a9d3a",
                                                  "#9b3fc4", "#b8860b", "#0f8f8f"};

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

std::string number(double value) { return fmt::format("{:.1f}", value); }

std::string flops_label(double exponent) {
  static constexpr std::array<const char*, 7> k_prefixes = {"", "k", "M", "G", "T", "P", "E"};
  const int e = static_cast<int>(exponent);
  const int group = std::clamp(e / 3, 0, 6);
  const double mantissa = std::pow(10.0, e - group * 3);
  return fmt::format("{:g} {}FLOP/s", mantissa, k_prefixes[static_cast<std::size_t>(group)]);
}

class Canvas {
 public:
  Canvas(double width, double height) : m_width(width), m_height(height) {}

  // Text whose box [x, x + w] x [y - font, y + 0.3 font] is shifted inside the canvas.
  void text(double x, double y, std::string_view content, double font_px, const char* fill,
            std::string_view anchor = "start") {
    const double w = svg_text_width_px(content, font_px);
    double left = x;
    if (anchor == "middle") {
      left = x - w / 2;
    } else if (anchor == "end") {
      left = x - w;
    }
    left = std::clamp(left, 1.0, std::max(1.0, m_width - 1 - w));
    const double baseline = std::clamp(y, font_px + 1, m_height - 0.3 * font_px - 1);
    m_body += fmt::format(
        "<text x=\"{}\" y=\"{}\" font-family=\"sans-serif\" font-size=\"{}\" "
        "fill=\"{}\">{}</text>\n",
        number(left), number(baseline), number(font_px), fill, xml_escape(content));
  }

  void line(double x1, double y1, double x2, double y2, const char* stroke, double width,
            bool dashed) {
    m_body += fmt::format(
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"{}\"{}/>\n",
        number(x1), number(y1), number(x2), number(y2), stroke, number(width),
        dashed ? " stroke-dasharray=\"6 4\"" : "");
  }

  void raw(const std::string& element) { m_body += element; }

  std::string document(std::string_view title) const {
    return fmt::format(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{0}\" height=\"{1}\" "
        "viewBox=\"0 0 {0} {1}\">\n"
        "<title>{2}</title>\n"
        "<rect x=\"0\" y=\"0\" width=\"{0}\" height=\"{1}\" fill=\"#ffffff\"/>\n"
        "{3}</svg>\n",
        static_cast<int>(m_width), static_cast<int>(m_height), xml_escape(title), m_body);
  }

 private:
  double m_width;
  double m_height;
  std::string m_body;
};

}  // namespace

double svg_text_width_px(std::string_view text, double font_px) {
  std::size_t code_points = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) {
      ++code_points;
    }
  }
  return static_cast<double>(code_points) * 0.62 * font_px;
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string render_roofline_svg(const RooflineSvg& chart) {
  if (chart.devices.empty()) {
    throw Error("roofline chart: no device to draw");
  }
  const double width = std::max(chart.width_px, 400);
  const double height = std::max(chart.height_px, 300);
  double x_lo = 1e300;
  double x_hi = 0;
  double y_lo = 1e300;
  double y_hi = 0;
  for (const auto& d : chart.devices) {
    if (!(d.mem_bw_bytes_per_s > 0) || !(d.peak_flops_per_s > 0)) {
      throw Error(
          fmt::format("roofline chart: device '{}' has a roof that is not positive", d.label));
    }
    const double ridge = d.peak_flops_per_s / d.mem_bw_bytes_per_s;
    x_lo = std::min(x_lo, ridge);
    x_hi = std::max(x_hi, ridge);
    y_hi = std::max(y_hi, d.peak_flops_per_s);
    y_lo = std::min(y_lo, d.peak_flops_per_s);
    for (const auto& p : d.points) {
      if (!(p.intensity_flops_per_byte > 0) || !(p.flops_per_s > 0)) {
        throw Error(
            fmt::format("roofline chart: point '{}' on '{}' is not positive", p.label, d.label));
      }
      x_lo = std::min(x_lo, p.intensity_flops_per_byte);
      x_hi = std::max(x_hi, p.intensity_flops_per_byte);
      y_lo = std::min(y_lo, p.flops_per_s);
      y_hi = std::max(y_hi, p.flops_per_s);
    }
  }
  const Axis ax = decades(x_lo / 2, x_hi * 2);
  const Axis ay = decades(y_lo / 2, y_hi * 1.5);
  const double legend_px = k_legend_row_px * static_cast<double>(chart.devices.size()) + 8;
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
  Canvas canvas(width, height);
  canvas.text(width / 2, 22, chart.title, 14, "#202020", "middle");
  // Grid and decade labels.
  for (double e = ax.lo_log10; e <= ax.hi_log10; e += 1) {
    const double x = px(std::pow(10.0, e));
    canvas.line(x, plot_top, x, plot_bottom, "#d0d0d0", 1, false);
    canvas.text(x, plot_bottom + 16, fmt::format("{:g}", std::pow(10.0, e)), k_small_font_px,
                "#303030", "middle");
  }
  for (double e = ay.lo_log10; e <= ay.hi_log10; e += 1) {
    const double y = py(std::pow(10.0, e));
    canvas.line(plot_left, y, plot_right, y, "#d0d0d0", 1, false);
    canvas.text(plot_left - 4, y + 4, flops_label(e), k_small_font_px, "#303030", "end");
  }
  canvas.line(plot_left, plot_bottom, plot_right, plot_bottom, "#303030", 1, false);
  canvas.line(plot_left, plot_top, plot_left, plot_bottom, "#303030", 1, false);
  canvas.text((plot_left + plot_right) / 2, height - 10,
              "arithmetic intensity (FLOPs per byte, log scale)", k_font_px, "#202020", "middle");
  const double x_min = std::pow(10.0, ax.lo_log10);
  const double x_max = std::pow(10.0, ax.hi_log10);
  auto draw_roofs = [&](double bw, double peak, const char* colour, bool dashed) {
    const double ridge = peak / bw;
    // Bandwidth slope from the axis start (clipped at the bottom) to the ridge, then flat.
    const double x_start = std::max(x_min, std::pow(10.0, ay.lo_log10) / bw);
    canvas.line(px(x_start), py(bw * x_start), px(ridge), py(peak), colour, dashed ? 1.5 : 2,
                dashed);
    canvas.line(px(ridge), py(peak), px(x_max), py(peak), colour, dashed ? 1.5 : 2, dashed);
  };
  for (std::size_t i = 0; i < chart.devices.size(); ++i) {
    const auto& d = chart.devices[i];
    const char* colour = k_palette[i % k_palette.size()];
    draw_roofs(d.mem_bw_bytes_per_s, d.peak_flops_per_s, colour, false);
    if (d.realistic_mem_bw_bytes_per_s > 0 && d.realistic_peak_flops_per_s > 0) {
      draw_roofs(d.realistic_mem_bw_bytes_per_s, d.realistic_peak_flops_per_s, colour, true);
    }
    for (const auto& p : d.points) {
      const double x = px(p.intensity_flops_per_byte);
      const double y = py(p.flops_per_s);
      canvas.raw(
          fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"{}\" stroke=\"#202020\" "
                      "stroke-width=\"1\"/>\n",
                      number(x), number(y), colour));
      canvas.text(x + 6, y - 6, p.label, k_small_font_px, "#202020");
    }
    // Legend row: solid ideal, dashed realistic.
    const double ly = k_margin_top_px + k_legend_row_px * static_cast<double>(i) + 4;
    canvas.line(plot_left + 8, ly, plot_left + 30, ly, colour, 2, false);
    canvas.line(plot_left + 34, ly, plot_left + 56, ly, colour, 1.5, true);
    canvas.text(plot_left + 62, ly + 4,
                fmt::format("{} (solid: ideal roofs, dashed: realistic)", d.label), k_small_font_px,
                "#202020");
  }
  return canvas.document(chart.title);
}

}  // namespace llmroof
