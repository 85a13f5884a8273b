#include "report/svg_canvas.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "llmroof/report/svg_roofline.hpp"

namespace llmroof {

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

}  // namespace llmroof

namespace llmroof::detail {

namespace {

// Blue, vermilion, green, purple, ochre, teal: distinct for the common colour-vision
// deficiencies in the first three, all dark enough for white text contrast rules (>= 3:1).
constexpr std::array<const char*, 6> k_palette = {"#1f6fd1", "#d1461f", "#2a9d3a",
                                                  "#9b3fc4", "#b8860b", "#0f8f8f"};

std::string points_attribute(const std::vector<std::pair<double, double>>& points) {
  std::string out;
  for (const auto& [x, y] : points) {
    if (!out.empty()) {
      out += ' ';
    }
    out += svg_number(x) + "," + svg_number(y);
  }
  return out;
}

}  // namespace

const char* svg_palette(std::size_t index) { return k_palette[index % k_palette.size()]; }

std::string svg_number(double value) {
  const std::string text = fmt::format("{:.1f}", value);
  return text == "-0.0" ? "0.0" : text;
}

SvgCanvas::SvgCanvas(double width_px, double height_px) : m_width(width_px), m_height(height_px) {}

SvgBox SvgCanvas::text_box(double x, double y, std::string_view content, double font_px,
                           SvgAnchor anchor) {
  const double w = svg_text_width_px(content, font_px);
  double left = x;
  if (anchor == SvgAnchor::middle) {
    left = x - w / 2;
  } else if (anchor == SvgAnchor::end) {
    left = x - w;
  }
  return {left, y - font_px, left + w, y + 0.3 * font_px};
}

SvgBox SvgCanvas::text(double x, double y, std::string_view content, double font_px,
                       const char* fill, SvgAnchor anchor) {
  const SvgBox box = text_box(x, y, content, font_px, anchor);
  const double w = box.right - box.left;
  // One pixel of margin, and coordinates rounded to 0.1 px, keep the box strictly inside.
  const double left = std::clamp(box.left, 1.0, std::max(1.0, m_width - 1.1 - w));
  const double baseline = std::clamp(y, font_px + 1.1, m_height - 0.3 * font_px - 1.1);
  // The anchor point of the shifted box: real faces are narrower than the estimate, so
  // centred and right-aligned text keeps its alignment.
  double x_attr = left;
  const char* anchor_attr = "";
  if (anchor == SvgAnchor::middle) {
    x_attr = left + w / 2;
    anchor_attr = " text-anchor=\"middle\"";
  } else if (anchor == SvgAnchor::end) {
    x_attr = left + w;
    anchor_attr = " text-anchor=\"end\"";
  }
  m_body += fmt::format(
      "<text x=\"{}\" y=\"{}\" font-family=\"sans-serif\" font-size=\"{}\" fill=\"{}\"{}>{}"
      "</text>\n",
      svg_number(x_attr), svg_number(baseline), svg_number(font_px), fill, anchor_attr,
      xml_escape(content));
  return {left, baseline - font_px, left + w, baseline + 0.3 * font_px};
}

void SvgCanvas::line(double x1, double y1, double x2, double y2, const char* stroke,
                     double width_px, bool dashed) {
  m_body += fmt::format(
      "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"{}\"{}/>\n",
      svg_number(x1), svg_number(y1), svg_number(x2), svg_number(y2), stroke, svg_number(width_px),
      dashed ? " stroke-dasharray=\"6 4\"" : "");
}

void SvgCanvas::rect(double x, double y, double w, double h, const char* fill, const char* stroke,
                     double stroke_px, bool dashed) {
  std::string outline;
  if (stroke != nullptr) {
    outline = fmt::format(" stroke=\"{}\" stroke-width=\"{}\"{}", stroke, svg_number(stroke_px),
                          dashed ? " stroke-dasharray=\"4 3\"" : "");
  }
  m_body += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"{}/>\n",
                        svg_number(x), svg_number(y), svg_number(std::max(0.0, w)),
                        svg_number(std::max(0.0, h)), fill, outline);
}

void SvgCanvas::circle(double cx, double cy, double r, const char* fill, const char* stroke) {
  m_body += fmt::format(
      "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\" stroke=\"{}\" stroke-width=\"1.5\"/>\n",
      svg_number(cx), svg_number(cy), svg_number(r), fill, stroke);
}

void SvgCanvas::polyline(const std::vector<std::pair<double, double>>& points, const char* stroke,
                         double width_px, bool dashed) {
  if (points.size() < 2) {
    return;
  }
  m_body +=
      fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\"{}/>\n",
                  points_attribute(points), stroke, svg_number(width_px),
                  dashed ? " stroke-dasharray=\"6 4\"" : "");
}

void SvgCanvas::polygon(const std::vector<std::pair<double, double>>& points, const char* fill,
                        double opacity) {
  if (points.size() < 3) {
    return;
  }
  m_body +=
      fmt::format("<polygon points=\"{}\" fill=\"{}\" fill-opacity=\"{}\" stroke=\"none\"/>\n",
                  points_attribute(points), fill, fmt::format("{:.2f}", opacity));
}

std::string SvgCanvas::document(std::string_view title, std::string_view description) const {
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\">\n"
      "<title>{2}</title>\n"
      "<desc>{3}</desc>\n"
      "<rect x=\"0\" y=\"0\" width=\"{0}\" height=\"{1}\" fill=\"{4}\"/>\n"
      "{5}</svg>\n",
      static_cast<int>(m_width), static_cast<int>(m_height), xml_escape(title),
      xml_escape(description), k_svg_background, m_body);
}

}  // namespace llmroof::detail
