#pragma once

// Drawing primitives shared by the SVG charts (roofline, compare bars, sweep lines). Private
// to the core. Every chart paints its own light background, so it reads the same in dark and
// light viewers; text is set in the generic sans-serif family (no font files).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmroof::detail {

inline constexpr const char* k_svg_background = "#ffffff";
inline constexpr const char* k_svg_ink = "#202020";    ///< titles and labels
inline constexpr const char* k_svg_muted = "#4a4a4a";  ///< tick labels, axes
inline constexpr const char* k_svg_grid = "#dcdcdc";   ///< grid lines
inline constexpr double k_svg_font_px = 12;
inline constexpr double k_svg_small_font_px = 10;
inline constexpr double k_svg_title_font_px = 14;

/// Colour of series `index`: mid-tone hues that keep contrast on the white background and stay
/// apart from each other (cycled past the sixth).
const char* svg_palette(std::size_t index);

/// `value` with one decimal, as coordinates are written (deterministic, locale-free).
std::string svg_number(double value);

/// An axis-aligned box in canvas pixels.
struct SvgBox {
  double left = 0;
  double top = 0;
  double right = 0;
  double bottom = 0;
  bool overlaps(const SvgBox& other) const {
    return left < other.right && other.left < right && top < other.bottom && other.top < bottom;
  }
};

enum class SvgAnchor { start, middle, end };

/// An SVG document being drawn: elements are appended in paint order.
class SvgCanvas {
 public:
  SvgCanvas(double width_px, double height_px);
  double width() const { return m_width; }
  double height() const { return m_height; }

  /// The box text at (x, y) would take before it is shifted inside the canvas: svg_text_width_px
  /// wide, from y - font_px to y + 0.3 font_px.
  static SvgBox text_box(double x, double y, std::string_view content, double font_px,
                         SvgAnchor anchor);
  /// Writes text whose box is shifted inside the canvas; returns the box used. The element's x
  /// is the box's left edge, centre or right edge (text-anchor start, middle or end), so a
  /// checker can recompute the box from x, the anchor and the text.
  SvgBox text(double x, double y, std::string_view content, double font_px, const char* fill,
              SvgAnchor anchor = SvgAnchor::start);
  void line(double x1, double y1, double x2, double y2, const char* stroke, double width_px,
            bool dashed = false);
  void rect(double x, double y, double w, double h, const char* fill, const char* stroke = nullptr,
            double stroke_px = 1, bool dashed = false);
  void circle(double cx, double cy, double r, const char* fill, const char* stroke);
  void polyline(const std::vector<std::pair<double, double>>& points, const char* stroke,
                double width_px, bool dashed);
  /// A filled polygon at `opacity` (0..1), no stroke: shaded bands.
  void polygon(const std::vector<std::pair<double, double>>& points, const char* fill,
               double opacity);

  /// The standalone SVG 1.1 document: XML declaration, <svg> with width, height and viewBox,
  /// <title>, <desc>, the background rectangle, then the elements; ends with one newline.
  std::string document(std::string_view title, std::string_view description) const;

 private:
  double m_width;
  double m_height;
  std::string m_body;
};

}  // namespace llmroof::detail
